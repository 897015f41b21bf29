"""CPU that Ironic's power sync costs the idle lab, for three settings side by side, in one run.

Ironic hashes the BMC password with PBKDF2 (600,000 rounds of SHA-512) for every Redfish call, and its power sync makes
a call per node for the power state, the boot mode, the secure boot state and (with health monitoring) the health.
For each setting the undercloud role applies it (Ironic restarts), the run waits for Ironic to settle, and then reads
the CPU time of Ironic's processes (utime + stime of its process group) over a window with nothing else running:

- the lab as it was: a sync every 10 s, health read on;
- Ironic's defaults: every 60 s, health read on (what an undercloud that sets nothing runs);
- the lab now (inventories/lab/group_vars/undercloud.yml): every 30 s, no health read.

The undercloud is put back to the lab's setting at the end. Run with the lab up and idle:
    python benchmarks/bench_ironic_power_sync.py [--window 90]
"""
import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
PIDFILE = Path("/run/ooo-undercloud/ironic.pid")
SETTINGS = [
    ("lab before (10 s, health on)", {"undercloud_ironic_sync_power_state_interval": 10, "undercloud_ironic_health_monitoring": True}),
    ("Ironic's defaults (60 s, health on)", {"undercloud_ironic_sync_power_state_interval": 60, "undercloud_ironic_health_monitoring": True}),
    ("lab now (30 s, health off)", {}),
]


def playbook(extra):
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), PATH="%s:%s" % (Path(sys.executable).parent, os.environ["PATH"]))
    cmd = ["ansible-playbook", str(TOP / "playbooks" / "undercloud_install.yml")]
    if extra:
        cmd += ["-e", json.dumps(extra)]
    subprocess.run(cmd, cwd=TOP, env=env, check=True, capture_output=True)


def group_cpu_seconds(pgid):
    """utime + stime of every process in the group, in seconds."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pgid:
                continue
            with open("/proc/%s/stat" % entry) as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            continue
    return total / float(ticks)


def measure(window):
    pgid = os.getpgid(int(PIDFILE.read_text().strip()))
    start, t0 = group_cpu_seconds(pgid), time.monotonic()
    time.sleep(window)
    return (group_cpu_seconds(pgid) - start) / (time.monotonic() - t0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, default=90, help="seconds of idle lab measured per setting")
    parser.add_argument("--settle", type=int, default=40, help="seconds to wait after Ironic restarts")
    args = parser.parse_args()
    rows = []
    try:
        for label, extra in SETTINGS:
            playbook(extra)
            time.sleep(args.settle)
            rows.append((label, measure(args.window)))
            print("%-38s %5.1f%% of a core" % (label, 100 * rows[-1][1]), flush=True)
    finally:
        playbook({})
    base = rows[-1][1] or 1e-9
    print("\n%-38s %12s %8s" % ("setting", "Ironic CPU", "vs now"))
    for label, share in rows:
        print("%-38s %10.1f%% %7.1fx" % (label, 100 * share, share / base))


if __name__ == "__main__":
    main()
