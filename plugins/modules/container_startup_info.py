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
  - Lists the containers (podman's, or a Docker engine's with O(runtime=docker)) labelled with O(config_id) (and O(managed_by), when given), as
    M(ooo.lifecycle.container_startup) made them, with their config hash, state, exit code, start time and health.
  - With O(check_health=true) the healthcheck of each running container that has one is run now.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.container_runtime
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
    description: Run the healthcheck of running containers that have one, instead of reporting the runtime's last status.
    type: bool
    default: false
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
      description: The runtime's state (running, exited, created...).
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

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import runtime
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.startup import HASH_LABEL


def main():
    module = OOOModule(
        argument_spec=dict(
            config_id=dict(type="str"),
            managed_by=dict(type="str"),
            check_health=dict(type="bool", default=False),
            **runtime.RUNTIME_ARGUMENT_SPEC
        ),
        supports_check_mode=True,
    )
    p = module.params
    engine = runtime.make(module, p["runtime"], p["podman"], p["docker_host"])
    try:
        found = engine.containers(set(), p["config_id"])
    except runtime.RuntimeFailure as exc:
        module.fail_json(msg=str(exc))
    containers = {}
    for name, item in sorted(found.items()):
        labels = item["labels"]
        if p["managed_by"] and labels.get("managed_by") != p["managed_by"]:
            continue
        entry = {"config_id": labels.get("config_id"), "managed_by": labels.get("managed_by"),
                 "config_hash": labels.get(HASH_LABEL), "image": item.get("image"), "state": item.get("state"),
                 "exit_code": item.get("exit_code"), "started_at": item.get("started_at"), "health": item.get("health") or "none"}
        if p["check_health"] and item.get("state") == "running" and entry["health"] != "none":
            entry["health"] = "healthy" if engine.health_once(name)[0] else "unhealthy"
        containers[name] = entry
    module.exit_json(changed=False, containers=containers)


if __name__ == "__main__":
    main()
