#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: network_config
short_description: Declarative host network configuration in the os-net-config format, with render/parse, apply and rollback
version_added: 0.1.0
description:
  - Takes a C(network_config) list in the os-net-config format and converges the host's network to it, with the states
    of the ansible.netcommon resource modules. Every run returns C(before), C(commands) and C(after).
  - Supported object types - C(interface), C(linux_bridge), C(linux_bond), C(vlan), C(linux_tap), C(ovs_bridge),
    C(ovs_user_bridge), C(ovs_bond), C(ovs_patch_port). Others of os-net-config (DPDK, SR-IOV, InfiniBand, teamd,
    Contrail, VPP, IVS, NFVswitch, route tables) fail with an error naming the object - never a silent skip.
  - C(nic1), C(nic2)... are mapped to interfaces in os-net-config's order (active NICs, embedded C(em*)/C(eno*)/C(eth*)
    first, natural sort); O(interface_mapping) maps aliases to interface names or MAC addresses explicitly.
  - The runtime change is made with iproute2 and ovs-vsctl; the configuration is persisted for the next boot by the
    O(provider) (ifupdown, ifcfg or NetworkManager keyfiles), rendered by pure functions. Only files the module wrote
    (they carry its header) are read back, replaced or removed.
  - B(Safety) - the live configuration and the persistent files are snapshotted first; after the commands run, each
    peer of O(connectivity_check) (by default the next hops of the default routes in the config) must answer a ping
    within O(connectivity_timeout) seconds. If a command fails or a peer does not answer, the snapshot is restored
    and the module fails with the commands it ran, the ones it rolled back with, and why.
  - The whole input is validated before anything is touched - unknown types or attributes, missing names, VLAN ids out
    of range, overlapping addresses, C(nicN) aliases without an interface, a member in two bridges.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Returns the exact commands the apply would run, the predicted C(after) and the files it would write.
  diff_mode:
    support: full
    description: C(before)/C(after) of the configuration and of the persistent files.
options:
  config:
    description:
      - The os-net-config objects (the list under C(network_config:)); a mapping with a C(network_config) key is also
        accepted. For O(state=deleted), the objects (only C(name) matters) to remove; empty removes every object the
        module persisted.
    type: raw
    aliases: [network_config]
  state:
    description:
      - C(merged) adds addresses, routes and members to what exists; C(replaced) makes each listed object exactly as
        given (addresses, routes and members not listed are removed); C(overridden) is C(replaced) and also deletes
        the bridges, bonds, VLANs and taps not listed (physical interfaces not listed are left alone); C(deleted)
        removes the listed objects (virtual devices are deleted, interfaces lose their addresses and routes).
      - C(gathered) returns the running configuration; C(rendered) returns the persistent files and the model for
        O(config) without touching anything; C(parsed) reads persistent files (O(running_config), or those under
        O(root)) back into the model.
    type: str
    default: merged
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
  interface_mapping:
    description: Alias (C(nic1), or any name such as C(provision)) to interface name or MAC address.
    type: dict
    default: {}
  provider:
    description: How the configuration is persisted - C(ifupdown) (C(/etc/network/interfaces.d)), C(ifcfg)
      (C(/etc/sysconfig/network-scripts)), C(nmkeyfile) (C(/etc/NetworkManager/system-connections)), or C(none).
    type: str
    default: ifupdown
    choices: [ifupdown, ifcfg, nmkeyfile, none]
  root:
    description: The directory the persistent files' paths are relative to.
    type: path
    default: /
  running_config:
    description: For O(state=parsed), the persistent files as a mapping of path (relative to O(root)) to content, as
      returned by O(state=rendered) in C(rendered).
    type: dict
  ovs_datapath_type:
    description: Datapath of the C(ovs_bridge) objects created - C(system) (the kernel module) or C(netdev) (userspace;
      where the kernel has no openvswitch module). C(ovs_user_bridge) is always C(netdev).
    type: str
    default: system
    choices: [system, netdev]
  connectivity_check:
    description: Addresses that must answer a ping after the change; default the next hops of the config's default
      routes. An empty list and no default route skips the check.
    type: list
    elements: str
  connectivity_timeout:
    description: Seconds each peer has to answer after the change.
    type: int
    default: 15
  rollback:
    description: Restore the snapshot when a command fails or the connectivity check does.
    type: bool
    default: true
requirements:
  - iproute2 on the managed host; ovs-vsctl and a running Open vSwitch for OVS objects; ping for the connectivity check.
notes:
  - DHCP (C(use_dhcp)) and boot-time attributes (C(onboot), C(hotplug), C(nm_controlled), C(dns_servers), C(domain),
    C(ethtool_opts), C(defroute)) are written to the persistent files; the runtime change does not start a DHCP client.
  - Route C(route_options) are passed to C(ip route); of them only C(metric) is compared with the running routes.
'''

EXAMPLES = r'''
- name: A Linux bridge carrying the control-plane NIC and its address
  ooo.lifecycle.network_config:
    state: replaced
    interface_mapping:
      nic1: "52:54:00:00:01:10"
    config:
      - type: linux_bridge
        name: br-ctlplane
        addresses: [{ip_netmask: 198.18.0.11/24}]
        routes: [{default: true, next_hop: 198.18.0.1}]
        members:
          - {type: interface, name: nic1, primary: true}

- name: An OVS bridge with a bond and a VLAN (userspace datapath)
  ooo.lifecycle.network_config:
    state: merged
    ovs_datapath_type: netdev
    config:
      - type: ovs_bridge
        name: br-tenant
        members:
          - type: ovs_bond
            name: bond1
            ovs_options: bond_mode=active-backup
            members: [{type: interface, name: nic3}, {type: interface, name: nic4}]
          - type: vlan
            vlan_id: 50
            addresses: [{ip_netmask: 198.18.50.11/24}]

- name: The files os-net-config users would get, without touching the host
  ooo.lifecycle.network_config:
    state: rendered
    provider: ifcfg
    config: "{{ (lookup('file', 'bond.yaml') | from_yaml).network_config }}"
  register: rendered
'''

RETURN = r'''
before:
  description: The configuration before the run (the live one; for C(parsed)/C(rendered) empty).
  returned: always
  type: list
  elements: dict
after:
  description: The configuration after the run (predicted in check mode).
  returned: always
  type: list
  elements: dict
commands:
  description: The commands run (or, in check mode, that would run), in order, as shell-quoted strings.
  returned: always
  type: list
  elements: str
rendered:
  description: Persistent files (path relative to O(root) to content), for C(rendered); for the other states the files
    written.
  returned: always
  type: dict
files_removed:
  description: Persistent files of the module removed (or to be removed).
  returned: always
  type: list
  elements: str
parsed:
  description: The model read from the persistent files (C(parsed)).
  returned: when state is parsed
  type: list
  elements: dict
gathered:
  description: The running configuration (C(gathered)).
  returned: when state is gathered
  type: list
  elements: dict
interface_mapping:
  description: The alias to interface mapping used.
  returned: always
  type: dict
connectivity:
  description: The peers checked and whether each answered.
  returned: when a change was applied
  type: dict
rollback_commands:
  description: The commands that restored the snapshot after a failure.
  returned: on failure with rollback
  type: list
  elements: str
'''


from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import host


def main():
    module = OOOModule(
        argument_spec=dict(
            config=dict(type="raw", aliases=["network_config"]),
            connectivity_check=dict(type="list", elements="str"),
            connectivity_timeout=dict(type="int", default=15),
            interface_mapping=dict(type="dict", default={}),
            ovs_datapath_type=dict(type="str", default="system", choices=["system", "netdev"]),
            provider=dict(type="str", default="ifupdown", choices=["ifupdown", "ifcfg", "nmkeyfile", "none"]),
            rollback=dict(type="bool", default=True),
            root=dict(type="path", default="/"),
            running_config=dict(type="dict"),
            state=dict(type="str", default="merged",
                       choices=["merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed"]),
        ),
        required_if=[("state", "merged", ["config"]), ("state", "replaced", ["config"]),
                     ("state", "overridden", ["config"]), ("state", "rendered", ["config"])],
        supports_check_mode=True,
    )
    try:
        result = host.NetworkConfig(module).run()
    except host.OOOError as exc:
        module.fail_json(**exc.to_fail_kwargs())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
