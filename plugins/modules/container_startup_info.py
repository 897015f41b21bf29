#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: container_startup_info
short_description: What runs for a config_id - containers, their config hashes, state and health
version_added: 0.1.0
description:
  - Lists the podman containers labelled with O(config_id) (and O(managed_by), when given), as
    M(ooo.lifecycle.container_startup) made them, with their config hash, state, exit code, start time and health.
  - With O(check_health=true) the healthcheck of each running container that has one is run now.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  config_id:
    description: The config_id label to look for; all containers that have a config_id label when omitted.
    type: str
  managed_by:
    description: Only containers with this managed_by label.
    type: str
  check_health:
    description: Run the healthcheck of running containers that have one, instead of reporting podman's last status.
    type: bool
    default: false
  podman:
    description: The podman executable.
    type: str
    default: podman
requirements:
  - podman on the managed host
'''

EXAMPLES = r'''
- name: What runs for step 3
  ooo.lifecycle.container_startup_info:
    config_id: tripleo_step3
    check_health: true
  register: step3
'''

RETURN = r'''
containers:
  description: By container name.
  returned: always
  type: dict
  contains:
    config_id:
      description: The config_id label.
      type: str
    managed_by:
      description: The managed_by label.
      type: str
    config_hash:
      description: The hash of the definition and bind-mounted content the container was created with.
      type: str
    image:
      description: Image.
      type: str
    state:
      description: podman's state (running, exited, created...).
      type: str
    exit_code:
      description: Exit code, for a stopped container.
      type: int
    started_at:
      description: When it last started (Unix time).
      type: int
    health:
      description: healthy, unhealthy, starting, or none when it has no healthcheck.
      type: str
'''

import json

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.startup import HASH_LABEL


def main():
    module = OOOModule(
        argument_spec=dict(
            config_id=dict(type="str"),
            managed_by=dict(type="str"),
            check_health=dict(type="bool", default=False),
            podman=dict(type="str", default="podman"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    argv = [p["podman"], "ps", "--all", "--format", "json", "--filter",
            "label=config_id=%s" % p["config_id"] if p["config_id"] else "label=config_id"]
    if p["managed_by"]:
        argv += ["--filter", "label=managed_by=%s" % p["managed_by"]]
    rc, out, err = module.run_command(argv)
    if rc != 0:
        module.fail_json(msg="Failed to list the podman containers: %s" % (err or out).strip(), cmd=argv)
    containers = {}
    for item in json.loads(out or "[]"):
        name = (item.get("Names") or ["?"])[0]
        labels = item.get("Labels") or {}
        status = item.get("Status") or ""
        health = "none"
        for word in ("healthy", "unhealthy", "starting"):
            if "(%s)" % word in status:
                health = word
        entry = {"config_id": labels.get("config_id"), "managed_by": labels.get("managed_by"),
                 "config_hash": labels.get(HASH_LABEL), "image": item.get("Image"), "state": item.get("State"),
                 "exit_code": item.get("ExitCode"), "started_at": item.get("StartedAt"), "health": health}
        if p["check_health"] and item.get("State") == "running" and health != "none":
            hrc, _hout, _herr = module.run_command([p["podman"], "healthcheck", "run", name])
            entry["health"] = "healthy" if hrc == 0 else "unhealthy"
        containers[name] = entry
    module.exit_json(changed=False, containers=containers)


if __name__ == "__main__":
    main()
