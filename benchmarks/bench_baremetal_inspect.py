"""Benchmark: the cost of realism in the lab's bare metal, one node, in one run.

Real: the quarantined lab machine (compute-1) behind its Redfish BMC: a power cycle through Ironic (off, then on
into its ramdisk: its disk holds no OS, the lab's machines are deployed by Ironic) and an inspection by
ironic-python-agent in its ramdisk (Ironic: power off, boot device Pxe, power on; the agent boots, runs its
collectors and hardware-detect's CPU benchmark, posts; Ironic's hooks; power off).
Fake: a fake-hardware node (fake power, management and inspect interfaces) walked the same way, the time the lab
took for the same walk before it had BMCs and a ramdisk.

Prints seconds for each and the ratio. Needs the lab (`make lab`); leaves compute-1 inspected, in maintenance and
powered off, as the lab leaves it. The deployment's walk is benchmarks/bench_baremetal_deploy.py.

    python benchmarks/bench_baremetal_inspect.py
"""
import json
import subprocess
import time
import uuid

import openstack

from bench_identity_catalog import TOP, VENV

NODE = "compute-1"


def module(name, args):
    """Run one module of the collection ad hoc; its wall time in seconds (exits on failure)."""
    cmd = [str(VENV / "bin" / "ansible"), "localhost", "-m", name, "-a", json.dumps(args)]
    env = {"ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
           "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.json", "PATH": "%s/bin:/usr/bin:/bin" % VENV}
    started = time.monotonic()
    proc = subprocess.run(cmd, cwd=TOP, env=env, capture_output=True, text=True, check=False)
    seconds = time.monotonic() - started
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    if result.get("failed"):
        raise SystemExit("%s failed: %s" % (name, result.get("msg") or json.dumps(result.get("nodes"))[:2000]))
    return seconds


def power_on_pxe(conn, node):
    """Seconds to power the node on into its ramdisk (boot device Pxe), as Ironic records it."""
    ident = conn.baremetal.find_node(node).id
    started = time.monotonic()
    conn.baremetal.set_node_boot_device(ident, "pxe")
    conn.baremetal.set_node_power_state(ident, "power on", wait=True)
    return time.monotonic() - started


def walk(conn, node):
    """Seconds for: power off + on (into the ramdisk), and an inspection from manageable (powered off after)."""
    out = {}
    out["power cycle"] = module("ooo.lifecycle.baremetal_provision", {"cloud": "undercloud", "nodes": [node], "power": "off"}) \
        + power_on_pxe(conn, node)
    # A node is inspected again only when Ironic holds no inspection: start it directly, then let the module wait.
    ident = conn.baremetal.find_node(node).id
    started = time.monotonic()
    conn.baremetal.set_node_provision_state(ident, "inspect")
    conn.baremetal.wait_for_nodes_provision_state([ident], "manageable", timeout=900)
    out["inspection"] = time.monotonic() - started
    return out


def main():
    conn = openstack.connect(cloud="undercloud")
    lab = conn.baremetal.find_node(NODE)
    maintenance = lab.is_maintenance
    if maintenance:
        conn.baremetal.unset_node_maintenance(lab.id)
    try:
        real = walk(conn, NODE)
    finally:
        module("ooo.lifecycle.baremetal_provision", {"cloud": "undercloud", "nodes": [NODE], "power": "off"})
        if maintenance:
            conn.baremetal.set_node_maintenance(lab.id, lab.maintenance_reason)
    name = "bench-%s" % uuid.uuid4().hex[:4]
    fake = conn.baremetal.create_node(name=name, driver="fake-hardware", inspect_interface="fake")
    try:
        conn.baremetal.set_node_provision_state(fake.id, "manage", wait=True)
        faked = walk(conn, name)
    finally:
        conn.baremetal.delete_node(fake.id)
    print("%-12s %10s %10s %8s" % ("STEP", "REDFISH+IPA", "FAKE", "RATIO"))
    for step in ("power cycle", "inspection"):
        print("%-12s %10.1f %10.1f %7.1fx" % (step, real[step], faked[step], real[step] / max(faked[step], 0.001)))
    print("TripleO's anchor: about 6 minutes from power-off to a working machine (deploy included)")


if __name__ == "__main__":
    main()
