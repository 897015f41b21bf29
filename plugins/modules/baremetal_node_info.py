#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: baremetal_node_info
short_description: List bare-metal nodes with their state, profile and maintenance, in one call
version_added: 0.3.0
description:
  - Returns every node Ironic knows (or the named ones), sorted by name, with what a deployment chooses machines by
    and what a validation checks - provision and power state, maintenance and its reason, the last error, the
    profile from the capabilities, the resource class, the traits and the instance.
  - Never returns a node's driver_info, so no BMC credential reaches a result or a log.
  - One list call to Ironic; for the hardware inventory that inspection stored, use M(ooo.lifecycle.baremetal_inventory_info).
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
    description: Names or UUIDs of the nodes; all nodes when omitted. An unknown name is an error naming it.
    type: list
    elements: str
'''

EXAMPLES = r'''
- name: List the nodes
  ooo.lifecycle.baremetal_node_info:
    cloud: undercloud
  register: ironic

- name: The available compute nodes
  ansible.builtin.debug:
    msg: "{{ ironic.nodes | selectattr('provision_state', 'equalto', 'available') | selectattr('profile', 'equalto', 'compute')
             | map(attribute='name') }}"
'''

RETURN = r'''
nodes:
  description: One entry per node, sorted by name (or in the order of O(nodes) when given).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The node's name (its UUID when it has none).
      type: str
    uuid:
      description: Node UUID.
      type: str
    provision_state:
      description: The provision state (enroll, manageable, available, active, ...).
      type: str
    power_state:
      description: The power state Ironic last saw, or null.
      type: str
    maintenance:
      description: Whether the node is in maintenance.
      type: bool
    maintenance_reason:
      description: Why, or an empty string.
      type: str
    last_error:
      description: Ironic's last error for the node, or an empty string.
      type: str
    profile:
      description: The profile from the node's capabilities, or an empty string.
      type: str
    resource_class:
      description: The resource class, or an empty string.
      type: str
    traits:
      description: The node's traits, sorted.
      type: list
      elements: str
    instance_uuid:
      description: The instance deployed on the node, or an empty string.
      type: str
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.inventory import list_nodes, node_entry
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def run_module(module):
    conn = open_connection(module.params)
    return dict(changed=False, nodes=[node_entry(n) for n in list_nodes(conn, module.params["nodes"])])


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(nodes=dict(type="list", elements="str")),
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
