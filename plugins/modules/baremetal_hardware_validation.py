#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: baremetal_hardware_validation
short_description: Find the black sheep of a bare-metal fleet and quarantine them
version_added: 0.1.0
description:
  - Reads the inventory and benchmark results Ironic stored when it inspected the nodes, groups the nodes by profile
    (the C(profile) capability), and compares each metric (CPU count and model, RAM, disks, NICs, firmware,
    CPU/memory/disk benchmarks) with the node's peers using the median and the median absolute deviation (MAD).
  - A node is an outlier for a metric when it is further from the median than both O(mad_k) robust deviations and
    the metric's relative tolerance (and, for throughput, only when it is slower). Categorical metrics (CPU model,
    firmware) flag the nodes that differ from a strict majority.
  - Outliers are quarantined (maintenance with the reason, or a trait); nodes this module quarantined before and that
    now match their peers are released. A Markdown report and an HTML page with a chart per metric are written.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Returns the verdicts and the planned quarantine changes; writes nothing, neither to Ironic nor reports.
  diff_mode:
    support: none
    description: The C(quarantine) and C(release) lists show what changes.
options:
  nodes:
    description: Names or UUIDs of the nodes to compare; all nodes when omitted.
    type: list
    elements: str
  metrics:
    description:
      - Per-metric settings merged over the defaults, by metric name - C(kind) (numeric or categorical),
        C(tolerance) (fraction of the median), C(direction) (both, low, high), C(mad_k), C(label).
        A metric set to null is not compared.
    type: dict
    default: {}
  mad_k:
    description: How many robust standard deviations (1.4826 x MAD) a value may be from the median.
    type: float
    default: 3.5
  min_group:
    description: Profiles with fewer nodes are reported as not judged (with two machines, nobody can tell which is odd).
    type: int
    default: 3
  quarantine:
    description: How outliers are set aside - maintenance with the reason, a trait (O(trait)), or not at all.
    type: str
    default: maintenance
    choices: [maintenance, trait, none]
  trait:
    description: The trait added with O(quarantine=trait).
    type: str
    default: CUSTOM_OOO_BLACK_SHEEP
  require_inventory:
    description: Fail when some nodes were never inspected; when false they are reported and left out.
    type: bool
    default: true
  report_dir:
    description: Directory where C(hardware-validation.md) and C(hardware-validation.html) are written; none when omitted.
    type: path
  concurrency:
    description: How many nodes are read or changed at the same time.
    type: int
    default: 8
'''

EXAMPLES = r'''
- name: Compare the fleet, quarantine the black sheep, write the report
  ooo.lifecycle.baremetal_hardware_validation:
    cloud: undercloud
    metrics:
      bench_disk_write_mbps: {tolerance: 0.5}
      firmware_version: null
    report_dir: /var/lib/ooo/reports
  register: validation
'''

RETURN = r'''
outliers:
  description: Names of the black sheep.
  returned: always
  type: list
  elements: str
nodes:
  description: Per node - profile, outlier, judged, metrics, and reasons (metric, value, reference, deviation, robust_z, percent).
  returned: always
  type: dict
groups:
  description: Per profile - members, judged, and per metric the median and MAD (or the mode) and each node's value.
  returned: always
  type: dict
quarantine:
  description: Nodes quarantined by this run (in check mode, that would be).
  returned: always
  type: list
  elements: str
release:
  description: Nodes released from an earlier quarantine of this module (in check mode, that would be).
  returned: always
  type: list
  elements: str
not_inspected:
  description: Nodes left out because Ironic has no inventory for them.
  returned: always
  type: list
  elements: str
report:
  description: Paths of the reports written.
  returned: when O(report_dir) is set
  type: dict
writes:
  description: Number of write calls made to Ironic.
  returned: always
  type: int
failures:
  description: One message per quarantine change that Ironic refused; the others were applied, and the task fails
    with the verdicts, the report and what was applied in its result.
  returned: when a quarantine change failed
  type: list
  elements: str
'''

import os
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import report
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.blacksheep import (
    find_black_sheep, merge_metrics, metrics_from_inventory)
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.inventory import list_nodes, read_inventories
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError, ValidationError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    call,
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)

REASON_PREFIX = "ooo.lifecycle hardware validation"


def quarantine_reason(verdict):
    # Names the metrics, not the values: the same verdict gives the same reason, so a rerun writes nothing.
    return "%s: black sheep of profile %s (%s)" % (REASON_PREFIX, verdict["profile"],
                                                   ", ".join(sorted(set(r["metric"] for r in verdict["reasons"]))))


def plan_quarantine(entries, result, method, trait):
    """[(name, action, argument)] - pure: what to change so that exactly the outliers are quarantined."""
    actions = []
    for name in sorted(result["nodes"]):
        verdict = result["nodes"][name]
        entry = entries[name]
        traits = entry.get("traits") or []
        if verdict["outlier"]:
            if method == "maintenance":
                reason = quarantine_reason(verdict)
                if not (entry["maintenance"] and entry["maintenance_reason"] == reason):
                    actions.append((name, "quarantine", reason))
            elif method == "trait" and trait not in traits:
                actions.append((name, "quarantine", trait))
        elif verdict["judged"]:
            if entry["maintenance"] and (entry["maintenance_reason"] or "").startswith(REASON_PREFIX):
                actions.append((name, "release", "maintenance"))
            if trait in traits:
                actions.append((name, "release", "trait"))
    return actions


def run_each(actions, one, concurrency):
    """Every action, each on its own: one that fails does not stop the others. Returns (done, failures): the
    actions that were applied, and a message per action that was not."""
    def guarded(action):
        try:
            one(action)
            return action, None
        except Exception as exc:  # pylint: disable=broad-except
            return action, str(exc)
    if not actions:
        return [], []
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(actions)))) as pool:
        outcomes = list(pool.map(guarded, actions))
    return [a for a, error in outcomes if error is None], [error for _a, error in outcomes if error is not None]


def apply_actions(conn, entries, actions, method, trait, concurrency):
    def one(action):
        name, kind, arg = action
        uuid = entries[name]["uuid"]
        if kind == "quarantine" and method == "maintenance":
            call("set maintenance on", "node", name, conn.baremetal.set_node_maintenance, uuid, arg)
        elif kind == "quarantine":
            call("add the trait to", "node", name, conn.baremetal.add_node_trait, uuid, trait)
        elif arg == "maintenance":
            call("unset maintenance on", "node", name, conn.baremetal.unset_node_maintenance, uuid)
        else:
            call("remove the trait from", "node", name, conn.baremetal.remove_node_trait, uuid, trait)
    return run_each(actions, one, concurrency)


def write_reports(directory, result):
    os.makedirs(directory, exist_ok=True)
    paths = {"markdown": os.path.join(directory, "hardware-validation.md"),
             "html": os.path.join(directory, "hardware-validation.html")}
    changed = False
    for kind, text in (("markdown", report.markdown(result)), ("html", report.html(result))):
        path = paths[kind]
        try:
            with open(path) as handle:
                if handle.read() == text:
                    continue
        except OSError:
            pass
        tmp = path + ".tmp"
        with open(tmp, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
        changed = True
    return paths, changed


def run_module(module):
    p = module.params
    metrics, problems = merge_metrics(p["metrics"])
    if p["mad_k"] < 0:
        problems.append("mad_k: %s must be >= 0" % p["mad_k"])
    if p["min_group"] < 2:
        problems.append("min_group: %s must be at least 2 (one node has no peers)" % p["min_group"])
    if problems:
        raise ValidationError(problems)
    conn = open_connection(p)
    nodes = list_nodes(conn, p["nodes"])
    entries = read_inventories(conn, nodes, p["concurrency"])
    for node in nodes:
        entries[node.name or node.id]["traits"] = list(node.traits or [])
    missing = sorted(name for name, e in entries.items() if e["inventory"] is None)
    if missing and p["require_inventory"]:
        raise OOOError("No stored inventory for node(s) %s: inspect them first (playbooks/baremetal_introspect.yml), "
                       "or set require_inventory=false to leave them out" % ", ".join(missing))
    facts = [{"name": name, "profile": e["profile"], "metrics": metrics_from_inventory(e["inventory"], e["plugin_data"])}
             for name, e in sorted(entries.items()) if e["inventory"] is not None]
    result = find_black_sheep(facts, metrics, mad_k=p["mad_k"], min_group=p["min_group"])
    actions = plan_quarantine(entries, result, p["quarantine"], p["trait"]) if p["quarantine"] != "none" else []
    done, failures = (actions, []) if module.check_mode else apply_actions(conn, entries, actions, p["quarantine"], p["trait"],
                                                                           p["concurrency"])
    writes = 0 if module.check_mode else len(done)
    out = dict(changed=bool(done), outliers=result["outliers"], nodes=result["nodes"], groups=result["groups"],
               quarantine=[a[0] for a in actions if a[1] == "quarantine"],
               release=sorted(set(a[0] for a in actions if a[1] == "release")), not_inspected=missing, writes=writes)
    if p["report_dir"]:
        paths = {"markdown": os.path.join(p["report_dir"], "hardware-validation.md"),
                 "html": os.path.join(p["report_dir"], "hardware-validation.html")}
        if not module.check_mode:
            paths, report_changed = write_reports(p["report_dir"], result)
            out["changed"] = out["changed"] or report_changed
        out["report"] = paths
    if failures:
        # The verdicts, the report and what was applied are kept in the result; the rerun applies the rest.
        raise OOOError("Failed to apply %d of %d quarantine changes: %s" % (len(failures), len(actions), "; ".join(failures[:10])),
                       **dict(out, failures=failures))
    return out


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            nodes=dict(type="list", elements="str"),
            metrics=dict(type="dict", default={}),
            mad_k=dict(type="float", default=3.5),
            min_group=dict(type="int", default=3),
            quarantine=dict(type="str", default="maintenance", choices=["maintenance", "trait", "none"]),
            trait=dict(type="str", default="CUSTOM_OOO_BLACK_SHEEP"),
            require_inventory=dict(type="bool", default=True),
            report_dir=dict(type="path"),
            concurrency=dict(type="int", default=8),
        ),
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
