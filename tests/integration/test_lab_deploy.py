"""Ironic deploys a lab machine for real: the `direct` deploy makes ironic-python-agent (booted by the machine's BMC
from Ironic's PXE configuration) download the golden image (whole-disk raw) from Ironic's HTTP image cache, check it
and write it to the machine's only disk; Ironic then powers it off, sets boot device Hdd and powers it on, and the BMC
runs the root file system that was written. Undeploy cleans the disk (metadata erase).

The machine used is the quarantined black sheep (compute-1): no deployment runs on it. The tests run in order on it
(three failed deployments - the last one cut off by a power cut while the image is written -, the rerun that recovers,
power, undeploy: one full deployment in all) and leave it as the lab
leaves it: manageable, in maintenance, powered off, its disk cleaned.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import TOP, finish, run_module, running, start_module, wait

SHEEP = "compute-1"
CONTAINER = "ooo-lab-" + SHEEP
RAMDISK = CONTAINER + "-ramdisk"
SHEEP_IP = "198.18.0.12"  # its control-plane address (lab machine index 2)
DISK = Path("/var/lib/ooo-lab/disks/%s.img" % SHEEP)
ROOT = Path("/var/lib/ooo-lab/bmc/root") / SHEEP
GOLDEN = Path("/var/lib/ooo-undercloud/images/overcloud-golden.raw")
HTTP_ROOT = Path("/var/lib/ooo-undercloud/ironic/httpboot")
PROVISION = "ooo.lifecycle.baremetal_provision"

sys.path.insert(0, str(TOP / "roles" / "images" / "files"))
import wholedisk  # noqa: E402  pylint: disable=wrong-import-position


def provision(target=None, check=False, **extra):
    args = dict({"cloud": "undercloud", "nodes": [SHEEP]}, **extra)
    if target:
        args["target"] = target
    return run_module(PROVISION, args, check=check)


def first_sector():
    with open(DISK, "rb") as handle:
        return handle.read(512)


@pytest.fixture(scope="module")
def sheep(conn, lab):
    """The black sheep out of quarantine and available (cleaned) for the module; put back afterwards."""
    node = conn.baremetal.find_node(SHEEP)
    assert node.is_maintenance and node.provision_state == "manageable", "the lab quarantines %s" % SHEEP
    reason = node.maintenance_reason
    conn.baremetal.unset_node_maintenance(node.id)
    try:
        result = provision("available", timeout=600)
        assert not result.get("failed"), result
        yield node
    finally:
        provision("manageable", timeout=600)
        provision(power="off")
        conn.baremetal.set_node_maintenance(node.id, reason)


def test_an_agent_that_never_calls_back_times_out_naming_the_node_and_is_aborted(conn, sheep):
    """The machine boots its ramdisk, which cannot reach Ironic's API (the host drops what the machine sends to it):
    the module gives up after its timeout, names the node and the cause, aborts the deployment and powers the machine
    off. The next tests' deployments are the reruns: their agent calls back."""
    block = ["nft", "-f", "-"]
    rules = ("table ip ooo_test_block {\n chain input {\n  type filter hook input priority 0; policy accept;\n"
             "  ip saddr %s tcp dport 6385 drop\n }\n}\n" % SHEEP_IP)
    subprocess.run(block, input=rules, text=True, check=True)
    try:
        hung = provision("active", image="overcloud-golden", timeout=30, poll_interval=2)
    finally:
        subprocess.run(["nft", "delete", "table", "ip", "ooo_test_block"], check=True)
    assert hung["failed"], hung
    assert SHEEP in hung["msg"] and "never called back" in hung["msg"] and "aborted" in hung["msg"], hung["msg"]
    node = conn.baremetal.get_node(sheep.id)
    assert (node.provision_state, node.power_state) == ("deploy failed", "power off"), "aborted, its ramdisk stopped"
    assert not running(RAMDISK)


@pytest.fixture(scope="module")
def served_image():
    """The golden image served by Ironic's HTTP server under another name (a hard link), with its sha256; and a small
    image (the first 16 MiB of it) for the failures, as IPA downloads a failed image three times."""
    directory = HTTP_ROOT / "ooo-test"
    directory.mkdir(exist_ok=True)
    path = directory / "golden.raw"
    if path.exists():
        path.unlink()
    try:
        os.link(GOLDEN, path)
    except OSError:
        shutil.copyfile(GOLDEN, path)
    with open(GOLDEN, "rb") as source, open(directory / "small.raw", "wb") as small:
        small.write(source.read(16 << 20))
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    yield "http://198.18.0.1:8088/ooo-test/golden.raw", digest.hexdigest(), "http://198.18.0.1:8088/ooo-test/small.raw"
    shutil.rmtree(directory)


def test_a_checksum_mismatch_fails_naming_the_node(conn, sheep, served_image):
    """A rerun after the aborted deployment: its agent calls back, downloads the image and checks it against the
    checksum given; a mismatch fails the deployment, naming the node and the cause, and the machine runs nothing. The
    next test's deployment is the rerun that recovers."""
    _url, _sha256, small = served_image
    assert conn.baremetal.get_node(sheep.id).provision_state == "deploy failed", "after the aborted deployment"
    bad = provision("active", image=small, image_checksum="0" * 64, image_disk_format="raw", timeout=600)
    assert bad["failed"] and bad["nodes"][0]["after"] == "deploy failed", bad
    assert SHEEP in bad["msg"] and "checksum" in bad["msg"].lower(), bad["msg"]
    assert not running(CONTAINER)


def test_the_power_cut_while_the_agent_writes_fails_naming_the_node(conn, sheep, served_image):
    """The machine loses power while its agent writes the golden image (its ramdisk's container is killed once
    Ironic runs the write_image step): the module tells an agent that called back and fell silent from one that
    never called back, names the node, aborts the deployment and leaves the machine off. The next test's deployment
    is the rerun, over the half-written disk."""
    url, sha256, _small = served_image
    assert conn.baremetal.get_node(sheep.id).provision_state == "deploy failed", "after the checksum mismatch"
    run = start_module(PROVISION, {"cloud": "undercloud", "nodes": [SHEEP], "target": "active", "image": url,
                                   "image_checksum": sha256, "image_disk_format": "raw", "timeout": 60, "poll_interval": 2})
    try:
        wait(lambda: (conn.baremetal.get_node(sheep.id).deploy_step or {}).get("step") == "write_image", 55,
             "the agent writing the image")
        time.sleep(2)
    finally:
        subprocess.run(["podman", "kill", RAMDISK], capture_output=True, check=False)  # the power cut
    cut = finish(run)
    assert cut["failed"], cut
    assert SHEEP in cut["msg"] and "fell silent" in cut["msg"] and "lost power" in cut["msg"] and "aborted" in cut["msg"], cut["msg"]
    node = conn.baremetal.get_node(sheep.id)
    assert (node.provision_state, node.power_state) == ("deploy failed", "power off")
    assert not running(RAMDISK) and not running(CONTAINER)


def test_deploy_recovers_writes_the_golden_image_and_the_machine_runs_it(conn, sheep, served_image):
    """check -> apply -> check -> apply from the failed deployment: one deployment, then nothing; the machine runs the
    bytes IPA wrote. The image is the golden image by URL (make lab deploys it from Glance)."""
    url, sha256, _small = served_image
    assert conn.baremetal.get_node(sheep.id).provision_state == "deploy failed"
    args = {"target": "active", "image": url, "image_checksum": sha256, "image_disk_format": "raw", "timeout": 600}
    results = [provision(check=True, **args), provision(**args), provision(check=True, **args), provision(**args)]
    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert results[0]["writes"] == 0 and results[0]["nodes"][0]["verbs"] == ["active"]
    assert results[1]["nodes"][0]["before"] == "deploy failed"
    assert results[1]["nodes"][0]["verbs"] == ["active"] and results[1]["nodes"][0]["after"] == "active"
    assert results[3]["writes"] == 0
    node = conn.baremetal.get_node(sheep.id)
    assert node.provision_state == "active" and node.power_state == "power on"
    assert running(CONTAINER) and not running(RAMDISK), "booted from its disk, not into the ramdisk"
    # The disk holds the golden image: its partition table is the image's, and the root file system mounted from the
    # disk file is what the machine runs.
    with open(GOLDEN, "rb") as handle:
        assert first_sector() == handle.read(512)
    source = subprocess.run(["findmnt", "--noheadings", "--output", "SOURCE", str(ROOT)], capture_output=True, text=True,
                            check=True).stdout.strip()
    back = json.loads(subprocess.run(["losetup", "--json", "--list", source], capture_output=True, text=True, check=True).stdout)
    assert back["loopdevices"][0]["back-file"].split(" ")[0] == str(DISK)
    assert int(back["loopdevices"][0]["offset"]) == wholedisk.partitions(first_sector())[0][3] * 512
    info = json.loads(subprocess.run(["podman", "inspect", CONTAINER], capture_output=True, text=True, check=True).stdout)[0]
    assert info["Config"]["Labels"]["ooo.boot"] == "disk" and info["Rootfs"] == str(ROOT)
    # The golden image's build stamp, read from inside the machine.
    stamp = subprocess.run(["podman", "exec", CONTAINER, "cat", "/etc/ooo-golden-build"], capture_output=True, text=True,
                           check=True).stdout.strip()
    assert stamp == (GOLDEN.parent / (GOLDEN.name + ".build-hash")).read_text().strip()


def test_powered_off_behind_ironics_back_and_powered_on_again(conn, sheep):
    assert conn.baremetal.get_node(sheep.id).provision_state == "active"
    subprocess.run(["podman", "stop", "--time", "0", CONTAINER], check=True, capture_output=True)
    wait(lambda: conn.baremetal.get_node(sheep.id).power_state == "power off", timeout=60, what="Ironic to see the power off")
    args = {"power": "on"}
    results = [provision(check=True, **args), provision(**args), provision(check=True, **args), provision(**args)]
    assert [r["changed"] for r in results] == [True, True, False, False], results
    assert results[1]["writes"] == 1, "an active node boots as Ironic deployed it: power on only"
    assert running(CONTAINER)
    subprocess.run(["podman", "exec", CONTAINER, "test", "-s", "/etc/ooo-golden-build"], check=True)


BMC_CONFIG = Path("/etc/ooo-lab/bmc")


def start_bmc():
    """The BMC started as the lab role starts it (roles/lab/tasks/bmc.yml: the same command and configuration hash)."""
    sha1 = [hashlib.sha1((BMC_CONFIG / name).read_bytes()).hexdigest()
            for name in ("emulator.conf", "machines.json", "ooo_bmc.py", "htpasswd")]
    return run_module("ooo.lifecycle.process_service", {
        "name": "ooo-lab-bmc", "argv": ["/opt/ooo-lab/bmc-venv/bin/python", str(BMC_CONFIG / "ooo_bmc.py"), "--config",
                                        str(BMC_CONFIG / "emulator.conf")],
        "config_hash": hashlib.sha256("".join(sha1).encode()).hexdigest(),
        "logfile": "/var/lib/ooo-lab/bmc/emulator.log", "pidfile": "/run/ooo-lab-bmc.pid",
        "ready_host": "198.18.0.1", "ready_port": 8000, "ready_url": "http://198.18.0.1:8000/redfish/v1/"})


def test_a_machine_the_host_lost_is_off_and_its_bmc_powers_it_on_again_when_it_starts(conn, sheep):
    """What a stop of the host's processes does (CI found it): the machine's processes and its BMC are killed, and
    podman still records the machine as running. The BMC reports it off; started again, it boots the machine from its
    disk (power restore "last state"), and Ironic sees it on."""
    info = json.loads(subprocess.run(["podman", "inspect", CONTAINER], capture_output=True, text=True, check=True).stdout)[0]
    for pid in (info["State"]["ConmonPid"], info["State"]["Pid"]):
        os.kill(pid, 9)
    recorded = subprocess.run(["podman", "inspect", "--format", "{{.State.Running}}", CONTAINER], capture_output=True,
                              text=True, check=True).stdout.strip()
    assert recorded == "true", "podman's record still says running: the case the BMC must see through"
    wait(lambda: conn.baremetal.get_node(sheep.id).power_state == "power off", timeout=60, what="Ironic to see it off")
    with open("/run/ooo-lab-bmc.pid") as handle:
        os.kill(int(handle.read()), 9)
    started = start_bmc()
    assert started["actions"] == ["start"], started
    assert not start_bmc()["changed"], "started with the lab role's own command and configuration"
    # podman exec needs the container's processes: the record alone does not do.
    wait(lambda: subprocess.run(["podman", "exec", CONTAINER, "test", "-s", "/etc/ooo-golden-build"],
                                capture_output=True, check=False).returncode == 0, what="the BMC to boot the machine again")
    wait(lambda: conn.baremetal.get_node(sheep.id).power_state == "power on", timeout=60, what="Ironic to see it on")


def test_undeploy_cleans_the_disk_metadata(conn, sheep):
    result = provision("undeployed", timeout=600)
    assert not result.get("failed"), result
    assert result["nodes"][0]["verbs"] == ["deleted"] and result["nodes"][0]["after"] == "available"
    assert not running(CONTAINER) and not running(RAMDISK) and not os.path.ismount(ROOT)
    assert wholedisk.partitions(first_sector()) == [], "metadata cleaning erased the partition table"
