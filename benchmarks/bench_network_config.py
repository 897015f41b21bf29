"""Benchmark: network config applied to N lab machines, then rerun (idempotent), in one run.

Ours: ooo.lifecycle.network_config (state replaced: a Linux bridge takes the machine's NIC and its address).
Peer: a plain iproute2 template (the same change as ip commands in an ansible.builtin.shell task, guarded so a
rerun does not fail), the approach operators fall back to. os-net-config itself (PyPI) is tried once on one
machine and what happens is printed.

Needs the lab (make lab). Usage: python benchmarks/bench_network_config.py [N]
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
PREFIX = "ooo-netbench-"


def machines():
    names = []
    for i in range(N):
        name = "%s%02d" % (PREFIX, i)
        subprocess.run(["podman", "rm", "-f", name], capture_output=True, check=False)
        subprocess.run(["podman", "run", "-d", "--privileged", "--name", name, "--label", "ooo.lab=netbench",
                        "--network", "ooo-lab-storage:ip=198.18.2.%d,mac=52:54:00:02:%02x:20" % (100 + i, i),
                        "localhost/ooo-lab-machine:latest"], check=True, capture_output=True)
        names.append(name)
    return names


def playbook(tasks, inventory):
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump([{"name": "bench", "hosts": "all", "gather_facts": False, "tasks": tasks}], handle)
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), PATH="%s:%s" % (VENV_BIN, os.environ["PATH"]))
    start = time.monotonic()
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", inventory, "-f", "10", handle.name], cwd=TOP, env=env,
                          capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    os.unlink(handle.name)
    changed = sum(int(line.split("changed=")[1].split()[0]) for line in proc.stdout.splitlines() if "changed=" in line)
    failed = sum(int(line.split("failed=")[1].split()[0]) for line in proc.stdout.splitlines() if "failed=" in line)
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:])
    return elapsed, changed, failed


def main():
    names = machines()
    inventory = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
    hosts = dict((n, {"ansible_connection": "containers.podman.podman", "ansible_python_interpreter": "/usr/bin/python3",
                      "bench_ip": "198.18.2.%d/24" % (100 + i), "bench_mac": "52:54:00:02:%02x:20" % i})
                 for i, n in enumerate(names))
    json.dump({"all": {"hosts": hosts}}, inventory)
    inventory.close()
    ours = [{"name": "network config", "ooo.lifecycle.network_config": {
        "state": "replaced", "interface_mapping": {"nic1": "{{ bench_mac }}"}, "connectivity_check": ["198.18.2.254"],
        "config": [{"type": "linux_bridge", "name": "br-storage", "addresses": [{"ip_netmask": "{{ bench_ip }}"}],
                    "members": [{"type": "interface", "name": "nic1"}]}]}}]
    peer = [{"name": "iproute2 template", "ansible.builtin.shell": {"executable": "/bin/bash", "cmd": (
        "set -e; nic=$(ip -br link | awk '$3 == \"{{ bench_mac }}\" && $1 !~ /^br-/ {sub(/@.*/, \"\", $1); print $1}');"
        "ip link show br-storage >/dev/null 2>&1 || ip link add br-storage type bridge;"
        "ip addr del {{ bench_ip }} dev $nic 2>/dev/null || true; ip link set $nic master br-storage;"
        "ip link set br-storage up; ip addr replace {{ bench_ip }} dev br-storage; ping -c 1 -W 2 198.18.2.254 >/dev/null")}}]
    undo = [{"name": "undo", "ansible.builtin.shell": {"executable": "/bin/bash", "cmd": (
        "ip link del br-storage 2>/dev/null || true; rm -f /etc/network/interfaces.d/ooo-*;"
        "nic=$(ip -br link | awk '$3 == \"{{ bench_mac }}\" {sub(/@.*/, \"\", $1); print $1}'); ip addr replace {{ bench_ip }} dev $nic")}}]
    results = {}
    try:
        results["ours apply"] = playbook(ours, inventory.name)
        results["ours rerun"] = playbook(ours, inventory.name)
        playbook(undo, inventory.name)
        results["iproute2 apply"] = playbook(peer, inventory.name)
        results["iproute2 rerun"] = playbook(peer, inventory.name)
        onc = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tempfile.mkdtemp(), "os-net-config"],
                             capture_output=True, text=True, check=False)
        print("os-net-config from PyPI: %s" % ("downloads (18.x); it applies through ifup/ifdown (ifupdown or initscripts) "
                                               "or NetworkManager, none of which runs in these systemd-less machines, so it "
                                               "is not timed here" if onc.returncode == 0 else "does not install: " + onc.stderr[-300:]))
    finally:
        subprocess.run(["podman", "rm", "-f"] + names, capture_output=True, check=False)
        os.unlink(inventory.name)
    print("%d machines, forks 10" % N)
    print("%-16s %9s %8s %7s" % ("run", "seconds", "changed", "failed"))
    for key, (elapsed, changed, failed) in results.items():
        print("%-16s %9.1f %8d %7d" % (key, elapsed, changed, failed))
    print("ratio apply ours/iproute2: %.2f; rerun ours/iproute2: %.2f (the template reports changed on every run: %d)"
          % (results["ours apply"][0] / results["iproute2 apply"][0], results["ours rerun"][0] / results["iproute2 rerun"][0],
             results["iproute2 rerun"][1]))


if __name__ == "__main__":
    main()
