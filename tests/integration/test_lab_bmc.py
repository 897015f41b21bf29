"""The lab machines' BMC (sushy-tools' Redfish emulator with the lab's podman systems driver) and their ramdisk
(ironic-python-agent), driven through the real Ironic of the undercloud.

The machine used is the quarantined black sheep (compute-1): no deployment runs on it, and its disk holds nothing
(Ironic deploys the machines it chooses; test_lab_deploy.py deploys this one). Each test leaves it powered off, as the
lab leaves it.
"""
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from conftest import TOP, run_module, run_playbook, running, wait

SHEEP = "compute-1"
BMC_DIR = Path("/etc/ooo-lab/bmc")
BMC_URL = "http://198.18.0.1:8000"
DISK = Path("/var/lib/ooo-lab/disks/%s.img" % SHEEP)
PROVISION = "ooo.lifecycle.baremetal_provision"
ENROLL = "ooo.lifecycle.baremetal_nodes"


def password():
    return (BMC_DIR / "password").read_text().strip()


def power(conn, state):
    """Power the black sheep through Ironic (boot device disk for "on") and wait until Ironic records it."""
    node = conn.baremetal.find_node(SHEEP)
    if state == "power on":
        conn.baremetal.set_node_boot_device(node.id, "disk", persistent=True)
    conn.baremetal.set_node_power_state(node.id, state)
    wait(lambda: conn.baremetal.get_node(node.id).power_state == state, what="%s %s" % (SHEEP, state))


def host_disk():
    """(major, minor) of the host's first disk that is not a loop, RAM or zram device (/proc/partitions)."""
    for line in Path("/proc/partitions").read_text().splitlines()[2:]:
        major, minor, _blocks, name = line.split()
        if not name.startswith(("loop", "ram", "zram", "nbd", "sr")) and not name[-1].isdigit():
            return int(major), int(minor)
    raise AssertionError("no host disk in /proc/partitions")


@pytest.fixture
def sheep(conn, lab):
    """The black sheep, in maintenance (as the lab leaves it), powered off afterwards."""
    node = conn.baremetal.find_node(SHEEP)
    assert node.is_maintenance, "the lab quarantines %s" % SHEEP
    yield node
    if conn.baremetal.get_node(node.id).power_state != "power off":
        power(conn, "power off")
    assert not running("ooo-lab-" + SHEEP) and not running("ooo-lab-%s-ramdisk" % SHEEP)


def test_bmc_listens_on_the_control_plane_only_and_requires_its_password(lab):
    listening = subprocess.run(["ss", "-ltnH", "sport = :8000"], capture_output=True, text=True, check=True).stdout.split()
    assert "198.18.0.1:8000" in listening and "0.0.0.0:8000" not in listening and "*:8000" not in listening
    assert requests.get(BMC_URL + "/redfish/v1/Systems", timeout=10).status_code == 401
    assert requests.get(BMC_URL + "/redfish/v1/Systems", auth=("admin", "not-the-password"), timeout=10).status_code == 401
    systems = requests.get(BMC_URL + "/redfish/v1/Systems", auth=("admin", password()), timeout=10).json()
    assert systems["Members@odata.count"] == 4
    for path in (BMC_DIR / "password", BMC_DIR / "htpasswd", TOP / "inventories" / "lab" / "nodes.yaml"):
        assert oct(path.stat().st_mode & 0o777) == "0o600", path


def test_the_bmc_password_is_in_no_process_list_log_label_or_ironic_answer(conn, lab):
    secret = password()
    processes = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
    assert secret not in processes
    assert secret not in Path("/var/lib/ooo-lab/bmc/emulator.log").read_text(errors="replace")
    names = subprocess.run(["podman", "ps", "--all", "--filter", "label=ooo.lab", "--format", "{{.Names}}"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert "ooo-lab-compute-0" in names
    labels = subprocess.run(["podman", "inspect"] + names, capture_output=True, text=True, check=True).stdout
    assert secret not in labels
    node = conn.baremetal.find_node(SHEEP)
    assert node.driver == "redfish" and node.driver_info["redfish_password"] == "******"
    assert node.driver_info["redfish_username"] == "admin" and node.driver_info["redfish_address"] == BMC_URL
    # The enrollment at -vvv: the nodes file holds the password, the output does not.
    rc, output = run_playbook("baremetal_enroll.yml", "-vvv")
    assert rc == 0, output[-3000:]
    assert "redfish_password" in output and secret not in output


def test_ironic_power_state_is_the_machine_container(conn, sheep):
    power(conn, "power off")
    assert not running("ooo-lab-" + SHEEP) and not running("ooo-lab-%s-ramdisk" % SHEEP)
    conn.baremetal.set_node_boot_device(sheep.id, "pxe")
    conn.baremetal.set_node_power_state(sheep.id, "power on")
    wait(lambda: conn.baremetal.get_node(sheep.id).power_state == "power on", what="%s power on" % SHEEP)
    assert running("ooo-lab-%s-ramdisk" % SHEEP), "powered on with boot device Pxe: the machine runs its ramdisk"
    # Stopped by hand, behind Ironic's back: Ironic's power sync (every 30 s in the lab) records it as powered off. The
    # sync leaves nodes in maintenance alone, so the quarantine is lifted meanwhile.
    conn.baremetal.unset_node_maintenance(sheep.id)
    try:
        subprocess.run(["podman", "stop", "--time", "0", "ooo-lab-%s-ramdisk" % SHEEP], check=True, capture_output=True)
        wait(lambda: conn.baremetal.get_node(sheep.id).power_state == "power off", timeout=60,
             what="Ironic to see the power off")
    finally:
        conn.baremetal.set_node_maintenance(sheep.id, sheep.maintenance_reason)
    # Its disk holds no operating system (Ironic never deployed it): powered on from its disk, it does not boot, and
    # the module says which node and why, and changes nothing else.
    result = run_module(PROVISION, {"cloud": "undercloud", "nodes": [SHEEP], "power": "on"})
    assert result.get("failed") and SHEEP in result["msg"] and "no bootable disk" in result["msg"], result
    assert not running("ooo-lab-" + SHEEP)
    assert conn.baremetal.get_node(sheep.id).power_state == "power off"


def test_pxe_boot_runs_the_ramdisk_which_sees_exactly_its_own_disk(conn, sheep):
    """The safety test: the ramdisk (IPA) is not privileged, has one block device, its own disk, and lists only it."""
    power(conn, "power off")
    conn.baremetal.set_node_boot_device(sheep.id, "pxe")
    conn.baremetal.set_node_power_state(sheep.id, "power on")
    ramdisk = "ooo-lab-%s-ramdisk" % SHEEP
    wait(lambda: running(ramdisk), what="the ramdisk to run")
    assert not running("ooo-lab-" + SHEEP), "a machine runs its ramdisk or its OS, never both"
    info = json.loads(subprocess.run(["podman", "inspect", ramdisk], capture_output=True, text=True, check=True).stdout)[0]
    assert info["HostConfig"]["Privileged"] is False
    loop = subprocess.run(["losetup", "--associated", str(DISK), "--noheadings", "--output", "NAME"], capture_output=True,
                          text=True, check=True).stdout.split()
    assert len(loop) == 1
    # One device given; podman's inspect names its host path by number only (7:N is also /dev/vcsN), so the number is
    # compared: /dev/sda in the ramdisk is the loop device over the machine's file.
    assert [d["PathInContainer"] for d in info["HostConfig"]["Devices"]] == ["/dev/sda"]
    probe = r'''
import json, os, stat
import ooo_lab_ramdisk
from ironic_python_agent import utils
utils._set_cached_params(ooo_lab_ramdisk.parse_cmdline(open(ooo_lab_ramdisk.CMDLINE).read()))  # as the ramdisk starts
from ironic_python_agent import config, hardware
hardware.get_managers()
disks = [(d.name, d.size) for d in hardware.dispatch_to_managers("list_block_devices", include_partitions=True)]
nodes = sorted(e for e in os.listdir("/dev") if stat.S_ISBLK(os.stat("/dev/" + e).st_mode))
root = hardware.dispatch_to_managers("get_os_install_device")
host = %d, %d
try:  # the device cgroup refuses to make a node for another device, and to open one
    os.mknod("/tmp/host-disk", stat.S_IFBLK | 0o600, os.makedev(*host))
    os.close(os.open("/tmp/host-disk", os.O_RDONLY))
    opened = True
except OSError:
    opened = False
sda = os.stat("/dev/sda").st_rdev
print(json.dumps({"disks": disks, "nodes": nodes, "root": root, "host_disk_opened": opened,
                  "sda": [stat.S_ISBLK(os.stat("/dev/sda").st_mode), os.major(sda), os.minor(sda)]}))
''' % host_disk()
    proc = subprocess.run(["podman", "exec", ramdisk, "python", "-c", probe], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["disks"] == [["/dev/sda", DISK.stat().st_size]], seen
    assert seen["nodes"] == ["sda"] and seen["root"] == "/dev/sda"
    loop_rdev = Path(loop[0]).stat().st_rdev
    assert seen["sda"] == [True, os.major(loop_rdev), os.minor(loop_rdev)]
    assert seen["host_disk_opened"] is False, "the ramdisk opened the host's root disk"
    # Every lab machine's inspection (IPA in its ramdisk) reported that one disk.
    for name in ("compute-0", "compute-1", "compute-2", "controller-0"):
        disks = conn.baremetal.get_node_inventory(conn.baremetal.find_node(name).id)["inventory"]["disks"]
        assert [(d["name"], d["size"], d["model"]) for d in disks] == [("/dev/sda", DISK.stat().st_size, "ooo-lab disk")], name
    power(conn, "power off")
    assert not running(ramdisk)


@pytest.fixture
def probe_node(conn):
    name = "bmc-%s" % uuid.uuid4().hex[:4]
    yield name
    node = conn.baremetal.find_node(name)
    if node is not None:
        conn.baremetal.delete_node(node.id)


def redfish_node(name, address=BMC_URL, secret=None):
    system = requests.get(BMC_URL + "/redfish/v1/Systems", auth=("admin", password()), timeout=10).json()["Members"][0]
    return {"name": name, "driver": "redfish", "driver_info": {
        "redfish_address": address, "redfish_system_id": system["@odata.id"], "redfish_username": "admin",
        "redfish_password": secret or password()}}


@pytest.mark.parametrize("fault,expected", [("password", "401"), ("unreachable", "198.18.0.1")])
def test_bmc_faults_name_the_node_and_the_cause_and_a_rerun_recovers(conn, probe_node, fault, expected):
    """A wrong password, or a BMC address where nothing answers: the node fails to become manageable with Ironic's
    cause in the message; once fixed, the same run recovers."""
    bad = redfish_node(probe_node, secret="wrong-password") if fault == "password" \
        else redfish_node(probe_node, address="http://198.18.0.1:8009")
    enrolled = run_module(ENROLL, {"cloud": "undercloud", "nodes": [bad], "drivers": ["redfish"]})
    assert not enrolled.get("failed"), enrolled.get("msg")
    args = {"cloud": "undercloud", "nodes": [probe_node], "target": "manageable", "timeout": 240, "poll_interval": 1}
    failed = run_module(PROVISION, args)
    assert failed.get("failed"), failed
    assert probe_node in failed["msg"] and expected in failed["msg"], failed["msg"]
    assert "wrong-password" not in json.dumps(failed)
    fixed = run_module(ENROLL, {"cloud": "undercloud", "nodes": [redfish_node(probe_node)], "drivers": ["redfish"]})
    assert fixed["changed"] and not fixed.get("failed"), fixed.get("msg")
    recovered = run_module(PROVISION, args)
    assert not recovered.get("failed"), recovered.get("msg")
    assert conn.baremetal.find_node(probe_node).provision_state == "manageable"


def test_a_mac_held_by_another_node_and_an_empty_fleet_are_refused_before_any_write(conn, probe_node, lab):
    taken = next(p.address for p in conn.baremetal.ports(node_id=conn.baremetal.find_node("compute-0").id))
    fleet = [{"name": probe_node + "-ok", "driver": "fake-hardware", "ports": [{"address": "52:54:00:7e:00:01"}]},
             {"name": probe_node, "driver": "fake-hardware", "ports": [{"address": taken}]}]
    result = run_module(ENROLL, {"cloud": "undercloud", "nodes": fleet})
    assert result.get("failed")
    assert "node %s: ports[0].address %s is already a port of Ironic node compute-0" % (probe_node, taken) in result["msg"]
    assert conn.baremetal.find_node(probe_node + "-ok") is None and conn.baremetal.find_node(probe_node) is None
    empty = run_module(ENROLL, {"cloud": "undercloud", "nodes": []})
    assert empty.get("failed") and "the fleet is empty" in empty["msg"]
