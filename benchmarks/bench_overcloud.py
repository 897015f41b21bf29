"""Benchmark: what each overcloud service costs. The overcloud deployed from nothing twice in one run, on the lab's
machines (`make lab` first): once with the services it had before issue 19 (MariaDB, HAProxy, Keystone, Glance on
the controller, the status service on the computes: `plan_roles` overridden), once with the plan's services as they
are now (memcached, RabbitMQ, Placement, Nova's control plane, Neutron's API, libvirt and nova-compute added). Printed side by side,
with ratios:

- the deployment's wall time, and each step's (the deployment's own summary);
- the resident memory (RSS) of each container's processes on each machine, once the deployment is done;
- with the services as they are now, a server of the test guest on the guests' tenant network (its port bound by the
  Open vSwitch agent): the seconds until Nova says ACTIVE, until its console says the guest is up, and its QEMU
  process's RSS (the average of three servers, one after the other);
- Tempest's smoke run through the VIP: playbooks/tempest.yml (install check, tempest.conf from the cloud, the run, the
  summary) against the peer an operator would otherwise use, `tempest run --smoke` by hand in the same workspace
  with the same tempest.conf and exclusions: wall times side by side, and the tests' own time.

The deployments run without the sanity stage's Tempest run (overcloud_tempest=false), so that their wall times compare
the services alone.

The overcloud is left deployed with the plan's services as they are now (the lab's state). Not part of the suite
(two deployments from nothing take about 10 minutes here).

    python benchmarks/bench_overcloud.py
"""
import json
import re
import sys
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TOP / "tests" / "integration"))

from conftest import DEPLOYED, machine, run_playbook, undeploy  # noqa: E402  pylint: disable=wrong-import-position

BEFORE_ROLES = [
    {"name": "Controller", "count": 1, "services": ["vip", "mysql", "haproxy", "keystone", "glance_api"],
     "networks": ["internal_api", "storage", "tenant", "external"]},
    {"name": "Compute", "count": 2, "services": ["compute_agent"], "networks": ["internal_api", "storage", "tenant"]},
]

# Run in each machine: every running container's processes (the container's first process and its descendants),
# their RSS summed, in MiB.
RSS_SCRIPT = r"""
import json, os, subprocess
children = {}
for entry in os.listdir("/proc"):
    if entry.isdigit():
        try:
            ppid = int(open("/proc/%s/stat" % entry).read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
def rss(pid):
    try:
        for line in open("/proc/%d/status" % pid):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
out = {}
for name in subprocess.run(["podman", "ps", "--format", "{{.Names}}"], capture_output=True, text=True).stdout.split():
    root = int(subprocess.run(["podman", "inspect", "--format", "{{.State.Pid}}", name], capture_output=True, text=True).stdout or 0)
    todo, seen = [root], set()
    while todo:
        pid = todo.pop()
        if pid and pid not in seen:
            seen.add(pid)
            todo.extend(children.get(pid, []))
    out[name] = round(sum(rss(p) for p in seen) / 1024.0, 1)
print(json.dumps(out))
"""

STEP_LINE = re.compile(r"^\s*-?\s*'?(\d)\s+(\d+(?:\.\d+)?)\s+(\d+)/(\d+)")


def deploy(extra):
    undeploy()
    started = time.monotonic()
    _rc, output = run_playbook("overcloud_deploy.yml", "-e", "overcloud_fleet=false", *extra)
    wall = time.monotonic() - started
    steps = {}
    for line in output.splitlines():
        found = STEP_LINE.match(line)
        if found and int(found.group(1)) not in steps:
            steps[int(found.group(1))] = float(found.group(2))
    memory = {host: json.loads(machine(host, "python3", "-c", RSS_SCRIPT).stdout or "{}") for host in DEPLOYED}
    return {"wall": wall, "steps": steps, "memory": memory}


def boot_servers(count=3):
    """Boot the test guest `count` times, one after the other: seconds to ACTIVE, to the console's "up", QEMU's RSS."""
    import openstack
    conn = openstack.connect(cloud="overcloud")
    image, flavor = conn.image.find_image("ooo-guest"), conn.compute.find_flavor("ooo.tiny")
    network = conn.network.find_network("ooo-guest-net")
    figures = []
    for index in range(count):
        started = time.monotonic()
        server = conn.compute.create_server(name="bench-guest-%d" % index, image_id=image.id, flavor_id=flavor.id,
                                            networks=[{"uuid": network.id}])
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=300)
        active = time.monotonic() - started
        while "ooo-guest: up" not in conn.compute.get_server_console_output(server)["output"]:
            time.sleep(0.5)
        up = time.monotonic() - started
        pid = machine(server.compute_host, "pgrep", "-f", "qemu-system-x86_64 -name guest=%s," % server.instance_name).stdout.split()[0]
        kib = int(re.search(r"VmRSS:\s+(\d+)", machine(server.compute_host, "cat", "/proc/%s/status" % pid).stdout).group(1))
        figures.append((active, up, kib / 1024.0))
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=300)
    return [sum(f[i] for f in figures) / len(figures) for i in range(3)]


def tempest():
    """Seconds of playbooks/tempest.yml, of `tempest run` by hand in the same workspace, and the summary's."""
    import subprocess

    import yaml
    exclude = yaml.safe_load((TOP / "roles" / "overcloud_deploy" / "defaults" / "main.yml").read_text())["overcloud_tempest_exclude"]
    started = time.monotonic()
    _rc, _output = run_playbook("tempest.yml", "-e", json.dumps({"tempest_exclude": exclude}))
    ours = time.monotonic() - started
    summary = json.loads(Path("/var/lib/ooo-undercloud/tempest/last-summary.json").read_text())
    workspace = "/var/lib/ooo-undercloud/tempest"
    started = time.monotonic()
    subprocess.run(["/opt/ooo-tempest/venv/bin/tempest", "run", "--concurrency", "2", "--include-list", workspace + "/etc/include.txt",
                    "--exclude-list", workspace + "/etc/exclude.txt"], cwd=workspace, capture_output=True, check=False)
    by_hand = time.monotonic() - started
    summary.setdefault("excluded", exclude)
    return ours, by_hand, summary


def ratio(new, old):
    return "%.2fx" % (new / old) if old else "new"


def main():
    variables = TOP / ".work" / "bench-overcloud-before.json"
    variables.parent.mkdir(exist_ok=True)
    variables.write_text(json.dumps({"plan_roles": BEFORE_ROLES}))
    before = deploy(["-e", "@%s" % variables, "-e", "overcloud_tempest=false"])
    now = deploy(["-e", "overcloud_tempest=false"])
    active, up, guest_rss = boot_servers()
    ours, by_hand, summary = tempest()
    print("%-28s %10s %10s %8s" % ("deployment from nothing", "before", "now", "ratio"))
    print("%-28s %9.1fs %9.1fs %8s" % ("wall time (playbook)", before["wall"], now["wall"], ratio(now["wall"], before["wall"])))
    for step in sorted(set(before["steps"]) | set(now["steps"])):
        old, new = before["steps"].get(step, 0.0), now["steps"].get(step, 0.0)
        print("%-28s %9.1fs %9.1fs %8s" % ("step %d" % step, old, new, ratio(new, old)))
    print()
    print("%-28s %10s %10s %8s" % ("RSS per container (MiB)", "before", "now", "ratio"))
    for host in DEPLOYED:
        names = sorted(set(before["memory"].get(host, {})) | set(now["memory"].get(host, {})))
        for name in names:
            old, new = before["memory"][host].get(name, 0.0), now["memory"][host].get(name, 0.0)
            print("%-28s %10.1f %10.1f %8s" % ("%s/%s" % (host, name), old, new, ratio(new, old)))
        old, new = sum(before["memory"][host].values()), sum(now["memory"][host].values())
        print("%-28s %10.1f %10.1f %8s" % ("%s total" % host, old, new, ratio(new, old)))
    print()
    print("a server of the test guest (%s), the average of three:" % "ooo.tiny: 128 MiB, 1 vCPU, QEMU TCG")
    print("%-28s %9.1fs" % ("  create -> ACTIVE", active))
    print("%-28s %9.1fs" % ("  create -> console 'up'", up))
    print("%-28s %9.1f MiB" % ("  QEMU process RSS", guest_rss))
    print()
    print("Tempest smoke through the VIP: %d tests, %d passed, %d failed, %d skipped, %d excluded; the tests' own time %.1fs"
          % (summary["tests"], summary["passed"], len(summary["failed"]), len(summary["skipped"]), len(summary.get("excluded", [])),
             summary["seconds"]))
    print("%-28s %10s %10s %8s" % ("", "by hand", "tempest.yml", "ratio"))
    print("%-28s %9.1fs %9.1fs %8s" % ("wall time", by_hand, ours, ratio(ours, by_hand)))


if __name__ == "__main__":
    main()
