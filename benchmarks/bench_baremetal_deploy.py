"""Benchmark: a real deployment by Ironic in the lab, against the same walk on fake hardware, in one run.

Real: lab machines behind their Redfish BMC, deployed by Ironic's `direct` deploy: PXE boot of ironic-python-agent,
download of the golden image (a whole-disk raw image) from Ironic's HTTP image cache, checksum, write to the machine's
disk (a loop device over a file), out-of-band power off, boot device Hdd, power on: the BMC runs the root file system
IPA wrote. Timed from `available` to "active and answering" (a command run inside the machine reads the golden
image's build stamp), with `ooo.lifecycle.baremetal_provision` (target active): one node (the quarantined
compute-1), then three at once (compute-1 and the two computes of the overcloud). Inspection time per node is
measured on compute-1 as well.
Fake: fake-hardware nodes (fake power, boot, deploy) walked the same way: what the lab's "deployment" cost before.

Anchor: TripleO's "about 6 minutes from power-off to a working machine". Target: three machines under 3 minutes here.

Needs the lab (`make lab`). It takes the computes out of the overcloud for the run and puts them back
(playbooks/overcloud_deploy.yml with overcloud_fleet=false), and leaves compute-1 inspected, in maintenance and
powered off, as the lab leaves it.

    python benchmarks/bench_baremetal_deploy.py
"""
import subprocess
import time
import uuid

import openstack

from bench_baremetal_inspect import module
from bench_identity_catalog import TOP, VENV

SHEEP = "compute-1"
COMPUTES = ["compute-0", "compute-2"]
STAMP = "/var/lib/ooo-undercloud/images/overcloud-golden.raw.build-hash"


def provision(nodes, target, **extra):
    return module("ooo.lifecycle.baremetal_provision", dict({"cloud": "undercloud", "nodes": nodes, "target": target,
                                                            "concurrency": 8, "timeout": 1200}, **extra))


def answering(names, stamp):
    """Seconds until every machine answers a command with the golden image's build stamp."""
    started = time.monotonic()
    for name in names:
        while True:
            proc = subprocess.run(["podman", "exec", "ooo-lab-" + name, "cat", "/etc/ooo-golden-build"], capture_output=True,
                                  text=True, check=False)
            if proc.returncode == 0 and proc.stdout.strip() == stamp:
                break
            if time.monotonic() - started > 120:
                raise SystemExit("%s does not answer with the golden image's stamp: %s" % (name, proc.stderr.strip()))
            time.sleep(0.5)
    return time.monotonic() - started


def deploy(names, image, stamp=None):
    seconds = provision(names, "active", image=image)
    if stamp:
        seconds += answering(names, stamp)
    return seconds


def main():
    conn = openstack.connect(cloud="undercloud")
    stamp = open(STAMP).read().strip()
    sheep = conn.baremetal.find_node(SHEEP)
    reason = sheep.maintenance_reason
    real = {}
    conn.baremetal.unset_node_maintenance(sheep.id)
    try:
        started = time.monotonic()
        conn.baremetal.set_node_provision_state(sheep.id, "inspect")
        conn.baremetal.wait_for_nodes_provision_state([sheep.id], "manageable", timeout=900)
        real["inspection, 1 node"] = time.monotonic() - started
        provision([SHEEP], "available")
        real["deploy, 1 node"] = deploy([SHEEP], "overcloud-golden", stamp)
        started = time.monotonic()
        provision([SHEEP], "undeployed")
        real["undeploy+clean, 1"] = time.monotonic() - started
        provision(COMPUTES, "undeployed")
        real["deploy, 3 at once"] = deploy([SHEEP] + COMPUTES, "overcloud-golden", stamp)
        provision([SHEEP], "undeployed")
    finally:
        provision([SHEEP], "manageable")
        conn.baremetal.set_node_maintenance(sheep.id, reason)
        proc = subprocess.run([str(VENV / "bin" / "ansible-playbook"), "playbooks/overcloud_deploy.yml", "-e", "overcloud_fleet=false"],
                              cwd=TOP, capture_output=True, text=True, check=False,
                              env={"ANSIBLE_CONFIG": str(TOP / "ansible.cfg"), "PATH": "%s/bin:/usr/bin:/bin:/usr/sbin:/sbin" % VENV})
        if proc.returncode != 0:
            print("putting the computes back into the overcloud failed:\n" + proc.stdout[-3000:])
    fake_names = ["bench-%s-%d" % (uuid.uuid4().hex[:4], i) for i in range(3)]
    fakes = [conn.baremetal.create_node(name=n, driver="fake-hardware", inspect_interface="fake", deploy_interface="fake",
                                        boot_interface="fake") for n in fake_names]
    faked = {}
    try:
        for node in fakes:
            conn.baremetal.set_node_provision_state(node.id, "manage", wait=True)
        started = time.monotonic()
        conn.baremetal.set_node_provision_state(fakes[0].id, "inspect")
        conn.baremetal.wait_for_nodes_provision_state([fakes[0].id], "manageable", timeout=300)
        faked["inspection, 1 node"] = time.monotonic() - started
        provision(fake_names, "available")
        faked["deploy, 1 node"] = deploy(fake_names[:1], "overcloud-golden")
        started = time.monotonic()
        provision(fake_names[:1], "undeployed")
        faked["undeploy+clean, 1"] = time.monotonic() - started
        faked["deploy, 3 at once"] = deploy(fake_names, "overcloud-golden")
    finally:
        for node in fakes:
            # An active node is deleted only in maintenance.
            conn.baremetal.set_node_maintenance(node.id, "benchmark done")
            conn.baremetal.delete_node(node.id)
    print("%-20s %12s %8s %8s" % ("WALK", "REDFISH+IPA", "FAKE", "RATIO"))
    for step in real:
        print("%-20s %12.1f %8.1f %7.1fx" % (step, real[step], faked.get(step, 0.0), real[step] / max(faked.get(step, 0.001), 0.001)))
    print("anchor: TripleO, about 360 s from power-off to a working machine; target: 3 machines under 180 s "
          "(here: %.0f s)" % real["deploy, 3 at once"])


if __name__ == "__main__":
    main()
