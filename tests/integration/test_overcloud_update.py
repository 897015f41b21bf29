"""playbooks/overcloud_update.yml on the lab's overcloud: a rolling update of the computes behind the VIP.

The lab has one controller, so its APIs cannot stay up while it is updated (docs/overcloud.md); the computes'
status service has two backends behind HAProxy, and the rolling update of the Compute role must lose no request
through the VIP. Runs after the deployment tests, on the deployed overcloud.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time

from conftest import TOP, VENV_BIN, ansible_env, container_ids, containers, haproxy_backends, machine, own_database_conf, recap, run_playbook, wait

UPDATED = "198.18.0.1:8787/ooo/services:2026.2-1"
BROKEN = "198.18.0.1:8787/ooo/broken:2026.2-2"
PROBE = "/var/lib/ooo-undercloud/reports/update-probe.json"
MARKER = "/var/lib/ooo-lifecycle/container-startup-config.update-in-progress"
# Tempest after the update is proven once, by the restore's update (test_lab_restored.py): about 140 s each.
QUICK = ["-e", '{"overcloud_validations": false, "overcloud_tempest": false, "overcloud_update_roles": ["Compute"]}']


def image_of(host, name):
    out = machine(host, "podman", "inspect", "--format", "{{.ImageName}}", name).stdout
    return out.strip()


def push(local, remote):
    subprocess.run(["podman", "push", "--quiet", local, remote], check=True, capture_output=True)


def lost_compute_agent(host, tmp_path):
    """What the measured killed run left on a compute: podman's record of compute_agent gone while its process still
    holds the status port. A SIGKILL's timing cannot be relied on to make it, so it is made: the container is
    removed, and a process of that name is started through a podman database of its own on the machine's storage
    (containers.conf static_dir), bound to the same address and port. Returns its container ID."""
    image = image_of(host, "compute_agent")
    tcp = machine(host, "cat", "/proc/net/tcp").stdout.splitlines()[1:]
    local = next(f[1] for f in (line.split() for line in tcp) if f[3] == "0A" and f[1].endswith(":224C"))  # 8780
    address = ".".join(str(b) for b in reversed(bytes.fromhex(local.split(":")[0])))
    conf = machine(host, "cat", "/etc/containers/containers.conf", check=False).stdout
    where = "/var/tmp/lost-record-%d" % time.time_ns()
    (tmp_path / "containers.conf").write_text(own_database_conf(conf, where + "/libpod"))
    machine(host, "mkdir", "-p", where)
    subprocess.run(["podman", "cp", str(tmp_path / "containers.conf"), "ooo-lab-%s:%s/containers.conf" % (host, where)], check=True)
    machine(host, "podman", "rm", "--force", "compute_agent")
    run = machine(host, "env", "CONTAINERS_CONF=%s/containers.conf" % where, "podman", "run", "-d", "--name", "compute_agent",
                  "--net", "host", image, "python3", "-m", "http.server", "8780", "--bind", address, check=False)
    assert run.returncode == 0, run.stderr
    return run.stdout.strip()


def qemu_pid(host, instance):
    """The pid of the QEMU process of libvirt's guest ``instance`` on ``host``, or None."""
    for line in machine(host, "ps", "-eo", "pid=,args=").stdout.splitlines():
        if "-name guest=%s," % instance in line:
            return int(line.split()[0])
    return None


def boot_one_guest_per_compute():
    """{compute: (server id, instance name, QEMU pid)}: a test guest booted on each compute, on the guests' network."""
    import openstack
    conn = openstack.connect(cloud="overcloud")
    image, flavor = conn.image.find_image("ooo-guest"), conn.compute.find_flavor("ooo.tiny")
    network = conn.network.find_network("ooo-guest-net")
    guests = {}
    for host in ("compute-0", "compute-2"):
        for old in conn.compute.servers(name="^it-update-%s$" % host):
            conn.compute.delete_server(old)
            conn.compute.wait_for_delete(old, wait=120)
        server = conn.compute.create_server(name="it-update-" + host, image_id=image.id, flavor_id=flavor.id,
                                            networks=[{"uuid": network.id}], availability_zone="nova:" + host)
        server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
        guests[host] = (server.id, server.instance_name, qemu_pid(host, server.instance_name))
        assert guests[host][2], "the guest runs on %s" % host
    return guests


def restart_mariadb_once(ready, window):
    """Once ``ready()``, MariaDB stopped for 3 s and started again; ``window`` gets (stopped, started)."""
    wait(ready, 300, "the rerun's probe started")
    time.sleep(3)
    began = time.time()
    machine("controller-0", "podman", "stop", "--time", "5", "mysql")
    time.sleep(3)
    machine("controller-0", "podman", "start", "mysql")
    window.extend([began, time.time()])


def test_an_update_killed_mid_canary_is_resumed_and_loses_no_request_through_the_vip(lab, tmp_path):
    """The rolling update of the computes, killed and resumed, with the database restarted under the resumed run.

    ansible-playbook is interrupted (SIGINT, then SIGKILL to its whole process group) once the canary is drained.
    What it leaves: the canary drained, its rollback point, the probe still running, and (made: lost_compute_agent)
    a container process podman no longer lists holding the status port. The rerun says it resumes the canary's
    update, stops the old probe, keeps the rollback point, reaps the process, updates the canary, then the other
    compute, and puts them back in HAProxy. While it runs MariaDB is stopped for 3 s: the computes' API loses no
    request through the VIP, and the probe's token validations (through Keystone, which needs the database) fail only
    while it was down, each with its time and cause."""
    push("localhost/ooo-services:2026.2", UPDATED)
    controller = container_ids("controller-0")
    guests = boot_one_guest_per_compute()
    cmd = [str(VENV_BIN / "ansible-playbook"), str(TOP / "playbooks" / "overcloud_update.yml"), "-e", "overcloud_update_image=" + UPDATED] + QUICK
    with open(tmp_path / "killed.log", "w") as log:
        run = subprocess.Popen(cmd, cwd=TOP, env=ansible_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait(lambda: machine("compute-0", "test", "-e", MARKER, check=False).returncode == 0, 300, "the canary's update started")
            wait(lambda: "TASK [ooo.lifecycle.overcloud_common : " in (tmp_path / "killed.log").read_text().rsplit("Drain this machine", 1)[-1],
                 120, "the canary drained")
        finally:
            os.killpg(run.pid, signal.SIGINT)
            time.sleep(2)
            try:
                os.killpg(run.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            run.wait(30)
    with open(PROBE + ".pid") as handle:
        old_probe = int(handle.read().split()[0])
    assert os.path.exists("/proc/%d" % old_probe), "the killed run's probe still runs (it is what the rerun must stop)"
    previous = machine("compute-0", "cat", "/var/lib/ooo-lifecycle/container-startup-config.previous/step_4.json", check=False).stdout
    stray = lost_compute_agent("compute-0", tmp_path)
    assert "compute_agent" not in containers("compute-0")
    if os.path.exists(PROBE):
        os.unlink(PROBE)

    def new_probe():
        try:
            with open(PROBE + ".pid") as handle:
                pid = int(handle.read().split()[0])
        except (OSError, ValueError, IndexError):
            return False
        return pid != old_probe and os.path.exists("/proc/%d" % pid)
    window = []
    restart = threading.Thread(target=restart_mariadb_once, args=(new_probe, window), daemon=True)
    restart.start()
    started = time.time()
    _rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=" + UPDATED, *QUICK)
    restart.join(60)
    assert "resuming the update interrupted on compute-0" in " ".join(output.split())
    assert not os.path.exists("/proc/%d" % old_probe), "the rerun stopped the killed run's probe"

    probe = json.load(open(PROBE))
    assert probe["seconds"] <= time.time() - started, "the rerun's own probe results"
    status = next(v for k, v in probe["urls"].items() if k.endswith(":8780/status.json"))
    tokens = next(v for k, v in probe["urls"].items() if k.endswith("(token validation)"))
    assert status["requests"] >= 300 and status["failed"] == 0, probe
    assert len(window) == 2 and tokens["requests"] >= 20 and tokens["failed"] >= 1, (window, probe)
    for failure in probe["failures"]:
        assert failure["url"].endswith("(token validation)") and failure["reason"], failure
        assert window[0] - 1 <= probe["started"] + failure["at"] <= window[1] + 10, (failure, probe["started"], window)
    # The secret went to the probe in a file it deleted once read: none is left, and none was in its argv.
    assert not [f for f in os.listdir(os.path.dirname(PROBE)) if f.endswith(".auth")]

    for host in ("compute-0", "compute-2"):
        assert image_of(host, "compute_agent") == UPDATED
        assert containers(host)["compute_agent"][1] == "running"
        assert machine(host, "test", "-e", MARKER, check=False).returncode == 1, "the update of %s is recorded as done" % host
    assert container_ids("controller-0") == controller, "the controller is not in the update"
    # Batches: the canary alone, then the others.
    assert output.index("compute-0") < output.index("compute-2")
    assert stray not in machine("compute-0", "ps", "-eo", "args").stdout, "the lost container's conmon was reaped"
    assert machine("compute-0", "cat", "/var/lib/ooo-lifecycle/container-startup-config.previous/step_4.json", check=False).stdout == previous, \
        "the rerun kept the rollback point the interrupted update made"
    assert [row[2] for row in haproxy_backends() if row[0] == "compute_status"] == ["UP", "UP"]
    # Every guest ran on through the update of its compute, in the same QEMU process, and the report says so.
    import openstack
    conn = openstack.connect(cloud="overcloud")
    flat = " ".join(output.split())
    for host, (server_id, instance, pid) in guests.items():
        assert qemu_pid(host, instance) == pid, "%s's guest %s kept its QEMU process" % (host, instance)
        assert "%s kept" % instance in flat, output[-3000:]
        assert conn.compute.get_server(server_id).status == "ACTIVE"
        conn.compute.delete_server(server_id)


def test_failing_canary_is_rolled_back_and_the_rest_untouched(lab):
    # An image without the service's program: the canary's status service never becomes healthy.
    subprocess.run(["bash", "scripts/busybox_image.sh"], check=True, capture_output=True)
    push("localhost/ooo-busybox:latest", BROKEN)
    before = container_ids("compute-2"), image_of("compute-0", "compute_agent")
    if os.path.exists(PROBE):
        os.unlink(PROBE)
    # The canary now fails in step 3 (nova_virtlogd), before step 4: the rollback must leave step 4's running
    # containers working (their bind-mounted configuration kept in place). The timeout bounds each step's wait.
    rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=" + BROKEN, "-e", "overcloud_healthcheck_timeout=60",
                              *QUICK, check=False)
    assert rc != 0
    flat = " ".join(output.split())
    assert "the update failed on compute-0" in flat and "rolled back to its previous containers" in flat, output[-3000:]
    assert image_of("compute-0", "compute_agent") == before[1], "the canary runs its previous image again"
    assert containers("compute-0")["compute_agent"][1] == "running"
    assert container_ids("compute-2") == before[0], "the machines after the canary were not touched"
    assert [row[2] for row in haproxy_backends() if row[0] == "compute_status"] == ["UP", "UP"], "the canary is back in HAProxy"
    assert machine("compute-0", "test", "-e", MARKER, check=False).returncode == 1, "the rollback ended the canary's update"
    probe = json.load(open(PROBE))
    assert probe["requests"] > 0 and "failures" in probe, "the failed run's probe results were published"


def test_missing_image_is_refused_before_anything_changes(lab):
    before = container_ids("compute-0")
    rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=198.18.0.1:8787/ooo/services:nope", check=False)
    assert rc != 0
    assert "overcloud_update_image: 198.18.0.1:8787/ooo/services:nope is not in the registry" in " ".join(output.split())
    assert recap(output)["changed"] == 0 and container_ids("compute-0") == before


def test_a_probe_left_behind_is_stopped_and_never_writes_over_a_new_run(tmp_path):
    """What a killed update leaves: its probe still running. The next start stops it; each run has its own files."""
    script = str(TOP / "roles" / "overcloud_update" / "files" / "vip_probe.py")
    pidfile, url = str(tmp_path / "probe.pid"), "http://127.0.0.1:9/"  # nothing listens on the discard port
    old = subprocess.Popen([sys.executable, script, "--out", str(tmp_path / "old"), "--stop-file", str(tmp_path / "old.stop"),
                            "--pid-file", pidfile, "--max-seconds", "600", url])
    deadline = time.time() + 10
    while not (tmp_path / "probe.pid").exists() and time.time() < deadline:
        time.sleep(0.1)
    assert (tmp_path / "probe.pid").read_text().split() == [str(old.pid)]
    stopped = subprocess.run([sys.executable, script, "--stop-previous", pidfile], capture_output=True, text=True, check=True)
    assert stopped.stdout.strip() == "stopped probe %d" % old.pid
    assert old.wait(10) is not None and not (tmp_path / "probe.pid").exists()
    assert not (tmp_path / "old").exists(), "the stopped probe wrote no results"
    again = subprocess.run([sys.executable, script, "--stop-previous", pidfile], capture_output=True, text=True, check=True)
    assert again.stdout.strip() == "no probe running"
    new = subprocess.Popen([sys.executable, script, "--out", str(tmp_path / "new"), "--stop-file", str(tmp_path / "new.stop"),
                            "--pid-file", pidfile, "--max-seconds", "600", url])
    time.sleep(1)
    (tmp_path / "new.stop").write_text("")
    assert new.wait(30) == 0
    result = json.loads((tmp_path / "new").read_text())
    assert result["requests"] >= 1 and result["failed"] == result["requests"]
    assert not (tmp_path / "probe.pid").exists(), "the probe removed its own pid file"
