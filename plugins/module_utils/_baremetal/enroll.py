# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Fleet enrollment against Ironic: read once, plan per node (pure), apply concurrently."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import fleet
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError, OOOError, ValidationError, failed
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import sdk_message

# Provision states in which a node must not be deleted without force.
BUSY_STATES = ("active", "deploying", "wait call-back", "deploy wait", "cleaning", "clean wait", "inspecting", "inspect wait",
               "rescue", "rescuing", "rescue wait")
NODE_DICT_FIELDS = ("driver", "driver_info", "extra", "properties", "traits", "resource_class", "owner", "description",
                    "provision_state") + fleet.INTERFACE_FIELDS


def load_entries(params, read_file):
    """The raw node entries from ``nodes`` or ``nodes_file`` (instackenv.json or nodes.yaml), instackenv converted."""
    entries = params.get("nodes")
    fmt = params.get("file_format")
    if params.get("nodes_file"):
        text = read_file(params["nodes_file"])
        try:
            if params["nodes_file"].endswith(".json"):
                data = json.loads(text)
            else:
                import yaml
                data = yaml.safe_load(text)
        except Exception as exc:  # pylint: disable=broad-except
            raise ValidationError(["nodes_file %s: cannot be parsed: %s" % (params["nodes_file"], exc)])
        if isinstance(data, dict):
            data = data.get("nodes")
        if not isinstance(data, list):
            raise ValidationError(["nodes_file %s: must hold a list of nodes under the key 'nodes'" % params["nodes_file"]])
        entries = data
    entries = entries or []
    bad = [i for i, e in enumerate(entries) if not isinstance(e, dict)]
    if bad:
        raise ValidationError(["node #%d: must be a mapping of fields, got %r" % (i, entries[i]) for i in bad])
    if fmt == "instackenv" or (fmt == "auto" and any(k in e for e in entries for k in ("pm_type", "pm_addr", "mac"))):
        entries = [fleet.from_instackenv(e) for e in entries]
    return entries


def prepare(entries, drivers=None):
    """Normalize and validate the whole fleet; raise ValidationError with every problem."""
    if not entries:
        raise ValidationError(["nodes: the fleet is empty; give at least one node (nodes, or a nodes_file with a 'nodes' list)"])
    nodes = []
    conversions = {}
    for index, entry in enumerate(entries):
        node, problems = fleet.normalize(entry)
        nodes.append(node)
        if problems:
            conversions[index] = problems
    problems = fleet.validate(nodes, drivers=drivers, conversion_problems=conversions)
    if problems:
        raise ValidationError(problems)
    return nodes


def node_dict(node):
    return {key: getattr(node, key, None) for key in NODE_DICT_FIELDS}


class Fleet(object):
    """Reads the fleet from Ironic once, applies per-node plans through one write path."""

    def __init__(self, conn, check_mode, concurrency=8):
        self.conn = conn
        self.check_mode = check_mode
        self.concurrency = max(1, concurrency)
        self.writes = 0

    def enabled_drivers(self):
        """Hardware types Ironic reports, or None when the token may not list them (system scope needed)."""
        try:
            return sorted(d.name for d in self.conn.baremetal.drivers())
        except Exception:  # pylint: disable=broad-except
            return None

    def read(self, names):
        """The named nodes, their ports by node ID, and who holds every MAC Ironic knows ({mac: node name or ID})."""
        wanted = set(names)
        try:
            every = list(self.conn.baremetal.nodes(details=True))
            nodes = {n.name: n for n in every if n.name in wanted}
            label = {n.id: n.name or n.id for n in every}
            ids = {n.id for n in nodes.values()}
            ports = {}
            holders = {}
            for port in self.conn.baremetal.ports(details=True):
                holders[fleet.normalize_mac(port.address)] = (port.node_id, label.get(port.node_id, port.node_id))
                if port.node_id in ids:
                    ports.setdefault(port.node_id, []).append({"address": port.address, "pxe_enabled": port.is_pxe_enabled,
                                                               "uuid": port.id})
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError(failed("read", "bare-metal nodes", None, sdk_message(exc)))
        self.holders = holders
        return nodes, ports

    def _write(self, what, fn, *args, **kwargs):
        """The one write path: counts the call; check mode never gets here."""
        self.writes += 1
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("%s: %s" % (what, sdk_message(exc)))

    def _apply_present(self, node, plan, current):
        baremetal = self.conn.baremetal
        name = node["name"]
        if plan["action"] == "create":
            created = self._write("Failed to create node %s" % name, baremetal.create_node, **plan["create"])
            node_id = created.id
        else:
            node_id = current.id
            if plan["patch"]:
                self._write("Failed to update node %s" % name, baremetal.patch_node, node_id, plan["patch"])
        if plan["traits"] is not None:
            self._write("Failed to set the traits of node %s" % name, baremetal.set_node_traits, node_id, plan["traits"])
        for action, address, data in plan["ports"]:
            if action == "create":
                self._write("Failed to create port %s of node %s" % (address, name), baremetal.create_port,
                            node_id=node_id, address=address, is_pxe_enabled=data["pxe_enabled"])
            else:
                self._write("Failed to update port %s of node %s" % (address, name), baremetal.update_port,
                            data["uuid"], is_pxe_enabled=data["pxe_enabled"])
        return node_id

    def present(self, nodes):
        current, ports = self.read([n["name"] for n in nodes])
        # A MAC that Ironic already holds for another node would fail that node's port creation part-way through
        # the fleet: refused here, before the first write.
        problems = fleet.foreign_macs(nodes, {name: node.id for name, node in current.items()}, self.holders)
        if problems:
            raise ValidationError(problems)

        def plan_one(node):
            have = current.get(node["name"])
            have_ports = ports.get(have.id, []) if have is not None else []
            return node, fleet.plan_node(node, node_dict(have) if have is not None else None, have_ports), have

        # Each plan checks the node's BMC secrets against its scrypt digest (CPU-bound, outside the GIL): in parallel.
        with ThreadPoolExecutor(max_workers=max(1, min(4, len(nodes)))) as pool:
            plans = list(pool.map(plan_one, nodes))
        results = [None] * len(plans)

        def work(index):
            node, plan, have = plans[index]
            started = time.monotonic()
            result = {"name": node["name"], "uuid": have.id if have is not None else None, "action": plan["action"],
                      "changes": plan["changes"], "ports": [{"action": a, "address": m} for a, m, _d in plan["ports"]]}
            if plan["action"] != "none" and not self.check_mode:
                try:
                    result["uuid"] = self._apply_present(node, plan, have)
                except OOOError as exc:
                    result["failed"] = True
                    result["msg"] = exc.message
            result["seconds"] = round(time.monotonic() - started, 3)
            results[index] = result

        self._run(work, len(plans))
        return results

    def absent(self, names, force=False):
        current, _ports = self.read(names)
        busy = sorted(n for n, node in current.items() if node.provision_state in BUSY_STATES and not force)
        if busy:
            raise ValidationError(["node %s: is %s; undeploy it first or set force: true" % (n, current[n].provision_state)
                                   for n in busy])
        results = [None] * len(names)

        def work(index):
            name = names[index]
            node = current.get(name)
            result = {"name": name, "uuid": node.id if node is not None else None, "action": "delete" if node is not None else "none",
                      "changes": ["node"] if node is not None else [], "ports": []}
            if node is not None and not self.check_mode:
                try:
                    if node.is_maintenance is False and force and node.provision_state in BUSY_STATES:
                        self._write("Failed to set maintenance on node %s" % name, self.conn.baremetal.set_node_maintenance, node.id,
                                    "ooo.lifecycle: forced removal")
                    self._write("Failed to delete node %s" % name, self.conn.baremetal.delete_node, node.id)
                except OOOError as exc:
                    result["failed"] = True
                    result["msg"] = exc.message
            results[index] = result

        self._run(work, len(names))
        return results

    def _run(self, work, count):
        if count == 0:
            return
        with ThreadPoolExecutor(max_workers=min(self.concurrency, count)) as pool:
            list(pool.map(work, range(count)))
