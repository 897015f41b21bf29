# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import nodes


def overcloud_choose_nodes(ironic_nodes, role_counts, profiles=None, hosts=None, remove=None, before=None):
    """{role: [machine, ...]}: see module_utils/_overcloud/nodes.py."""
    if not isinstance(ironic_nodes, list) or not isinstance(role_counts, dict):
        raise AnsibleFilterError("overcloud_choose_nodes: give the Ironic nodes (a list) and the plan's role_counts (a mapping)")
    return nodes.choose(ironic_nodes, role_counts, profiles, hosts, remove, before)


def overcloud_node_shortages(chosen, role_counts):
    """A message per role with fewer machines than its count."""
    return nodes.shortages(role_counts, chosen or {})


def ironic_nodes_not_enough(ironic_nodes, role_counts, profiles=None):
    """The ironic-nodes-enough validation's problems: see module_utils/_overcloud/nodes.py."""
    return nodes.not_enough(ironic_nodes or [], role_counts or {}, profiles)


def ironic_nodes_failed(ironic_nodes):
    """The ironic-nodes-healthy validation's problems."""
    return nodes.failed(ironic_nodes or [])


def overcloud_internal_ips(hostvars, hosts, ctlplane_cidr, internal_cidr):
    """{machine: internal API address} for the ``hosts`` that have a ``ctlplane_ip``: see module_utils/_overcloud/nodes.py."""
    if not isinstance(hosts, list):
        raise AnsibleFilterError("overcloud_internal_ips: give hostvars, the machines (a list) and the two networks' CIDRs")
    ips = dict((h, hostvars[h]["ctlplane_ip"]) for h in hosts if hostvars[h].get("ctlplane_ip"))
    try:
        return nodes.internal_ips(ctlplane_cidr, internal_cidr, ips)
    except ValueError as exc:
        raise AnsibleFilterError("overcloud_internal_ips: %s" % exc)


def overcloud_mysql_host(cidr):
    """The host part of a MariaDB account that connects only from ``cidr``: see module_utils/_overcloud/nodes.py."""
    try:
        return nodes.mysql_host(cidr)
    except ValueError as exc:
        raise AnsibleFilterError("overcloud_mysql_host: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"overcloud_choose_nodes": overcloud_choose_nodes, "overcloud_node_shortages": overcloud_node_shortages,
                "ironic_nodes_not_enough": ironic_nodes_not_enough, "ironic_nodes_failed": ironic_nodes_failed,
                "overcloud_internal_ips": overcloud_internal_ips, "overcloud_mysql_host": overcloud_mysql_host}
