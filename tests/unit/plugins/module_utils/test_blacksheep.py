from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import blacksheep, report
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.blacksheep import (
    DEFAULT_METRICS, describe, find_black_sheep, mad, median, merge_metrics, metrics_from_inventory, profile_of)


def node(name, profile="compute", **metrics):
    return {"name": name, "profile": profile, "metrics": metrics}


def test_median_and_mad():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert mad([1, 2, 3, 4, 100]) == 1
    with pytest.raises(ValueError):
        median([])


def test_the_odd_machine_and_no_other_is_flagged():
    fleet = [node("c0", cpu_count=2, memory_mb=4096), node("c1", cpu_count=1, memory_mb=2048),
             node("c2", cpu_count=2, memory_mb=4096), node("c3", cpu_count=2, memory_mb=4100)]
    result = find_black_sheep(fleet)
    assert result["outliers"] == ["c1"]
    reasons = {r["metric"]: r for r in result["nodes"]["c1"]["reasons"]}
    assert set(reasons) == {"cpu_count", "memory_mb"}
    assert reasons["memory_mb"]["reference"] == 4096 and reasons["memory_mb"]["percent"] == -50.0
    assert describe(reasons["memory_mb"]) == "memory_mb 2048 vs median 4096 (-50.0%)"
    assert result["groups"]["compute"]["judged"]


def test_one_outlier_cannot_drag_the_reference():
    # With a mean, 10 would pull the reference up and could hide or invent outliers; the median stays at 100.
    fleet = [node("n%d" % i, bench_cpu_all=v) for i, v in enumerate([100, 98, 103, 101, 10])]
    result = find_black_sheep(fleet)
    assert result["outliers"] == ["n4"]
    assert result["groups"]["compute"]["metrics"]["bench_cpu_all"]["median"] == 100


def test_direction_low_ignores_faster_machines_and_noise_within_tolerance():
    fleet = [node("a", bench_disk_write_mbps=100), node("b", bench_disk_write_mbps=300),
             node("c", bench_disk_write_mbps=110), node("d", bench_disk_write_mbps=80)]
    assert find_black_sheep(fleet)["outliers"] == []


def test_small_groups_are_not_judged_and_say_why():
    fleet = [node("ctl", profile="controller", cpu_count=8), node("c0", cpu_count=2), node("c1", cpu_count=1)]
    result = find_black_sheep(fleet)
    assert result["outliers"] == []
    assert not result["nodes"]["c1"]["judged"]
    assert "at least 3" in result["groups"]["compute"]["reason"]
    assert find_black_sheep(fleet, min_group=2)["outliers"] == []  # two machines differ; neither is the odd one by MAD


def test_categorical_needs_a_majority():
    fleet = [node("a", cpu_model="X"), node("b", cpu_model="X"), node("c", cpu_model="Y")]
    assert find_black_sheep(fleet)["outliers"] == ["c"]
    split = [node("a", cpu_model="X"), node("b", cpu_model="Y"), node("c", cpu_model="Z")]
    assert find_black_sheep(split)["outliers"] == []


def test_groups_are_compared_separately():
    fleet = [node("c%d" % i, cpu_count=2) for i in range(3)] + [node("s%d" % i, profile="storage", cpu_count=16) for i in range(3)]
    assert find_black_sheep(fleet)["outliers"] == []


def test_merge_metrics_overrides_skips_and_reports_problems():
    metrics, problems = merge_metrics({"memory_mb": {"tolerance": 0.5}, "cpu_model": None, "gpu_count": {"kind": "numeric"}})
    assert problems == []
    assert metrics["memory_mb"]["tolerance"] == 0.5 and metrics["memory_mb"]["direction"] == "both"
    assert "cpu_model" not in metrics and "gpu_count" in metrics
    _metrics, problems = merge_metrics({"memory_mb": {"tolerence": 1}, "disk_gb": {"direction": "up", "tolerance": -1},
                                        "nic_count": 3})
    assert any("metrics.memory_mb: unknown key(s) tolerence" in p for p in problems)
    assert any("metrics.disk_gb.direction" in p for p in problems)
    assert any("metrics.disk_gb.tolerance" in p for p in problems)
    assert any(p.startswith("metrics.nic_count: expected a mapping") for p in problems)
    assert set(DEFAULT_METRICS) >= {"cpu_count", "memory_mb", "bench_cpu_all"}


def test_metrics_from_an_ipa_inventory():
    inventory = {"cpu": {"count": 2, "model_name": "Xeon", "architecture": "x86_64"},
                 "memory": {"total": 4 * 1024 ** 3, "physical_mb": 4096},
                 "disks": [{"name": "/dev/vda", "size": 50 * 1024 ** 3}, {"name": "/dev/vdb", "size": 10 * 1024 ** 3}],
                 "interfaces": [{"name": "eth0", "mac_address": "52:54:00:00:00:10", "speed_mbps": 10000},
                                {"name": "eth1", "mac_address": "52:54:00:01:00:10", "speed_mbps": 1000}],
                 "system_vendor": {"product_name": "lab", "firmware": {"version": "1.2"}}}
    got = metrics_from_inventory(inventory, {"benchmarks": {"cpu_all": 1000, "disk_read_mbps": 300}})
    assert got == {"cpu_count": 2, "cpu_model": "Xeon", "memory_mb": 4096, "disk_count": 2, "disk_gb": 60, "nic_count": 2,
                   "nic_speed_mbps": 1000, "system_product": "lab", "firmware_version": "1.2", "bench_cpu_all": 1000,
                   "bench_disk_read_mbps": 300}
    assert metrics_from_inventory({}, None) == {}


@pytest.mark.parametrize("props, profile", [
    ({"capabilities": "profile:compute,boot_mode:uefi"}, "compute"),
    ({"capabilities": "boot_mode:uefi"}, None),
    ({"capabilities": {"profile": "control"}}, "control"),
    ({}, None),
])
def test_profile_of(props, profile):
    assert profile_of(props) == profile


def test_reports_name_the_black_sheep_and_its_metric():
    fleet = [node("c0", memory_mb=4096), node("c1", memory_mb=2048), node("c2", memory_mb=4096),
             node("ctl", profile="controller", memory_mb=8192)]
    result = find_black_sheep(fleet)
    md = report.markdown(result)
    assert "**1 black sheep**: c1" in md
    assert "| c1 | compute | BLACK SHEEP | memory_mb 2048 vs median 4096 (-50.0%) |" in md
    assert "| c0 | compute | ok |" in md
    assert "Not judged" in md
    page = report.html(result)
    assert page.count("<svg") == 2  # one chart per numeric metric and profile
    assert page.count('class="sheep" x=') == 1
    assert 'data-metric="memory_mb"' in page and "median 4096" in page


def test_metrics_from_hardware_detect_extra_data():
    extra = {"cpu": {"logical": {"number": 2, "loops_per_sec": 2400, "forked_bandwidth_1M": "5120"},
                     "logical_0": {"loops_per_sec": "1210", "bogomips": "4800.00"}},
             "disk": {"sda": {"standalone_read_1M_KBps": 204800, "standalone_read_1M_IOps": 200}}}
    metrics = blacksheep.metrics_from_inventory({}, {"extra": extra})
    assert metrics == {"bench_cpu_all": 2400, "bench_cpu_single": 1210, "bench_memory_mbps": 5120, "bench_disk_read_mbps": 200.0}
    assert blacksheep.metrics_from_extra({"cpu": {"logical_0": {"loops_per_sec": "n/a"}}}) == {}
    assert blacksheep.metrics_from_extra(None) == {}
