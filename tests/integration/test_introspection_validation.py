"""Inspection by ironic-python-agent in the lab machines' ramdisks, black-sheep detection and quarantine, against the
real Ironic of the lab."""
import json
from pathlib import Path

import yaml

from conftest import TOP, run_module, run_playbook, recap

STORE = Path("/var/lib/ooo-undercloud/introspection")
REPORTS = Path("/var/lib/ooo-undercloud/reports")
VALIDATE = "ooo.lifecycle.baremetal_hardware_validation"
LAB_NODES = ["compute-0", "compute-1", "compute-2", "controller-0"]


def lab_spec():
    return dict((n["name"], n) for n in yaml.safe_load((TOP / "inventories" / "lab" / "nodes.yaml").read_text())["nodes"])


def test_each_machine_reported_its_own_inventory_and_ironic_processed_it(conn, lab):
    spec = lab_spec()
    assert sorted(spec) == LAB_NODES
    for name, entry in spec.items():
        node = conn.baremetal.find_node(name)
        data = conn.baremetal.get_node_inventory(node.id)
        inventory, plugin_data = data["inventory"], data["plugin_data"]
        # The agent ran inside this machine: its NICs are the node's enrolled ports.
        assert sorted(i["mac_address"] for i in inventory["interfaces"]) == sorted(p["address"] for p in entry["ports"])
        # Ironic's hooks set the properties from the inventory: the machine's CPU set and memory limit, its one disk.
        assert node.properties["memory_mb"] == inventory["memory"]["physical_mb"]
        assert node.properties["cpus"] == inventory["cpu"]["count"]
        assert node.properties["local_gb"] == inventory["disks"][0]["size"] // 1024 ** 3 - 1
        assert node.properties["cpu_arch"] == inventory["cpu"]["architecture"] == entry["properties"]["cpu_arch"]
        # IPA's extra-hardware collector ran hardware-detect with its CPU benchmark (Ironic's extra-hardware hook).
        cpu = plugin_data["extra"]["cpu"]
        assert cpu["logical"]["loops_per_sec"] > 0 and cpu["logical_0"]["loops_per_sec"] > 0
        assert node.inspection_finished_at if hasattr(node, "inspection_finished_at") else True
        # The boot interface the agent reported (BOOTIF, as PXE gives it) is the ctlplane NIC, the one enrolled PXE-enabled.
        pxe = [p["address"] for p in entry["ports"] if p["pxe_enabled"]]
        assert inventory["boot"]["pxe_interface"].replace("-", ":").lower()[-17:] == pxe[0]
        stored = json.loads((STORE / ("%s.json" % name)).read_text())
        assert stored["inventory"] == inventory
    sheep = conn.baremetal.get_node_inventory(conn.baremetal.find_node("compute-1").id)["inventory"]
    assert sheep["cpu"]["count"] == 1 and sheep["memory"]["physical_mb"] == 2048


def test_exactly_the_odd_machine_is_flagged_and_quarantined(conn, lab):
    result = run_module(VALIDATE, {"cloud": "undercloud", "nodes": LAB_NODES}, check=True)
    assert result["outliers"] == ["compute-1"], json.dumps(result["nodes"], indent=1)
    reasons = dict((r["metric"], r) for r in result["nodes"]["compute-1"]["reasons"])
    assert {"cpu_count", "memory_mb"} <= set(reasons)
    assert reasons["cpu_count"]["value"] == 1 and reasons["cpu_count"]["reference"] == 2
    assert reasons["memory_mb"]["value"] == 2048
    assert result["groups"]["compute"]["judged"] and not result["groups"]["controller"]["judged"]
    # The lab run already quarantined it: nothing left to do.
    assert not result["changed"] and result["writes"] == 0
    node = conn.baremetal.find_node("compute-1")
    assert node.is_maintenance and node.maintenance_reason.startswith("ooo.lifecycle hardware validation")
    assert "cpu_count" in node.maintenance_reason
    for other in ("compute-0", "compute-2", "controller-0"):
        assert not conn.baremetal.find_node(other).is_maintenance


def test_report_lists_the_black_sheep_with_metric_and_values(lab):
    md = (REPORTS / "hardware-validation.md").read_text()
    assert "**1 black sheep**: compute-1" in md
    line = [x for x in md.splitlines() if x.startswith("| compute-1 |")][0]
    assert "BLACK SHEEP" in line and "memory_mb 2048 vs median" in line and "cpu_count 1 vs median 2" in line
    for ok in ("compute-0", "compute-2"):
        assert [x for x in md.splitlines() if x.startswith("| %s |" % ok)][0].startswith("| %s | compute | ok |" % ok)
    page = (REPORTS / "hardware-validation.html").read_text()
    assert page.count("<svg") >= 5
    assert 'data-metric="memory_mb"' in page and 'data-metric="bench_cpu_all"' in page
    assert "<title>compute-1: 2048</title>" in page


def test_quarantine_check_apply_check_apply_and_release(conn, lab):
    args = {"cloud": "undercloud", "nodes": LAB_NODES}
    sheep = conn.baremetal.find_node("compute-1")
    reason = sheep.maintenance_reason
    peer = conn.baremetal.find_node("compute-0")
    conn.baremetal.unset_node_maintenance(sheep.id)
    conn.baremetal.set_node_maintenance(peer.id, "ooo.lifecycle hardware validation: left from an earlier run")
    try:
        first = run_module(VALIDATE, args, check=True)
        assert first["changed"] and first["quarantine"] == ["compute-1"] and first["release"] == ["compute-0"]
        assert first["writes"] == 0 and not conn.baremetal.get_node(sheep.id).is_maintenance
        second = run_module(VALIDATE, args)
        assert second["changed"] and second["writes"] == 2
        assert conn.baremetal.get_node(sheep.id).maintenance_reason == reason
        assert not conn.baremetal.get_node(peer.id).is_maintenance
        third = run_module(VALIDATE, args, check=True)
        fourth = run_module(VALIDATE, args)
        assert not third["changed"] and not fourth["changed"] and fourth["writes"] == 0
    finally:
        conn.baremetal.set_node_maintenance(sheep.id, reason)
        conn.baremetal.unset_node_maintenance(peer.id)


def test_operator_maintenance_is_not_released(conn, lab):
    peer = conn.baremetal.find_node("compute-2")
    conn.baremetal.set_node_maintenance(peer.id, "disk replaced, operator check pending")
    try:
        result = run_module(VALIDATE, {"cloud": "undercloud", "nodes": LAB_NODES}, check=True)
        assert result["release"] == [] and not result["changed"]
    finally:
        conn.baremetal.unset_node_maintenance(peer.id)


def test_trait_quarantine(conn, lab):
    args = {"cloud": "undercloud", "nodes": LAB_NODES, "quarantine": "trait", "trait": "CUSTOM_TEST_SHEEP"}
    try:
        applied = run_module(VALIDATE, args)
        assert applied["quarantine"] == ["compute-1"] and applied["writes"] == 1
        assert "CUSTOM_TEST_SHEEP" in conn.baremetal.find_node("compute-1").traits
        again = run_module(VALIDATE, args)
        assert not again["changed"] and again["writes"] == 0
    finally:
        conn.baremetal.remove_node_trait(conn.baremetal.find_node("compute-1").id, "CUSTOM_TEST_SHEEP")


def test_bad_validation_input_names_the_field_and_writes_nothing(conn, lab):
    before = dict((n.name, (n.is_maintenance, n.maintenance_reason, tuple(n.traits or []))) for n in conn.baremetal.nodes(details=True))
    result = run_module(VALIDATE, {"cloud": "undercloud", "nodes": LAB_NODES,
                                   "metrics": {"memory_mb": {"tolerence": 0.1}, "disk_gb": {"direction": "sideways"}},
                                   "min_group": 1})
    assert result["failed"]
    for expected in ("metrics.memory_mb: unknown key(s) tolerence", "metrics.disk_gb.direction", "min_group: 1 must be at least 2"):
        assert expected in result["msg"], result["msg"]
    unknown = run_module(VALIDATE, {"cloud": "undercloud", "nodes": ["compute-0", "no-such-node"]})
    assert unknown["failed"] and "Unknown node(s): no-such-node" in unknown["msg"]
    after = dict((n.name, (n.is_maintenance, n.maintenance_reason, tuple(n.traits or []))) for n in conn.baremetal.nodes(details=True))
    assert after == before


def test_inventory_info_requires_inspection(conn, lab):
    found = run_module("ooo.lifecycle.baremetal_inventory_info", {"cloud": "undercloud", "nodes": LAB_NODES, "require": True})
    assert found["not_inspected"] == [] and sorted(found["nodes"]) == LAB_NODES
    assert found["nodes"]["compute-1"]["profile"] == "compute"
    node = conn.baremetal.create_node(name="never-inspected-test", driver="fake-hardware")
    try:
        missing = run_module("ooo.lifecycle.baremetal_inventory_info", {"cloud": "undercloud", "nodes": ["never-inspected-test"],
                                                                        "require": True})
        assert missing["failed"] and "No stored inventory for node(s) never-inspected-test" in missing["msg"]
        validation = run_module(VALIDATE, {"cloud": "undercloud", "nodes": LAB_NODES + ["never-inspected-test"]}, check=True)
        assert validation["failed"] and "never-inspected-test" in validation["msg"]
    finally:
        conn.baremetal.delete_node(node.id)


def test_node_info_lists_what_ironic_has_and_no_bmc_credential(conn, lab):
    listed, output = run_module("ooo.lifecycle.baremetal_node_info", {"cloud": "undercloud"}, raw=True)
    assert not listed.get("failed") and listed["changed"] is False, listed
    ironic = sorted(conn.baremetal.nodes(details=True), key=lambda n: n.name or n.id)
    assert [n["name"] for n in listed["nodes"]] == [n.name or n.id for n in ironic]
    by_name = dict((n["name"], n) for n in listed["nodes"])
    for node in ironic:
        entry = by_name[node.name or node.id]
        assert (entry["uuid"], entry["provision_state"], entry["power_state"], entry["maintenance"]) == (
            node.id, node.provision_state, node.power_state, bool(node.is_maintenance))
    assert by_name["compute-1"]["profile"] == "compute" and by_name["controller-0"]["profile"] == "controller"
    # Nothing of a node's driver_info (the BMC's address, user and password) is returned.
    assert "driver_info" not in output and "redfish_password" not in output and "redfish_username" not in output
    named = run_module("ooo.lifecycle.baremetal_node_info", {"cloud": "undercloud", "nodes": ["controller-0", "compute-0"]})
    assert [n["name"] for n in named["nodes"]] == ["controller-0", "compute-0"]
    unknown = run_module("ooo.lifecycle.baremetal_node_info", {"cloud": "undercloud", "nodes": ["compute-0", "no-such-node"]})
    assert unknown["failed"] and "Unknown node(s): no-such-node" in unknown["msg"]


def test_quarantined_node_is_left_out_of_provide_and_rerun_changes_nothing(conn, lab):
    states = dict((n.name, n.provision_state) for n in conn.baremetal.nodes(details=True) if n.name in LAB_NODES)
    # The deployment's machines are active (Ironic deployed them), the black sheep stays manageable.
    assert states == {"compute-0": "active", "compute-1": "manageable", "compute-2": "active", "controller-0": "active"}
    for playbook in ("baremetal_introspect.yml", "hardware_validate.yml", "baremetal_provide.yml"):
        _rc, output = run_playbook(playbook)
        counters = recap(output)
        assert counters["changed"] == 0 and counters["failed"] == 0, (playbook, output[-4000:])
    _rc, output = run_playbook("baremetal_provide.yml", "-v")
    assert "Skipped node compute-1: in maintenance" in output
