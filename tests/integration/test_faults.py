"""Faults injected into real runs, each followed by the rerun an operator would make: it converges, with nothing
duplicated or lost. docs/reliability.md has the table of scenarios.

The undercloud's services are killed with SIGKILL (the process and its workers, as the kernel's OOM killer or a power
cut would leave them), while a module works against them; the rerun of the undercloud's playbook restarts them, once
for all of them. scripts/test.sh runs this file with the tests that stop and restart services, alone.
"""
import os
import signal
import socket
import subprocess
import time
import uuid

import pytest

from conftest import TOP, finish, own_database_conf, process_tree, run_module, run_playbook, start_module, wait

RUN_DIR = "/run/ooo-undercloud"
IMAGE = "localhost/ooo-busybox:latest"
ENROLL = 200
ROLES = 150


def kill_service(name):
    """SIGKILL an undercloud service: its process and every worker under it. Returns the pids killed."""
    with open("%s/%s.pid" % (RUN_DIR, name)) as handle:
        pid = int(handle.read())
    pids = process_tree([pid])
    for each in pids:
        try:
            os.kill(each, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait(lambda: not any(os.path.exists("/proc/%d" % p) and _state(p) != "Z" for p in pids), 30, "%s killed" % name)
    return pids


def _state(pid):
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def stack_args(name, **parameters):
    heat = TOP / "tests" / "integration" / "files" / "heat"
    return {"cloud": "undercloud", "name": name, "template": str(heat / "stack.yaml"), "environment_files": [str(heat / "env.yaml")],
            "parameters": parameters}


def roles_named(conn, prefix):
    return [r for r in conn.identity.roles() if r.name.startswith(prefix + "-role-")]


def nodes_named(conn, prefix):
    return [n for n in conn.baremetal.nodes(fields=["uuid", "name"]) if (n.name or "").startswith(prefix)]


def fleet(prefix):
    return [{"name": "%s-%03d" % (prefix, i), "driver": "fake-hardware", "resource_class": "baremetal",
             "ports": [{"address": "52:54:01:%02x:%02x:%02x" % (int(prefix[-2:], 16), i // 256, i % 256)}],
             "properties": {"cpus": 2, "memory_mb": 2048, "local_gb": 10, "cpu_arch": "x86_64"}} for i in range(ENROLL)]


@pytest.fixture(scope="module")
def killed(lab, conn, tmp_path_factory):
    """The undercloud's services killed under running modules, then the undercloud's playbook run again.

    - Ironic (API and conductor) killed while 200 nodes enroll, once some exist;
    - Glance killed while an image's bytes stream to it;
    - Heat's engine killed while it updates a stack;
    - Keystone killed while identity_catalog creates 150 roles (last: the runs before authenticate through it).
    Yields what each run returned while its service died; cleans up what the reruns made.
    """
    prefix = "ft%s" % uuid.uuid4().hex[:2]
    image_name = "fault-%s" % uuid.uuid4().hex[:6]
    stack_name = "fault-%s" % uuid.uuid4().hex[:6]
    image_file = tmp_path_factory.mktemp("fault") / "disk.raw"
    with open(image_file, "wb") as handle:
        # 1 GiB of data that is not all zeros at the start (qemu-img calls it raw either way): Glance takes seconds.
        handle.write(os.urandom(1 << 20))
        handle.truncate(1 << 30)
    out = dict(prefix=prefix, nodes=fleet(prefix), image=image_name, image_file=str(image_file), stack=stack_name,
               roles=["%s-role-%03d" % (prefix, i) for i in range(ROLES)])
    try:
        created = run_module("ooo.lifecycle.heat_stack", stack_args(stack_name, marker="before"))
        assert not created.get("failed"), created.get("msg")
        accepted = run_module("ooo.lifecycle.heat_stack", dict(stack_args(stack_name, marker="after", update_wait=20), wait=False))
        assert accepted["stack"]["status"] == "UPDATE_IN_PROGRESS", accepted
        time.sleep(1)
        out["heat_pids"] = kill_service("heat-engine")

        enroll = start_module("ooo.lifecycle.baremetal_nodes", {"cloud": "undercloud", "nodes": out["nodes"]})
        wait(lambda: len(nodes_named(conn, prefix)) >= 20 or enroll.poll() is not None, 120, "20 nodes enrolled")
        assert enroll.poll() is None, "the enrollment ended before Ironic could be killed: %s" % (finish(enroll),)
        out["ironic_pids"] = kill_service("ironic")
        out["enroll"] = finish(enroll)

        upload = start_module("ooo.lifecycle.image", {"cloud": "undercloud", "name": image_name, "filename": str(image_file),
                                                      "disk_format": "raw"})
        wait(lambda: any(i.status in ("saving", "importing") for i in conn.image.images(name=image_name)) or upload.poll() is not None,
             120, "the upload streaming")
        assert upload.poll() is None, "the upload ended before Glance could be killed: %s" % (finish(upload),)
        time.sleep(0.5)
        out["glance_pids"] = kill_service("glance")
        out["upload"] = finish(upload)

        # Last, Keystone: the runs above authenticated through it.
        catalog = start_module("ooo.lifecycle.identity_catalog", {"cloud": "undercloud", "roles": out["roles"]})
        wait(lambda: len(roles_named(conn, prefix)) >= 20 or catalog.poll() is not None, 120, "20 roles created")
        assert catalog.poll() is None, "the catalog run ended before Keystone could be killed: %s" % (finish(catalog),)
        out["keystone_pids"] = kill_service("keystone")
        out["catalog"] = finish(catalog)

        started = time.monotonic()
        run_playbook("undercloud_install.yml")
        out["restart_seconds"] = round(time.monotonic() - started, 1)
        yield out
    finally:
        run_module("ooo.lifecycle.heat_stack", {"cloud": "undercloud", "name": stack_name, "state": "absent", "wait_in_progress": True})
        for node in nodes_named(conn, prefix):
            conn.baremetal.delete_node(node.id, ignore_missing=True)
        for role in roles_named(conn, prefix):
            conn.identity.delete_role(role, ignore_missing=True)
        for image in list(conn.image.images()) + list(conn.image.images(is_hidden=True)):
            if image.name == image_name or image.properties.get("ooo_image_name") == image_name:
                conn.image.delete_image(image, ignore_missing=True)


def test_ironic_killed_while_200_nodes_enroll_then_the_rerun_converges(killed, conn):
    enroll = killed["enroll"]
    assert enroll.get("failed"), "the run whose Ironic died says it failed"
    # The rerun enrolls what is missing and completes what the dead Ironic left half-made.
    args = {"cloud": "undercloud", "nodes": killed["nodes"]}
    rerun = run_module("ooo.lifecycle.baremetal_nodes", args)
    assert not rerun.get("failed"), rerun.get("msg")
    names = [n.name for n in nodes_named(conn, killed["prefix"])]
    assert sorted(names) == sorted(n["name"] for n in killed["nodes"]), "every node once, none twice, none missing"
    ports = [p for p in conn.baremetal.ports(details=True) if p.address.startswith("52:54:01:%s:" % killed["prefix"][-2:])]
    assert len(ports) == ENROLL and len({p.node_id for p in ports}) == ENROLL, "one port per node"
    again = run_module("ooo.lifecycle.baremetal_nodes", args)
    assert not again.get("failed") and again["changed"] is False and again["writes"] == 0, again.get("summary")


def test_glance_killed_during_an_upload_leaves_no_half_image_after_the_rerun(killed, conn):
    upload = killed["upload"]
    assert upload.get("failed"), "the run whose Glance died says it failed"
    args = {"cloud": "undercloud", "name": killed["image"], "filename": killed["image_file"], "disk_format": "raw"}
    rerun = run_module("ooo.lifecycle.image", args)
    assert not rerun.get("failed"), rerun.get("msg")
    family = [i for i in conn.image.images() if i.properties.get("ooo_image_name") == killed["image"] or i.name == killed["image"]]
    hidden = [i for i in conn.image.images(is_hidden=True) if i.properties.get("ooo_image_name") == killed["image"]]
    family += [i for i in hidden if i.id not in {f.id for f in family}]
    assert [(i.name, i.status) for i in family] == [(killed["image"], "active")], "one active image, no half-made one"
    assert family[0].size == 1 << 30
    again = run_module("ooo.lifecycle.image", args)
    assert not again.get("failed") and again["changed"] is False and again["bytes_sent"] == 0


def test_heat_engine_killed_during_a_stack_update_then_the_rerun_supersedes_it(killed, conn):
    """Heat's convergence engine leaves the stack UPDATE_IN_PROGRESS with nothing running it; the rerun waits until
    Heat reports the dead engines down, then supersedes that update with its own, which completes."""
    stuck = conn.orchestration.get("/stacks/%s" % killed["stack"]).json()["stack"]
    assert stuck["stack_status"] == "UPDATE_IN_PROGRESS", "the engine's death left the update in progress"
    args = dict(stack_args(killed["stack"], marker="after", update_wait=20), wait_in_progress=True)
    rerun = run_module("ooo.lifecycle.heat_stack", args)
    assert not rerun.get("failed"), rerun.get("msg")
    assert "no heat-engine up now was running then" in rerun["superseded"]
    assert rerun["operation"] == "update" and rerun["stack"]["status"] == "UPDATE_COMPLETE" and rerun["outputs"]["probe"] == "after"
    again = run_module("ooo.lifecycle.heat_stack", args)
    assert not again.get("failed") and again["changed"] is False and again["writes"] == 0 and "superseded" not in again


def test_keystone_killed_part_way_through_a_catalog_then_the_record_and_the_rerun_hold(killed, conn):
    """The dying run's result lists each role it created before Keystone died, and says it changed; the rerun
    creates exactly the others: every role once, none twice, none missing."""
    dying = killed["catalog"]
    assert dying.get("failed") is True and dying["changed"] is True, dying
    done = [a[len("create role "):] for a in dying["actions"]]
    assert done and set(done) <= set(killed["roles"]) and dying["failed_action"].startswith("create role ")
    assert len(done) < len(killed["roles"])
    existing = {r.name for r in roles_named(conn, killed["prefix"])}
    assert set(done) <= existing, "every action recorded was done"
    rerun = run_module("ooo.lifecycle.identity_catalog", {"cloud": "undercloud", "roles": killed["roles"]})
    assert not rerun.get("failed"), rerun.get("msg")
    created = [a[len("create role "):] for a in rerun["actions"]]
    assert sorted(created) == sorted(set(killed["roles"]) - existing), "the rerun creates exactly what was missing"
    names = [r.name for r in roles_named(conn, killed["prefix"])]
    assert sorted(names) == sorted(killed["roles"]), "every role once"
    again = run_module("ooo.lifecycle.identity_catalog", {"cloud": "undercloud", "roles": killed["roles"]})
    assert not again.get("failed") and again["changed"] is False


def test_the_restart_took_the_undercloud_playbook_once(killed):
    """The reruns above ran against the services the playbook restarted: new processes, and each one answering."""
    for name, pids in (("ironic", killed["ironic_pids"]), ("glance", killed["glance_pids"]), ("heat-engine", killed["heat_pids"]),
                       ("keystone", killed["keystone_pids"])):
        with open("%s/%s.pid" % (RUN_DIR, name)) as handle:
            assert int(handle.read()) not in pids
    assert killed["restart_seconds"] < 300


@pytest.fixture
def podman_config():
    cid = "fault%s" % uuid.uuid4().hex[:6]
    subprocess.run(["bash", str(TOP / "scripts" / "busybox_image.sh"), IMAGE], check=True, capture_output=True)
    yield cid
    found = subprocess.run(["podman", "ps", "-aq", "--filter", "label=config_id=%s" % cid], capture_output=True, text=True, check=False).stdout.split()
    if found:
        subprocess.run(["podman", "rm", "-f", "-t", "0"] + found, capture_output=True, check=False)


def test_a_service_container_killed_during_container_startup_is_started_again_by_the_rerun(podman_config):
    """The first container of a config is SIGKILLed while the module waits for the second one's health: the run's
    result and the rerun say what happened, and the rerun brings the killed one back without touching the other."""
    cid = podman_config
    first, second = "%s-db" % cid, "%s-api" % cid
    config = {first: {"image": IMAGE, "start_order": 1, "command": ["sleep", "3600"], "stop_signal": "KILL"},
              second: {"image": IMAGE, "start_order": 2, "command": ["sh", "-c", "sleep 6; touch /tmp/up; sleep 3600"],
                       "stop_signal": "KILL", "healthcheck": {"test": "test -e /tmp/up", "interval": 1}}}
    args = {"config_id": cid, "config": config}
    run = start_module("ooo.lifecycle.container_startup", args)

    def state(name):
        got = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}} {{.State.Pid}}", name], capture_output=True, text=True, check=False)
        return got.stdout.split() if got.returncode == 0 else []
    wait(lambda: state(second)[:1] == ["running"], 60, "the second container started")
    pid = int(state(first)[1])
    os.kill(pid, signal.SIGKILL)
    result = finish(run)
    assert not result.get("failed"), result.get("msg")
    wait(lambda: state(first)[:1] == ["exited"], 30, "the first container seen dead")
    api_id = subprocess.run(["podman", "inspect", "--format", "{{.Id}}", second], capture_output=True, text=True, check=False).stdout.strip()
    rerun = run_module("ooo.lifecycle.container_startup", args)
    assert not rerun.get("failed") and rerun["changed"], rerun
    assert state(first)[:1] == ["running"] and state(second)[:1] == ["running"]
    assert subprocess.run(["podman", "inspect", "--format", "{{.Id}}", second], capture_output=True, text=True, check=False).stdout.strip() == api_id
    again = run_module("ooo.lifecycle.container_startup", args)
    assert not again.get("failed") and again["changed"] is False


def lost_record(tmp_path, name, argv):
    """Run a container whose record podman's database then lacks while its processes run, as when a podman call is
    killed part-way: it is started through a database of its own (containers.conf static_dir) on the host's storage.
    Returns its ID."""
    try:
        with open("/etc/containers/containers.conf") as handle:
            conf = handle.read()
    except OSError:
        conf = ""
    (tmp_path / "containers.conf").write_text(own_database_conf(conf, tmp_path / "libpod"))
    env = dict(os.environ, CONTAINERS_CONF=str(tmp_path / "containers.conf"))
    got = subprocess.run(["podman", "run", "-d", "--name", name, "--net", "host", IMAGE] + argv, env=env, capture_output=True,
                         text=True, check=True)
    return got.stdout.strip()


def test_container_processes_podman_no_longer_lists_are_reaped_before_the_port_is_needed(podman_config, tmp_path):
    """A container of the config whose record podman lost still runs and holds the service's port (the measured
    failure: the new container restarted in a loop on "Address already in use"). Check mode names it, its process and
    the port; the run kills it, frees its name and starts the service; the next check and run change nothing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    name = "%s-api" % podman_config
    serve = ["httpd", "-f", "-p", "127.0.0.1:%d" % port]
    stray = lost_record(tmp_path, name, serve)
    try:
        wait(lambda: "127.0.0.1:%d " % port in subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=False).stdout, 30,
             "the lost container listening")
        assert name not in subprocess.run(["podman", "ps", "-a", "--format", "{{.Names}}"], capture_output=True, text=True, check=False).stdout
        args = {"config_id": podman_config, "config": {name: {"image": IMAGE, "net": "host", "command": serve, "stop_signal": "KILL"}}}
        check = run_module("ooo.lifecycle.container_startup", args, check=True)
        assert check["changed"] and [o["id"] for o in check["orphans"]] == [stray], check
        assert check["orphans"][0]["ports"] == ["127.0.0.1:%d" % port]
        assert "httpd -f -p 127.0.0.1:%d" % port in check["orphans"][0]["process"]
        assert ["kill", "-KILL"] + [str(p) for p in check["orphans"][0]["pids"]] in check["commands"]
        assert all(os.path.exists("/proc/%d" % p) for p in check["orphans"][0]["pids"]), "check mode killed nothing"
        applied = run_module("ooo.lifecycle.container_startup", args)
        assert not applied.get("failed") and applied["changed"], applied.get("msg")
        assert [o["id"] for o in applied["orphans"]] == [stray]
        assert not any(os.path.exists("/proc/%d" % p) and _state(p) != "Z" for p in check["orphans"][0]["pids"])
        running = subprocess.run(["podman", "inspect", "--format", "{{.State.Status}} {{.Id}}", name], capture_output=True, text=True,
                                 check=False).stdout.split()
        assert running[0] == "running" and running[1] != stray
        for check_mode in (True, False):
            again = run_module("ooo.lifecycle.container_startup", args, check=check_mode)
            assert not again.get("failed") and again["changed"] is False and again["orphans"] == [] and again["commands"] == [], again
    finally:
        left = [int(p) for p in subprocess.run(["pgrep", "-f", "conmon.*%s" % stray], capture_output=True, text=True, check=False).stdout.split()]
        for pid in process_tree(left):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["podman", "rm", "--storage", "--force", stray], capture_output=True, check=False)
