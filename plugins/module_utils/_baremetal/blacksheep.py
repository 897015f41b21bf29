# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Find the black sheep of a fleet: the machines that differ from their peers.

Pure functions. Nodes are grouped by profile; within a group each metric is
compared with robust statistics (median and MAD), so one odd machine cannot
drag the reference towards itself as it would with a mean and a standard
deviation.
"""

from __future__ import annotations

import math

# Scale factor that makes the MAD a consistent estimator of the standard deviation for normal data.
MAD_SCALE = 1.4826

# What is compared by default. `tolerance` is relative to the median: a machine is an outlier
# only when it is both beyond `mad_k` robust deviations and beyond this fraction of the median
# (identical hardware has a MAD of 0, benchmarks are noisy). `direction`: low = only a smaller
# value is bad (throughput), high = only a larger one, both = any difference. The benchmark tolerances are
# wide on purpose: a short benchmark on a shared or busy machine varies by tens of percent, and a machine
# with half the cores or a failing disk is still far outside them.
DEFAULT_METRICS = {
    "cpu_count": {"kind": "numeric", "tolerance": 0.0, "direction": "both", "label": "CPUs"},
    "cpu_model": {"kind": "categorical", "label": "CPU model"},
    "memory_mb": {"kind": "numeric", "tolerance": 0.02, "direction": "both", "label": "RAM (MiB)"},
    "disk_count": {"kind": "numeric", "tolerance": 0.0, "direction": "both", "label": "Disks"},
    "disk_gb": {"kind": "numeric", "tolerance": 0.02, "direction": "both", "label": "Disk size (GiB)"},
    "nic_count": {"kind": "numeric", "tolerance": 0.0, "direction": "both", "label": "NICs"},
    "nic_speed_mbps": {"kind": "numeric", "tolerance": 0.0, "direction": "low", "label": "Slowest NIC (Mbit/s)"},
    "system_product": {"kind": "categorical", "label": "System product"},
    "firmware_version": {"kind": "categorical", "label": "Firmware version"},
    "bench_cpu_single": {"kind": "numeric", "tolerance": 0.35, "direction": "low", "label": "CPU, one core (ops/s)"},
    "bench_cpu_all": {"kind": "numeric", "tolerance": 0.35, "direction": "low", "label": "CPU, all cores (ops/s)"},
    "bench_memory_mbps": {"kind": "numeric", "tolerance": 0.40, "direction": "low", "label": "Memory copy (MB/s)"},
    "bench_disk_write_mbps": {"kind": "numeric", "tolerance": 0.70, "direction": "low", "label": "Disk write (MB/s)"},
    "bench_disk_read_mbps": {"kind": "numeric", "tolerance": 0.70, "direction": "low", "label": "Disk read (MB/s)"},
}

METRIC_KEYS = ("kind", "tolerance", "direction", "mad_k", "label")


def median(values):
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of nothing")
    mid = n // 2
    return float(ordered[mid]) if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def mad(values, center=None):
    """Median absolute deviation."""
    center = median(values) if center is None else center
    return median([abs(v - center) for v in values])


def merge_metrics(overrides):
    """DEFAULT_METRICS updated with the user's settings; returns (metrics, problems)."""
    metrics = dict((k, dict(v)) for k, v in DEFAULT_METRICS.items())
    problems = []
    for name, spec in (overrides or {}).items():
        if spec is None or spec is False:
            metrics.pop(name, None)
            continue
        if not isinstance(spec, dict):
            problems.append("metrics.%s: expected a mapping (kind, tolerance, direction, mad_k, label) or null to skip it" % name)
            continue
        unknown = sorted(set(spec) - set(METRIC_KEYS))
        if unknown:
            problems.append("metrics.%s: unknown key(s) %s; known: %s" % (name, ", ".join(unknown), ", ".join(METRIC_KEYS)))
        merged = dict(metrics.get(name, {"kind": "numeric", "tolerance": 0.0, "direction": "both", "label": name}))
        merged.update(spec)
        if merged.get("kind") not in ("numeric", "categorical"):
            problems.append("metrics.%s.kind: %r is not numeric or categorical" % (name, merged.get("kind")))
        if merged.get("direction", "both") not in ("both", "low", "high"):
            problems.append("metrics.%s.direction: %r is not both, low or high" % (name, merged.get("direction")))
        for key in ("tolerance", "mad_k"):
            if key in merged and (not isinstance(merged[key], (int, float)) or isinstance(merged[key], bool) or merged[key] < 0):
                problems.append("metrics.%s.%s: %r must be a number >= 0" % (name, key, merged[key]))
        metrics[name] = merged
    return metrics, problems


def _numeric_verdict(value, center, spread, spec, mad_k):
    deviation = value - center
    robust = spread * MAD_SCALE
    z = (deviation / robust) if robust else (0.0 if deviation == 0 else math.copysign(float("inf"), deviation))
    allowed = max(mad_k * robust, spec.get("tolerance", 0.0) * abs(center))
    direction = spec.get("direction", "both")
    beyond = abs(deviation) > allowed + 1e-9
    if direction == "low":
        beyond = beyond and deviation < 0
    elif direction == "high":
        beyond = beyond and deviation > 0
    return beyond, deviation, z, allowed


def find_black_sheep(nodes, metrics=None, mad_k=3.5, min_group=3):
    """Compare each node with the other nodes of its profile.

    nodes: list of {"name", "profile", "metrics": {metric: value}}.
    Returns {"outliers": [names], "nodes": {name: {...}}, "groups": {profile: {...}}}.
    A group smaller than min_group is reported as not judged: with two machines
    nobody can tell which one is odd.
    """
    metrics = DEFAULT_METRICS if metrics is None else metrics
    groups = {}
    for node in nodes:
        groups.setdefault(node.get("profile") or "(none)", []).append(node)
    result_nodes = {}
    result_groups = {}
    for profile in sorted(groups):
        members = sorted(groups[profile], key=lambda n: n["name"])
        judged = len(members) >= min_group
        summary = {"members": [m["name"] for m in members], "judged": judged, "metrics": {}}
        if not judged:
            summary["reason"] = "%d node(s); at least %d are needed to tell which one is odd" % (len(members), min_group)
        for node in members:
            result_nodes[node["name"]] = {"name": node["name"], "profile": profile, "outlier": False, "judged": judged,
                                          "reasons": [], "metrics": dict(node.get("metrics") or {})}
        for metric in sorted(metrics):
            spec = metrics[metric]
            present = [(m["name"], (m.get("metrics") or {}).get(metric)) for m in members]
            present = [(name, value) for name, value in present if value is not None]
            if not present:
                continue
            k = spec.get("mad_k", mad_k)
            if spec.get("kind") == "categorical":
                counts = {}
                for _name, value in present:
                    counts[str(value)] = counts.get(str(value), 0) + 1
                mode, mode_count = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
                majority = mode_count * 2 > len(present)
                summary["metrics"][metric] = {"mode": mode, "values": dict((n, v) for n, v in present), "majority": majority}
                if not (judged and majority):
                    continue
                for name, value in present:
                    if str(value) != mode:
                        _flag(result_nodes[name], metric, spec, value, mode, None, None, None)
                continue
            values = [float(v) for _n, v in present]
            center = median(values)
            spread = mad(values, center)
            summary["metrics"][metric] = {"median": center, "mad": spread, "values": dict((n, v) for n, v in present),
                                          "tolerance": spec.get("tolerance", 0.0), "direction": spec.get("direction", "both")}
            if not judged:
                continue
            for name, value in present:
                beyond, deviation, z, allowed = _numeric_verdict(float(value), center, spread, spec, k)
                if beyond:
                    _flag(result_nodes[name], metric, spec, value, center, deviation, z, allowed)
        result_groups[profile] = summary
    outliers = sorted(name for name, r in result_nodes.items() if r["outlier"])
    return {"outliers": outliers, "nodes": result_nodes, "groups": result_groups}


def _flag(entry, metric, spec, value, reference, deviation, z, allowed):
    entry["outlier"] = True
    reason = {"metric": metric, "label": spec.get("label", metric), "value": value, "reference": reference}
    if deviation is not None:
        reason.update(deviation=round(deviation, 3), robust_z=(None if math.isinf(z) else round(z, 2)),
                      allowed=round(allowed, 3),
                      percent=(round(100.0 * deviation / reference, 1) if reference else None))
    entry["reasons"].append(reason)


def describe(reason):
    """One line for a reason: 'memory_mb 2048 vs median 4096 (-50.0%)'."""
    if reason.get("deviation") is None:
        return "%s %s vs %s on its peers" % (reason["metric"], reason["value"], reason["reference"])
    pct = reason.get("percent")
    return "%s %s vs median %s%s" % (reason["metric"], _num(reason["value"]), _num(reason["reference"]),
                                     " (%+.1f%%)" % pct if pct is not None else "")


def _num(value):
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return "%.1f" % value
    return str(value)


def metrics_from_inventory(inventory, plugin_data=None):
    """The comparable facts of one node from Ironic's inventory (IPA format) and its plugin data."""
    inventory = inventory or {}
    plugin_data = plugin_data or {}
    out = {}
    cpu = inventory.get("cpu") or {}
    if cpu.get("count") is not None:
        out["cpu_count"] = cpu["count"]
    if cpu.get("model_name"):
        out["cpu_model"] = cpu["model_name"]
    memory = inventory.get("memory") or {}
    if memory.get("physical_mb"):
        out["memory_mb"] = memory["physical_mb"]
    elif memory.get("total"):
        out["memory_mb"] = memory["total"] // (1024 * 1024)
    disks = inventory.get("disks")
    if isinstance(disks, list):
        out["disk_count"] = len(disks)
        if disks:
            out["disk_gb"] = sum(d.get("size") or 0 for d in disks) // (1024 ** 3)
    nics = inventory.get("interfaces")
    if isinstance(nics, list):
        out["nic_count"] = len(nics)
        speeds = [n.get("speed_mbps") for n in nics if n.get("speed_mbps")]
        if speeds:
            out["nic_speed_mbps"] = min(speeds)
    vendor = inventory.get("system_vendor") or {}
    if vendor.get("product_name"):
        out["system_product"] = vendor["product_name"]
    firmware = vendor.get("firmware") or {}
    if firmware.get("version"):
        out["firmware_version"] = firmware["version"]
    bench = plugin_data.get("benchmarks") or {}
    for key, metric in (("cpu_single", "bench_cpu_single"), ("cpu_all", "bench_cpu_all"), ("memory_mbps", "bench_memory_mbps"),
                        ("disk_write_mbps", "bench_disk_write_mbps"), ("disk_read_mbps", "bench_disk_read_mbps")):
        if bench.get(key) is not None:
            out[metric] = bench[key]
    out.update(metrics_from_extra(plugin_data.get("extra")))
    return out


def _number(value):
    """A number from hardware-detect's values (ints, or strings such as '1234'); None otherwise."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    try:
        return float(value) if "." in str(value) else int(value)
    except (TypeError, ValueError):
        return None


def metrics_from_extra(extra):
    """The benchmark results of hardware-detect (IPA's extra-hardware collector), as Ironic's extra-hardware hook stores
    them: {category: {item: {key: value}}}. CPU: sysbench events per second on the first logical CPU and on all of
    them; memory: the forked 1M-block bandwidth; disk: fio's standalone 1M read and write (KB/s, given in MB/s)."""
    out = {}
    extra = extra or {}
    cpu = extra.get("cpu") or {}
    _num = _number
    for item, metric in (("logical_0", "bench_cpu_single"), ("logical", "bench_cpu_all")):
        value = _num((cpu.get(item) or {}).get("loops_per_sec"))
        if value is not None:
            out[metric] = value
    memory = _num((cpu.get("logical") or {}).get("forked_bandwidth_1M"))
    if memory is not None:
        out["bench_memory_mbps"] = memory
    for disk in sorted(extra.get("disk") or {}):
        values = extra["disk"][disk] or {}
        for key, metric in (("standalone_read_1M_KBps", "bench_disk_read_mbps"), ("standalone_write_1M_KBps", "bench_disk_write_mbps")):
            value = _num(values.get(key))
            if value is not None and metric not in out:
                out[metric] = round(value / 1024.0, 1)
    return out


def profile_of(properties):
    """The profile from a node's capabilities ('profile:compute,boot_mode:uefi' or a dict)."""
    caps = (properties or {}).get("capabilities") or ""
    if isinstance(caps, dict):
        return caps.get("profile")
    for item in str(caps).split(","):
        key, _sep, value = item.partition(":")
        if key.strip() == "profile":
            return value.strip() or None
    return None
