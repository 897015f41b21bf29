"""ooo.lifecycle.baremetal_nodes against the real Ironic of the undercloud."""
import json
import subprocess
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import TOP, VENV_BIN, ansible_env, run_module

MODULE = "ooo.lifecycle.baremetal_nodes"
BAD = sorted((Path(__file__).parent / "files" / "bad_nodes").glob("*.yaml"))
CONTRACT = {"changed", "nodes", "summary", "writes"}


def fleet(prefix, count=3, password="bmc-Secret-1"):
    nodes = []
    for i in range(count):
        mac = "52:54:00:%s:%02x:" % (prefix[-2:], i)
        node = {"name": "%s-%d" % (prefix, i), "driver": "fake-hardware", "resource_class": "baremetal",
                "ports": [{"address": mac + "01"}, {"address": mac + "02", "pxe_enabled": False}],
                "properties": {"cpus": 4, "memory_mb": 8192, "local_gb": 40, "cpu_arch": "x86_64"},
                "capabilities": {"profile": "compute", "boot_mode": "uefi"}, "traits": ["CUSTOM_LAB"]}
        nodes.append(node)
    # One node with a real BMC driver and credentials (TEST-NET address, never contacted while enrolled).
    nodes.append({"name": "%s-ipmi" % prefix, "driver": "ipmi",
                  "driver_info": {"ipmi_address": "192.0.2.77", "ipmi_username": "admin", "ipmi_password": password},
                  "ports": [{"address": "52:54:00:%s:ff:01" % prefix[-2:]}]})
    return nodes


@pytest.fixture
def prefix(conn):
    value = "it%s" % uuid.uuid4().hex[:4]
    yield value
    for node in list(conn.baremetal.nodes()):
        if node.name and node.name.startswith(value):
            conn.baremetal.delete_node(node)


def ironic_names(conn, prefix):
    return sorted(n.name for n in conn.baremetal.nodes() if n.name and n.name.startswith(prefix))


def four_times(args):
    """check -> apply -> check -> apply; returns the four results."""
    results = [run_module(MODULE, args, check=True, diff=True), run_module(MODULE, args),
               run_module(MODULE, args, check=True), run_module(MODULE, args)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
        assert CONTRACT <= set(result)
    return results


def test_enroll_from_nodes_yaml_check_apply_check_apply(conn, prefix, tmp_path):
    path = tmp_path / "nodes.yaml"
    path.write_text(yaml.safe_dump({"nodes": fleet(prefix)}))
    first, second, third, fourth = four_times({"cloud": "undercloud", "nodes_file": str(path)})
    assert first["changed"] and first["summary"]["create"] == 4 and first["writes"] == 0
    assert second["changed"] and second["summary"]["create"] == 4 and second["writes"] > 0
    assert not third["changed"] and third["summary"]["none"] == 4
    assert not fourth["changed"] and fourth["writes"] == 0
    assert ironic_names(conn, prefix) == sorted(n["name"] for n in fleet(prefix))
    node = conn.baremetal.find_node("%s-1" % prefix)
    assert node.properties["capabilities"] == "boot_mode:uefi,profile:compute"
    assert node.properties["memory_mb"] == 8192
    assert node.traits == ["CUSTOM_LAB"]
    ports = {p.address: p.is_pxe_enabled for p in conn.baremetal.ports(node_id=node.id, details=True)}
    assert ports == {"52:54:00:%s:01:01" % prefix[-2:]: True, "52:54:00:%s:01:02" % prefix[-2:]: False}


def test_check_mode_creates_nothing(conn, prefix):
    result = run_module(MODULE, {"cloud": "undercloud", "nodes": fleet(prefix)}, check=True)
    assert result["changed"] and result["writes"] == 0
    assert ironic_names(conn, prefix) == []


def test_enroll_from_instackenv_json(conn, prefix, tmp_path):
    entries = [{"name": "%s-%d" % (prefix, i), "pm_type": "ipmi", "pm_addr": "192.0.2.%d" % (20 + i), "pm_user": "root",
                "pm_password": "instack-Pw-%d" % i, "mac": ["52:54:00:%s:%02x:aa" % (prefix[-2:], i)], "cpu": 2, "memory": 4096,
                "disk": 20, "arch": "x86_64", "capabilities": "profile:control,boot_mode:uefi"} for i in range(3)]
    path = tmp_path / "instackenv.json"
    path.write_text(json.dumps({"nodes": entries}))
    first, second, third, fourth = four_times({"cloud": "undercloud", "nodes_file": str(path)})
    assert second["summary"]["create"] == 3
    assert not third["changed"] and not fourth["changed"] and fourth["writes"] == 0
    node = conn.baremetal.find_node("%s-2" % prefix)
    assert node.driver == "ipmi"
    assert node.driver_info["ipmi_address"] == "192.0.2.22"
    assert node.driver_info["ipmi_password"] == "******"
    assert node.properties["capabilities"] == "boot_mode:uefi,profile:control"


def test_property_port_and_password_changes_are_each_detected(conn, prefix):
    args = {"cloud": "undercloud", "nodes": fleet(prefix)}
    run_module(MODULE, args)
    changed = fleet(prefix, password="bmc-Secret-2")
    changed[0]["properties"]["memory_mb"] = 16384
    changed[1]["ports"][1]["pxe_enabled"] = True
    args = {"cloud": "undercloud", "nodes": changed}
    planned = run_module(MODULE, args, check=True, diff=True)
    by_name = {r["name"]: r for r in planned["nodes"]}
    assert by_name["%s-0" % prefix]["changes"] == ["properties.memory_mb"]
    assert by_name["%s-1" % prefix]["changes"] == ["ports.52:54:00:%s:01:02" % prefix[-2:]]
    assert by_name["%s-ipmi" % prefix]["changes"] == ["driver_info.ipmi_password"]
    assert by_name["%s-2" % prefix]["action"] == "none"
    assert planned["summary"] == {"create": 0, "update": 3, "delete": 0, "none": 1, "failed": 0}
    assert "bmc-Secret-2" not in json.dumps(planned)
    applied = run_module(MODULE, args)
    assert applied["summary"]["update"] == 3
    assert conn.baremetal.find_node("%s-0" % prefix).properties["memory_mb"] == 16384
    again = run_module(MODULE, args)
    assert not again["changed"] and again["writes"] == 0


def test_remove_check_apply_check_apply_and_refuse_active(conn, prefix):
    run_module(MODULE, {"cloud": "undercloud", "nodes": fleet(prefix)})
    args = {"cloud": "undercloud", "state": "absent", "nodes": [{"name": "%s-0" % prefix}, {"name": "%s-1" % prefix}]}
    first, second, third, fourth = four_times(args)
    assert first["summary"]["delete"] == 2 and first["writes"] == 0
    assert second["summary"]["delete"] == 2
    assert not third["changed"] and not fourth["changed"]
    assert ironic_names(conn, prefix) == sorted(["%s-2" % prefix, "%s-ipmi" % prefix])


@pytest.mark.parametrize("case", BAD, ids=[p.stem for p in BAD])
def test_bad_input_is_reported_and_ironic_untouched(conn, case):
    spec = yaml.safe_load(case.read_text())
    before = sorted(n.id for n in conn.baremetal.nodes())
    result = run_module(MODULE, {"cloud": "undercloud", "nodes": spec["nodes"]})
    assert result.get("failed") is True
    assert spec["expect"] in result["msg"], result["msg"]
    assert sorted(n.id for n in conn.baremetal.nodes()) == before


def test_no_bmc_password_in_verbose_output(conn, prefix, tmp_path):
    password = "Very-Secret-%s" % uuid.uuid4().hex[:6]
    nodes = fleet(prefix, password=password)
    playbook = tmp_path / "enroll.yml"
    playbook.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Enroll", "ooo.lifecycle.baremetal_nodes": {"cloud": "undercloud", "nodes": nodes}},
        {"name": "Enroll again", "ooo.lifecycle.baremetal_nodes": {"cloud": "undercloud", "nodes": nodes}, "diff": True}]}]))
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-vvv", str(playbook)], cwd=TOP, env=ansible_env(),
                          capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    assert "Enroll again" in output
    assert password not in output
    assert "ipmi_password" in output  # the field is named, its value is not


def test_lab_machines_are_enrolled_behind_their_bmcs(conn, lab):
    spec = yaml.safe_load((TOP / "inventories" / "lab" / "nodes.yaml").read_text())["nodes"]
    for entry in spec:
        node = conn.baremetal.find_node(entry["name"])
        assert node is not None, entry["name"]
        assert node.driver == "redfish" and node.power_interface == "redfish" and node.management_interface == "redfish"
        assert node.driver_info["redfish_system_id"] == entry["driver_info"]["redfish_system_id"]
        ports = list(conn.baremetal.ports(node_id=node.id, details=True))
        assert sorted(p.address for p in ports) == sorted(p["address"] for p in entry["ports"])
        assert [p.address for p in ports if p.is_pxe_enabled] == [p["address"] for p in entry["ports"] if p["pxe_enabled"]]
    # Measured by inspection (the black sheep's CPU set and memory limit).
    black_sheep = conn.baremetal.find_node("compute-1")
    assert black_sheep.properties["cpus"] == 1 and black_sheep.properties["memory_mb"] == 2048
