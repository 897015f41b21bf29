# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
name: server_external_ipv4
short_description: The public IPv4 address of a server, found as shade's get_server_external_ipv4 did
version_added: 0.3.0
description:
  - Looks, in order, at the server's access IPv4, a fixed IP of one of its ports on an external network, a floating
    IP, an address on a network named like an external network (or C(public)), then any globally routable IPv4.
  - Returns a dict with C(address) and C(source) (C(access_ipv4), C(external_port), C(floating_ip),
    C(public_network), C(globally_routable)); both are null when nothing fits.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
positional: ports, external_networks
options:
  _input:
    description: The server, as openstack.cloud.server or openstacksdk returns it (C(addresses), C(access_ipv4)).
    type: dict
    required: true
  ports:
    description: The server's Neutron ports (C(network_id), C(fixed_ips), C(device_id)).
    type: list
    elements: dict
  external_networks:
    description: The cloud's external networks (C(id), C(name)), as M(ooo.lifecycle.clouds_info) returns them.
    type: list
    elements: dict
'''

EXAMPLES = r'''
- name: Show where the server is reachable
  ansible.builtin.debug:
    msg: "{{ (server | ooo.lifecycle.server_external_ipv4(ports, probe.external_networks)).address }}"
'''

RETURN = r'''
_value:
  description: C(address) and C(source).
  type: dict
'''

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.clouds import external_ipv4


def server_external_ipv4(server, ports=None, external_networks=None):
    if not isinstance(server, dict):
        raise AnsibleFilterError("server_external_ipv4: the input must be a server dict, got %s" % type(server).__name__)
    return external_ipv4(server, ports or [], external_networks or [])


class FilterModule(object):
    def filters(self):
        return {"server_external_ipv4": server_external_ipv4}
