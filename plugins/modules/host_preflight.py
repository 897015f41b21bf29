#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: host_preflight
short_description: Check a host before anything is installed on it
version_added: 0.1.0
description:
  - Checks that the TCP ports services will listen on are free, or already held
    by the same service (found through its pid file), and that files to be
    written can be written.
  - Reports every problem at once, each naming the item and the fix, and changes nothing.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: The module never changes anything.
  diff_mode:
    support: none
    description: Nothing to diff.
options:
  paths:
    description: Files that will be written.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: What the file is, used in messages (for example the option that sets it).
        type: str
        required: true
      path:
        description: The file's path.
        type: path
        required: true
  ports:
    description: TCP ports that will be listened on.
    type: list
    elements: dict
    default: []
    suboptions:
      host:
        description: The address the service binds.
        type: str
        default: 0.0.0.0
      name:
        description: The service, used in messages.
        type: str
        required: true
      pidfile:
        description: Pid file of the service; a port held by its process group counts as free.
        type: path
      port:
        description: The port.
        type: int
        required: true
      setting:
        description: The variable that sets the port, named in the fix.
        type: str
'''

EXAMPLES = r'''
- name: Check the undercloud's ports and files
  ooo.lifecycle.host_preflight:
    ports:
      - {name: keystone, port: 5000, host: 127.0.0.1, pidfile: /run/ooo-undercloud/keystone.pid, setting: undercloud_keystone_port}
    paths:
      - {name: undercloud_clouds_yaml, path: /root/.config/openstack/clouds.yaml}
'''

RETURN = r'''
problems:
  description: Every problem found; the module fails when it is not empty.
  returned: always
  type: list
  elements: str
  sample: ["port 5000 (keystone) on 127.0.0.1 is in use by pid 42 (python3 -m http.server 5000); stop that process or set undercloud_keystone_port"]
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._preflight import port_problems, writable_problem


def main():
    module = OOOModule(
        argument_spec=dict(
            paths=dict(type="list", elements="dict", default=[], options=dict(
                name=dict(type="str", required=True),
                path=dict(type="path", required=True),
            )),
            ports=dict(type="list", elements="dict", default=[], options=dict(
                host=dict(type="str", default="0.0.0.0"),
                name=dict(type="str", required=True),
                pidfile=dict(type="path"),
                port=dict(type="int", required=True),
                setting=dict(type="str"),
            )),
        ),
        supports_check_mode=True,
    )
    problems = port_problems(module.params["ports"])
    for item in module.params["paths"]:
        problem = writable_problem(item["path"])
        if problem:
            problems.append("%s: %s" % (item["name"], problem))
    if problems:
        module.fail_json(msg="Pre-flight checks failed: " + "; ".join(problems), problems=problems)
    module.exit_json(changed=False, problems=[])


if __name__ == "__main__":
    main()
