# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Read nodes and the hardware inventory Ironic stored when it inspected them, for many nodes at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.blacksheep import profile_of
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import is_not_found, sdk_message


def list_nodes(conn, idents=None):
    """All nodes (details), or the named ones; raises APIError naming the nodes Ironic does not know."""
    try:
        nodes = list(conn.baremetal.nodes(details=True))
    except Exception as exc:  # pylint: disable=broad-except
        raise APIError("Failed to list the bare-metal nodes: %s" % sdk_message(exc))
    if not idents:
        return sorted(nodes, key=lambda n: n.name or n.id)
    by_key = {}
    for node in nodes:
        by_key[node.id] = node
        if node.name:
            by_key[node.name] = node
    unknown = [i for i in idents if i not in by_key]
    if unknown:
        raise APIError("Unknown node(s): %s. Enroll them first (ooo.lifecycle.baremetal_nodes) or fix the names."
                       % ", ".join(unknown))
    seen, out = set(), []
    for ident in idents:
        node = by_key[ident]
        if node.id not in seen:
            seen.add(node.id)
            out.append(node)
    return out


def node_entry(node):
    """Pure: what the deployment and the validations need to know of one node (an openstacksdk Node, details), as a
    dict: never its driver_info (BMC credentials)."""
    return {"name": node.name or node.id, "uuid": node.id, "provision_state": node.provision_state,
            "power_state": node.power_state, "maintenance": bool(node.is_maintenance),
            "maintenance_reason": node.maintenance_reason or "", "last_error": node.last_error or "",
            "profile": profile_of(node.properties) or "", "resource_class": node.resource_class or "",
            "traits": sorted(node.traits or []), "instance_uuid": node.instance_id or ""}


def _one(conn, node):
    entry = {"name": node.name or node.id, "uuid": node.id, "provision_state": node.provision_state,
             "maintenance": bool(node.is_maintenance), "maintenance_reason": node.maintenance_reason,
             "profile": profile_of(node.properties), "properties": dict(node.properties or {}),
             "inspected_at": getattr(node, "inspection_finished_at", None), "inventory": None, "plugin_data": None}
    try:
        data = conn.baremetal.get_node_inventory(node.id)
    except Exception as exc:  # pylint: disable=broad-except
        if is_not_found(exc):
            return entry
        raise APIError("Failed to read the inventory of node %s: %s" % (entry["name"], sdk_message(exc)))
    entry["inventory"] = data.get("inventory")
    entry["plugin_data"] = data.get("plugin_data")
    return entry


def read_inventories(conn, nodes, concurrency=8):
    """{name: entry} with each node's inventory and plugin data (None when it was never inspected)."""
    if not nodes:
        return {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(nodes)))) as pool:
        entries = list(pool.map(lambda n: _one(conn, n), nodes))
    return dict((e["name"], e) for e in entries)
