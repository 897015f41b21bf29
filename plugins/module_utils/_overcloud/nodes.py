# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: which machines each role of the plan gets.

A role keeps the machines it had after the last deployment, in their order, so that neither a rerun nor a scale-out
moves a service to another machine. Then it takes active nodes of its profile, then available ones. A node is
usable when it has the role's profile, is not in maintenance, is active or available, is an inventory host and is not
being removed (scale-in). A node goes to one role only.
"""

from __future__ import annotations

import ipaddress

USABLE_STATES = ("active", "available")


def choose(nodes, role_counts, profiles=None, hosts=None, remove=None, before=None):
    """{role: [machine, ...]} for every role of role_counts (in its order).

    nodes: [{name, provision_state, maintenance, profile}] from Ironic (baremetal_node_info); profiles: {role: profile} (default the role's name in
    lower case); hosts: the inventory's host names (None: no restriction); remove: machines leaving the overcloud;
    before: {role: [machine, ...]} as the last deployment recorded it.
    """
    profiles, remove, before = profiles or {}, set(remove or []), before or {}
    hosts = None if hosts is None else set(hosts)
    taken, chosen = set(), {}
    for role, count in role_counts.items():
        profile = profiles.get(role, role.lower())
        usable = [n for n in nodes if n.get("profile") == profile and not n.get("maintenance") and n.get("provision_state") in USABLE_STATES
                  and (hosts is None or n["name"] in hosts) and n["name"] not in remove and n["name"] not in taken]
        names = [n["name"] for n in usable]
        kept = [name for name in before.get(role) or [] if name in names]
        active = [n["name"] for n in usable if n["provision_state"] == "active" and n["name"] not in kept]
        free = [n["name"] for n in usable if n["provision_state"] == "available" and n["name"] not in kept]
        chosen[role] = (kept + active + free)[:int(count)]
        taken.update(chosen[role])
    return chosen


def shortages(role_counts, chosen):
    """A message per role that got fewer machines than its count ([] when every role has its machines)."""
    return ["role %s needs %s nodes, %d usable" % (role, count, len(chosen.get(role) or []))
            for role, count in role_counts.items() if len(chosen.get(role) or []) < int(count)]


FAILED_STATES = ("error", "deploy failed", "clean failed", "inspect failed", "rescue failed")


def not_enough(nodes, role_counts, profiles=None):
    """For each role with fewer usable nodes of its profile than its count: which are usable, which are not and why,
    and the fix (the ironic-nodes-enough validation). Usable: available or active, not in maintenance."""
    profiles = profiles or {}
    out = []
    for role, count in role_counts.items():
        profile = profiles.get(role, role.lower())
        mine = [n for n in nodes if n.get("profile") == profile]
        usable = [n for n in mine if n.get("provision_state") in USABLE_STATES and not n.get("maintenance")]
        if len(usable) >= int(count):
            continue
        unusable = ["%s (%s%s)" % (n["name"], n.get("provision_state"), ", maintenance" if n.get("maintenance") else "") for n in mine if n not in usable]
        out.append("role %s needs %s nodes with profile %s, %d usable (%s)%s; enroll and provide more nodes "
                   "(playbooks/baremetal_provide.yml), fix the quarantined ones, or lower the count"
                   % (role, count, profile, len(usable), ", ".join(n["name"] for n in usable) or "none",
                      "; not usable: %s" % ", ".join(unusable) if unusable else ""))
    return out


def failed(nodes):
    """Each node in a failed state, with Ironic's last error (the ironic-nodes-healthy validation)."""
    return ["node %s is in %s%s" % (n["name"], n["provision_state"], ": %s" % n["last_error"] if n.get("last_error") else "")
            for n in nodes if n.get("provision_state") in FAILED_STATES]


def internal_ips(ctlplane_cidr, internal_cidr, ctlplane_ips):
    """{machine: address} on the internal API network: each machine keeps the host part of its ctlplane address
    (TripleO's predictable IPs, as roles/network_config allocates them). ``ctlplane_ips`` is {machine: address}."""
    ctlplane = ipaddress.ip_network(ctlplane_cidr, strict=False)
    internal = ipaddress.ip_network(internal_cidr, strict=False)
    out = {}
    for host, address in ctlplane_ips.items():
        index = int(ipaddress.ip_address(address)) - int(ctlplane.network_address)
        if not 0 < index < internal.num_addresses:
            raise ValueError("%s: its ctlplane address %s has no counterpart in the internal API network %s (host part %d)"
                             % (host, address, internal_cidr, index))
        out[host] = str(internal.network_address + index)
    return out


def mysql_host(cidr):
    """The MariaDB host part of an account that may connect only from ``cidr`` (network/netmask, the form MariaDB
    takes): the overcloud's database users are limited to the internal API network, never '%'."""
    network = ipaddress.ip_network(cidr, strict=False)
    if network.version == 6:
        # MariaDB takes no IPv6 netmask; a prefix wildcard is only exact on a group boundary.
        raise ValueError("%s: an IPv6 internal API network needs the database users' hosts set by hand" % cidr)
    return "%s/%s" % (network.network_address, network.netmask)
