#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: heat_stack_info
short_description: Read a Heat stack - status, outputs, parameters, recent events, failed resources
version_added: 0.2.0
description:
  - Returns the stack's status and reason, outputs as a dict, parameters (Heat masks hidden ones), the most recent
    events (nested stacks included) and, when the stack is in a failed state, the failed resources with their reasons.
  - A stack that does not exist is not an error - RV(exists) is false.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Read-only.
  diff_mode:
    support: none
    description: Read-only.
options:
  events:
    description: How many recent events to return (0 for none).
    type: int
    default: 20
  name:
    description: Stack name or ID.
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Why did the overcloud fail?
  ooo.lifecycle.heat_stack_info:
    cloud: undercloud
    name: overcloud
  register: overcloud

- name: Show the failed resources
  ansible.builtin.debug:
    var: overcloud.failures
'''

RETURN = r'''
exists:
  description: Whether the stack exists.
  returned: always
  type: bool
stack:
  description: C(id), C(name), C(status), C(status_reason), C(created), C(updated), C(tags), C(outputs), C(parameters).
  returned: when the stack exists
  type: dict
outputs:
  description: The outputs, C(output_key) -> value.
  returned: when the stack exists
  type: dict
events:
  description: Recent events, newest first (C(time), C(stack), C(resource), C(status), C(reason)).
  returned: when the stack exists
  type: list
  elements: dict
failures:
  description: Failed resources (C(resource), C(stack), C(status), C(reason)) when the stack is in a failed state.
  returned: when the stack exists
  type: list
  elements: dict
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._heat.stack import Stacks, link_stack, failures_from_events, stack_summary
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def run_module(module):
    heat = Stacks(open_connection(module.params))
    stack = heat.find(module.params["name"])
    if stack is None:
        return dict(changed=False, exists=False)
    summary = stack_summary(stack)
    want = max(module.params["events"], 0)
    failed = stack["stack_status"].endswith("_FAILED")
    # A failed stack's causes may lie further back than the events asked for.
    read = max(want, 100) if failed else want
    events = heat.events(stack, read) if read else []
    failures = failures_from_events(events) if failed else []
    recent = [dict(time=e.get("event_time"), stack=link_stack(e), resource=e.get("resource_name"), status=e.get("resource_status"),
                   reason=e.get("resource_status_reason")) for e in events[:want]]
    return dict(changed=False, exists=True, stack=summary, outputs=summary["outputs"], events=recent, failures=failures)


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            events=dict(type="int", default=20),
            name=dict(type="str", required=True),
        ),
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
