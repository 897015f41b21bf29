#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: baremetal_inventory_info
short_description: Read the hardware inventory Ironic stored when it inspected nodes
version_added: 0.1.0
description:
  - Returns, for each node, the hardware inventory (in ironic-python-agent's format - CPUs, memory, disks, NICs, system
    vendor, boot) and the plugin data Ironic kept from its inspection, read concurrently.
  - A node that was never inspected has C(inventory=null); with O(require=true) that is an error naming the nodes.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing is changed.
options:
  nodes:
    description: Names or UUIDs of the nodes; all nodes when omitted.
    type: list
    elements: str
  concurrency:
    description: How many inventories are read at the same time.
    type: int
    default: 8
  require:
    description: Fail, naming them, when some of the nodes have no stored inventory.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Read what inspection found
  ooo.lifecycle.baremetal_inventory_info:
    cloud: undercloud
    nodes: [compute-0, compute-1]
    require: true
  register: found

- name: Show the memory of each node
  ansible.builtin.debug:
    msg: "{{ found.nodes | dict2items | map(attribute='value.inventory.memory.physical_mb') }}"
'''

RETURN = r'''
nodes:
  description: One entry per node, by name.
  returned: always
  type: dict
  contains:
    uuid:
      description: Node UUID.
      type: str
    provision_state:
      description: The node's provision state.
      type: str
    profile:
      description: The profile from the node's capabilities, or null.
      type: str
    maintenance:
      description: Whether the node is in maintenance.
      type: bool
    inspected_at:
      description: When the last inspection finished, or null.
      type: str
    inventory:
      description: The inventory (ironic-python-agent format), or null when the node was never inspected.
      type: dict
    plugin_data:
      description: What Ironic kept of the rest of the inspection data (root disk, benchmarks, ...).
      type: dict
not_inspected:
  description: Names of the nodes without a stored inventory.
  returned: always
  type: list
  elements: str
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.inventory import list_nodes, read_inventories
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError, ValidationError, at_least
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def run_module(module):
    problems = at_least(module.params, 1, "concurrency")
    if problems:
        raise ValidationError(problems)
    conn = open_connection(module.params)
    entries = read_inventories(conn, list_nodes(conn, module.params["nodes"]), module.params["concurrency"])
    missing = sorted(name for name, e in entries.items() if e["inventory"] is None)
    if missing and module.params["require"]:
        raise OOOError("No stored inventory for node(s) %s: inspect them first (roles/introspection or "
                       "ooo.lifecycle.baremetal_provision target=inspected)" % ", ".join(missing),
                       nodes=entries, not_inspected=missing)
    return dict(changed=False, nodes=entries, not_inspected=missing)


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            nodes=dict(type="list", elements="str"),
            concurrency=dict(type="int", default=8),
            require=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
