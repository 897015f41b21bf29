#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: baremetal_provision
short_description: Drive bare-metal nodes to a provision state through Ironic's state graph
version_added: 0.1.0
description:
  - Takes each node from wherever it is (enroll, manageable, available, active, or a failed state) to O(target) by
    walking Ironic's state graph one verb at a time, waiting out transitional states, for many nodes concurrently.
  - A node already in the target state is left alone and reported unchanged.
  - When a transition ends in a failed state, O(on_failure) decides - C(fail) stops starting new verbs on the other
    nodes and fails, C(retry) tries the node again up to O(retries) times, C(maintenance) puts the node in maintenance
    with the reason and goes on with the others.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Returns each node's route (the verbs it would run) and makes no write call.
  diff_mode:
    support: none
    description: The per-node results show the states before and after.
options:
  concurrency:
    description: How many nodes are driven at the same time.
    type: int
    default: 8
  config_drive:
    description: Config drive for O(target=active) (a dict with C(meta_data), C(user_data), C(network_data), or a URL).
    type: raw
  image:
    description: For O(target=active), the image to deploy, a Glance name or ID or an http(s) URL (then give O(image_checksum)).
    type: str
  image_checksum:
    description: Checksum of an O(image) given as a URL.
    type: str
  image_disk_format:
    description:
      - Disk format of an O(image) given as a URL (C(raw), C(qcow2)); Glance images carry theirs. Without it the ramdisk
        guesses, and may take a whole-disk raw image for a partition table format.
    type: str
    version_added: 0.2.0
  nodes:
    description: Names or UUIDs of the nodes.
    type: list
    elements: str
    required: true
  on_failure:
    description: What to do when a node ends in a failed state.
    type: str
    default: fail
    choices: [fail, retry, maintenance]
  power:
    description:
      - The power state each node is left in once it reached O(target) (or, without O(target), at once). C(on) from
        its disk for a node that is not C(active) (boot device C(disk), persistent), so that a machine that already
        has its operating system runs it; C(off). A node already in that power state is left alone.
      - Power actions are allowed on nodes in maintenance.
    type: str
    choices: ["on", "off"]
    version_added: 0.2.0
  poll_interval:
    description: Seconds between two looks at a node in a transitional state.
    type: float
    default: 1.0
  retries:
    description: With O(on_failure=retry), how many more times a failed node is tried.
    type: int
    default: 1
  skip_maintenance:
    description:
      - Leave nodes in maintenance (quarantined by hardware validation, for example) where they are and report them
        C(skipped) instead of driving them. When false, they are driven like the others and Ironic decides.
    type: bool
    default: true
  target:
    description:
      - The state to reach. C(inspected) is C(manageable) after an inspection; C(undeployed) is C(available) after an undeploy.
      - C(available) never undeploys a node. An C(active) node is deployed (in use), so it is left alone and reported
        C(skipped); use C(undeployed) to undeploy.
      - Required unless O(power) is given.
    type: str
    choices: [manageable, inspected, available, active, undeployed]
'''

EXAMPLES = r'''
- name: Make the fleet available
  ooo.lifecycle.baremetal_provision:
    cloud: undercloud
    nodes: [controller-0, compute-0, compute-1]
    target: available
    on_failure: maintenance
'''

RETURN = r'''
nodes:
  description: One result per node, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
    uuid:
      description: Node UUID.
      type: str
    before:
      description: Provision state at the start.
      type: str
    after:
      description: Provision state at the end (in check mode, the target when it is reachable).
      type: str
    verbs:
      description: The provision verbs run (in check mode, planned), in order.
      type: list
      elements: str
    power:
      description: Present when O(power) changed (in check mode, would change) the node's power, the state it was set to.
      type: str
      sample: power on
    attempts:
      description: How many times the node was tried.
      type: int
    seconds:
      description: Time spent on the node.
      type: float
    failed:
      description: Present and true when the node did not reach the target; see C(msg).
      type: bool
    maintenance:
      description: Present and true when the node was put in maintenance by O(on_failure=maintenance).
      type: bool
    skipped:
      description: Present and true when the node was in maintenance and O(skip_maintenance=true); see C(msg).
      type: bool
writes:
  description: Number of write calls made to Ironic.
  returned: always
  type: int
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.provision import Provisioner
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError, at_least
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def run_module(module):
    problems = at_least(module.params, 1, "concurrency") + at_least(module.params, 0, "retries")
    if problems:
        raise ValidationError(problems)
    conn = open_connection(module.params)
    worker = Provisioner(conn, module.params, module.check_mode)
    results = worker.run(module.params["nodes"])
    changed = any(r["verbs"] or r.get("power") for r in results)
    out = dict(changed=changed, nodes=results, writes=worker.writes)
    failed = [r for r in results if r.get("failed")]
    if failed and module.params["on_failure"] != "maintenance":
        reasons = "; ".join(r["msg"] for r in failed[:10])
        goal = " and ".join(x for x in (module.params["target"], module.params["power"] and "power " + module.params["power"]) if x)
        out["msg"] = "Failed to bring %d of %d nodes to %s: %s" % (len(failed), len(results), goal, reasons)
        module.fail_json(**out)
    return out


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            concurrency=dict(type="int", default=8),
            config_drive=dict(type="raw"),
            image=dict(type="str"),
            image_checksum=dict(type="str"),
            image_disk_format=dict(type="str"),
            nodes=dict(type="list", elements="str", required=True),
            on_failure=dict(type="str", default="fail", choices=["fail", "retry", "maintenance"]),
            poll_interval=dict(type="float", default=1.0),
            retries=dict(type="int", default=1),
            skip_maintenance=dict(type="bool", default=True),
            power=dict(type="str", choices=["on", "off"]),
            target=dict(type="str", choices=["manageable", "inspected", "available", "active", "undeployed"]),
        ),
        required_one_of=[("target", "power")],
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
