"""ooo.lifecycle.container_startup on real podman and on a real Docker engine (the test host's), and on a lab
machine's podman. Every case of the module runs on both runtimes: the `rt` fixture is parametrized."""
import json
import subprocess
import uuid

import pytest
import yaml

from conftest import TOP, VENV_BIN, ansible_env, recap, run_module

MODULE = "ooo.lifecycle.container_startup"
IMAGE = "localhost/ooo-busybox:latest"
REMOTE_IMAGE = "198.18.0.1:8787/ooo/busybox:latest"


@pytest.fixture(scope="session")
def busybox():
    subprocess.run(["bash", str(TOP / "scripts" / "busybox_image.sh"), IMAGE], check=True, capture_output=True)
    return IMAGE


class Runtime(object):
    """One runtime as the tests see it: its CLI (podman's, or docker's against the engine scripts/dockerd.sh starts),
    and the module run with runtime set to it."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name

    def cli(self, *args, check=True):
        return subprocess.run([self.name] + list(args), capture_output=True, text=True, check=check)

    def run(self, args, **kwargs):
        return run_module(MODULE, dict(args, runtime=self.name), **kwargs)

    def containers(self, cid):
        """{name: {State, ExitCode, Labels, Id, StartedAt}} of the containers labelled config_id=cid (inspect)."""
        found = self.cli("ps", "-aq", "--filter", "label=config_id=%s" % cid).stdout.split()
        if not found:
            return {}
        out = {}
        for item in json.loads(self.cli("inspect", *found).stdout):
            out[item["Name"].lstrip("/")] = {"State": item["State"]["Status"], "ExitCode": item["State"]["ExitCode"],
                                             "Labels": item["Config"]["Labels"] or {}, "Id": item["Id"],
                                             "StartedAt": item["State"]["StartedAt"]}
        return out

    def ids(self, cid):
        return dict((name, c["Id"]) for name, c in self.containers(cid).items())

    def remove(self, cid):
        found = self.cli("ps", "-aq", "--filter", "label=config_id=%s" % cid, check=False).stdout.split()
        if found:
            # podman waits 10 s for a `sleep` that ignores SIGTERM; docker's rm -f kills at once.
            self.cli("rm", "-f", *((["-t", "0"] if self.name == "podman" else []) + found), check=False)


@pytest.fixture(scope="session")
def docker_engine(busybox):
    """A Docker engine on this host (scripts/dockerd.sh), with the test image in it."""
    subprocess.run(["bash", str(TOP / "scripts" / "dockerd.sh")], check=True, capture_output=True)
    subprocess.run("podman save %s | docker load" % IMAGE, shell=True, check=True, capture_output=True)


@pytest.fixture(params=["podman", "docker"])
def rt(request, busybox):
    if request.param == "docker":
        request.getfixturevalue("docker_engine")
    return Runtime(request.param)


@pytest.fixture
def config_id(rt):
    cid = "t%s" % uuid.uuid4().hex[:8]
    yield cid
    rt.remove(cid)


def service(cid, order=1, **extra):
    spec = {"image": IMAGE, "start_order": order, "command": ["sleep", "3600"], "stop_signal": "KILL"}
    spec.update(extra)
    return spec


def startup_config(cid):
    return {
        "%s-db-init" % cid: {"image": IMAGE, "detach": False, "start_order": 0, "command": ["sh", "-c", "echo schema ready"]},
        "%s-api" % cid: service(cid, 1, environment={"WORKERS": "2"}, healthcheck={"test": "test -e /proc/1", "interval": 5}),
        "%s-sidecar" % cid: service(cid, 2, environment=["LOG=1"]),
    }


def four(rt, args):
    first = rt.run(args, check=True, diff=True)
    assert first.get("failed") is not True, first.get("msg")
    second = rt.run(args)
    third = rt.run(args, check=True, diff=True)
    fourth = rt.run(args)
    return first, second, third, fourth


def by_name(result):
    return dict((c["name"], c) for c in result["containers"])


def test_new_config_check_apply_check_apply(rt, config_id):
    args = {"config_id": config_id, "config": startup_config(config_id)}
    planned = rt.run(args, check=True)
    assert planned["changed"] and rt.containers(config_id) == {}
    first, second, third, fourth = four(rt, args)
    assert [c["action"] for c in first["containers"]] == ["run", "create", "create"]
    assert first["commands"] and all(cmd[0] == rt.name for cmd in first["commands"])
    assert second["changed"] and not second.get("failed"), second.get("msg")
    running = rt.containers(config_id)
    assert running["%s-api" % config_id]["State"] == "running" and running["%s-sidecar" % config_id]["State"] == "running"
    assert running["%s-db-init" % config_id]["ExitCode"] == 0
    assert by_name(second)["%s-api" % config_id]["healthy"] is True
    labels = running["%s-api" % config_id]["Labels"]
    assert labels["config_id"] == config_id and labels["managed_by"] == "ooo.lifecycle" and len(labels["ooo.config_hash"]) == 64
    assert not third["changed"] and not fourth["changed"]
    assert third["commands"] == [] and fourth["commands"] == []  # no write on a no-op run


def test_start_order_respected_by_start_times(rt, config_id):
    config = startup_config(config_id)
    config["%s-last" % config_id] = service(config_id, 3)
    result = rt.run({"config_id": config_id, "config": config})
    assert not result.get("failed"), result.get("msg")
    # Both runtimes give StartedAt in RFC 3339 with nanoseconds, in UTC: they sort as text.
    at = dict((name, c["StartedAt"]) for name, c in rt.containers(config_id).items())
    order = ["%s-db-init", "%s-api", "%s-sidecar", "%s-last"]
    stamps = [at[name % config_id] for name in order]
    assert stamps == sorted(stamps), at


def test_one_changed_key_recreates_only_that_container(rt, config_id):
    config = startup_config(config_id)
    rt.run({"config_id": config_id, "config": config})
    before = rt.ids(config_id)
    config["%s-sidecar" % config_id]["environment"] = ["LOG=2"]
    args = {"config_id": config_id, "config": config}
    first, second, third, fourth = four(rt, args)
    plan = by_name(first)
    assert plan["%s-sidecar" % config_id]["action"] == "recreate"
    assert plan["%s-sidecar" % config_id]["changed_keys"] == ["environment"]
    assert plan["%s-api" % config_id]["action"] == "none" and plan["%s-db-init" % config_id]["action"] == "none"
    assert first["diff"]["after"] == {"%s-sidecar" % config_id: "recreate"}
    after = rt.ids(config_id)
    assert after["%s-sidecar" % config_id] != before["%s-sidecar" % config_id]
    assert after["%s-api" % config_id] == before["%s-api" % config_id]
    assert after["%s-db-init" % config_id] == before["%s-db-init" % config_id]
    assert second["changed"] and not third["changed"] and not fourth["changed"] and fourth["commands"] == []


def test_bind_mounted_config_content_change_recreates(rt, config_id, tmp_path):
    conf_dir = tmp_path / "config-data" / "api"
    conf_dir.mkdir(parents=True)
    (conf_dir / "api.conf").write_text("[DEFAULT]\nworkers = 2\n")
    config = {"%s-api" % config_id: service(config_id, 1, volumes=["%s:/etc/api:ro" % conf_dir])}
    args = {"config_id": config_id, "config": config, "hash_paths": [str(tmp_path / "config-data")]}
    rt.run(args)
    before = rt.ids(config_id)
    assert not rt.run(args)["changed"]
    (conf_dir / "api.conf").write_text("[DEFAULT]\nworkers = 4\n")
    first, second, third, fourth = four(rt, args)
    entry = by_name(first)["%s-api" % config_id]
    assert entry["action"] == "recreate" and entry["changed_keys"] == ["(content of %s)" % conf_dir]
    assert rt.ids(config_id)["%s-api" % config_id] != before["%s-api" % config_id]
    assert not third["changed"] and not fourth["changed"]
    out = rt.cli("exec", "%s-api" % config_id, "cat", "/etc/api/api.conf", check=False).stdout
    assert "workers = 4" in out


def test_removed_from_config_is_removed_and_other_managers_left_alone(rt, config_id):
    config = startup_config(config_id)
    rt.run({"config_id": config_id, "config": config})
    foreign = "%s-foreign" % config_id
    rt.cli("run", "-d", "--name", foreign, "--label", "config_id=%s" % config_id, "--label", "managed_by=someone-else",
           IMAGE, "sleep", "3600")
    del config["%s-sidecar" % config_id]
    args = {"config_id": config_id, "config": config}
    first, second, third, fourth = four(rt, args)
    assert by_name(first)["%s-sidecar" % config_id]["action"] == "remove"
    assert foreign not in by_name(first)
    names = set(rt.containers(config_id))
    assert "%s-sidecar" % config_id not in names and foreign in names
    assert not third["changed"] and not fourth["changed"]


def test_name_taken_by_another_manager_is_refused_before_anything(rt, config_id):
    taken = "%s-api" % config_id
    rt.cli("run", "-d", "--name", taken, "--label", "managed_by=tripleo_ansible", "--label", "config_id=%s" % config_id,
           IMAGE, "sleep", "3600")
    result = rt.run({"config_id": config_id, "config": startup_config(config_id)})
    assert result["failed"]
    assert "container %s: a container of that name exists, managed by tripleo_ansible" % taken in result["msg"]
    assert set(rt.containers(config_id)) == {taken}


def test_failing_one_shot_stops_later_orders_with_its_output(rt, config_id):
    config = startup_config(config_id)
    config["%s-db-init" % config_id]["command"] = ["sh", "-c", "echo 'ERROR: schema version 7 unknown' >&2; exit 3"]
    result = rt.run({"config_id": config_id, "config": config})
    assert result["failed"]
    assert "one-shot container %s-db-init exited with 3 (allowed: [0])" % config_id in result["msg"]
    assert "schema version 7 unknown" in result["msg"]
    assert "later start orders were not started" in result["msg"]
    entry = by_name(result)["%s-db-init" % config_id]
    assert entry["exit_code"] == 3 and "schema version 7 unknown" in entry["output"]
    assert by_name(result)["%s-api" % config_id]["skipped"]
    assert set(rt.containers(config_id)) == {"%s-db-init" % config_id}
    # Allowed exit codes are honoured, and the failed one-shot is run again.
    config["%s-db-init" % config_id]["exit_codes"] = [0, 3]
    again = rt.run({"config_id": config_id, "config": config})
    assert not again.get("failed"), again.get("msg")
    assert by_name(again)["%s-db-init" % config_id]["action"] == "recreate"


def test_healthcheck_that_never_passes_times_out_naming_the_container(rt, config_id):
    config = startup_config(config_id)
    config["%s-api" % config_id]["healthcheck"] = {"test": "test -e /nonexistent"}
    result = rt.run({"config_id": config_id, "config": config, "healthcheck_timeout": 3, "healthcheck_interval": 0.5})
    assert result["failed"]
    assert "container %s-api did not become healthy within 3s" % config_id in result["msg"]
    assert by_name(result)["%s-api" % config_id]["healthy"] is False
    assert "%s-sidecar" % config_id not in rt.containers(config_id)


def test_one_shot_with_remove_runs_once(rt, config_id, tmp_path):
    config = {"%s-bootstrap" % config_id: {"image": IMAGE, "detach": False, "remove": True, "command": ["true"]}}
    args = {"config_id": config_id, "config": config, "state_dir": str(tmp_path)}
    first, second, third, fourth = four(rt, args)
    assert first["changed"] and second["changed"] and not third["changed"] and not fourth["changed"]
    assert rt.containers(config_id) == {}
    assert json.loads((tmp_path / ("%s.json" % config_id)).read_text()) == {"%s-bootstrap" % config_id: by_name(second)["%s-bootstrap" % config_id]["hash"]}


@pytest.fixture
def lab_registry(rt, busybox):
    """The undercloud's registry, for this test's runtime: the busybox image pushed there, absent locally. Both engines
    verify its certificate with the undercloud's CA and send this host's push user (the undercloud role wrote podman's
    and docker's certs.d and credential files; the docker SDK reads ~/.docker/config.json)."""
    subprocess.run(["podman", "push", IMAGE, REMOTE_IMAGE], check=True, capture_output=True)
    rt.cli("rmi", "-f", REMOTE_IMAGE, check=False)
    yield
    rt.cli("rmi", "-f", REMOTE_IMAGE, check=False)


@pytest.mark.usefixtures("lab_registry")
def test_check_mode_reports_exactly_the_commands_apply_runs(rt, config_id, tmp_path):
    """One planner: every kind of write (pull, rm before a recreate, run, start, a one-shot's rm after, an orphan's
    rm) is reported by check mode as the very argv apply then runs, in the same order."""
    base = startup_config(config_id)
    base["%s-old" % config_id] = service(config_id, 2)
    args = {"config_id": config_id, "config": base, "state_dir": str(tmp_path)}
    assert not rt.run(args).get("failed")
    rt.cli("stop", "-t", "0", "%s-sidecar" % config_id)
    config = startup_config(config_id)
    config["%s-api" % config_id]["environment"] = {"WORKERS": "3"}
    config["%s-fetched" % config_id] = service(config_id, 3, image=REMOTE_IMAGE)
    config["%s-bootstrap" % config_id] = {"image": IMAGE, "detach": False, "remove": True, "start_order": 3, "command": ["true"]}
    args = {"config_id": config_id, "config": config, "state_dir": str(tmp_path)}
    predicted = rt.run(args, check=True)
    applied = rt.run(args)
    assert not applied.get("failed"), applied.get("msg")
    assert predicted["commands"] == applied["commands"]
    assert dict((n, c["commands"]) for n, c in by_name(predicted).items()) == dict((n, c["commands"]) for n, c in by_name(applied).items())
    verbs = [cmd[1] for cmd in applied["commands"]]
    assert verbs[0] == "pull" and applied["commands"][0][-1] == REMOTE_IMAGE
    # podman runs a container in one command; the Engine API creates, starts and (a one-shot) waits for it.
    writes = {"podman": ["pull", "rm", "run", "start"], "docker": ["create", "pull", "rm", "start", "wait"]}[rt.name]
    assert sorted(set(verbs)) == writes, verbs
    assert by_name(applied)["%s-bootstrap" % config_id]["commands"][-1] == [rt.name, "rm", "--force", "%s-bootstrap" % config_id]
    assert by_name(applied)["%s-old" % config_id]["commands"] == [[rt.name, "rm", "--force", "%s-old" % config_id]]
    again = rt.run(args, check=True)
    assert not again["changed"] and again["commands"] == []


@pytest.mark.parametrize("spec, expected", [
    ({"image": IMAGE, "comand": ["sleep", "1"]}, "unknown key 'comand'"),
    ({"image": IMAGE, "start_order": "1"}, "start_order must be a integer, got str"),
    ({"image": IMAGE, "detach": "no"}, "detach must be a boolean, got str"),
    ({"command": ["sleep", "1"]}, "image is required"),
    ({"image": IMAGE, "volumes": ["/etc/hosts"]}, "volumes entry '/etc/hosts' must be SRC:DEST"),
    ({"image": IMAGE, "environment": ["NOEQUALS"]}, "environment entry 'NOEQUALS' must be KEY=VALUE"),
    ({"image": IMAGE, "restart": "sometimes"}, "restart 'sometimes'"),
    ({"image": IMAGE, "healthcheck": {"interval": 3}}, "healthcheck.test is required"),
    ({"image": IMAGE, "labels": {"managed_by": "me"}}, "label 'managed_by' is set by the module"),
])
def test_bad_input_names_container_and_key_and_starts_nothing(rt, config_id, spec, expected):
    config = startup_config(config_id)
    config["%s-bad" % config_id] = spec
    result = rt.run({"config_id": config_id, "config": config})
    assert result["failed"] and ("container %s-bad: " % config_id) in result["msg"] and expected in result["msg"], result["msg"]
    assert rt.containers(config_id) == {}


def test_missing_image_fails_clearly_and_starts_nothing(rt, config_id):
    config = startup_config(config_id)
    config["%s-api" % config_id]["image"] = "198.18.0.1:8787/ooo/does-not-exist:latest"
    result = rt.run({"config_id": config_id, "config": config})
    assert result["failed"] and "%s pull" % rt.name in result["msg"] and "does-not-exist" in result["msg"]
    assert "nothing was started" in result["msg"]
    assert rt.containers(config_id) == {}


def test_info_reports_hashes_state_and_health(rt, config_id):
    applied = rt.run({"config_id": config_id, "config": startup_config(config_id)})
    info = run_module("ooo.lifecycle.container_startup_info", {"config_id": config_id, "check_health": True, "runtime": rt.name})
    api = info["containers"]["%s-api" % config_id]
    assert api["state"] == "running" and api["health"] == "healthy"
    assert api["config_hash"] == by_name(applied)["%s-api" % config_id]["hash"]
    assert info["containers"]["%s-db-init" % config_id]["exit_code"] == 0
    assert info["containers"]["%s-sidecar" % config_id]["health"] == "none"


PAUNCH = TOP / "tests" / "integration" / "files" / "paunch"


@pytest.mark.parametrize("example", ["hello-world.yml", "hello1-hello2.yml"])
def test_paunch_readme_examples_run_unchanged(rt, config_id, example):
    text = (PAUNCH / example).read_text().replace("hello-world", IMAGE)  # no registry here: the local test image stands in
    config = dict(("%s-%s" % (config_id, name), spec) for name, spec in yaml.safe_load(text).items())
    first, second, third, fourth = four(rt, {"config_id": config_id, "config": config})
    assert first["changed"] and second["changed"] and not second.get("failed"), second.get("msg")
    assert not third["changed"] and not fourth["changed"] and fourth["commands"] == []
    assert set(rt.containers(config_id)) == set(config)


def test_realistic_tripleo_step_runs_unchanged(rt, config_id, tmp_path):
    conf = tmp_path / "config-data" / "keystone" / "etc" / "keystone"
    conf.mkdir(parents=True)
    (conf / "keystone.conf").write_text("[DEFAULT]\n")
    text = (PAUNCH / "tripleo-keystone-steps.json").read_text().replace("hello-world", IMAGE).replace("@CONFIG@", str(tmp_path / "config-data"))
    step = dict(("%s-%s" % (config_id, name), spec) for name, spec in json.loads(text)["step_3"].items())
    for spec in step.values():
        spec["depends_on"] = ["%s-%s" % (config_id, dep) for dep in spec.get("depends_on", [])]
    args = {"config_id": config_id, "config": step, "hash_paths": [str(tmp_path / "config-data")]}
    first, second, third, fourth = four(rt, args)
    assert not second.get("failed"), second.get("msg")
    assert [c["action"] for c in first["containers"]] == ["run", "create", "create"]
    assert by_name(second)["%s-keystone" % config_id]["healthy"] is True
    assert by_name(second)["%s-keystone_db_sync" % config_id]["exit_code"] == 0
    assert not third["changed"] and fourth["commands"] == []
    # keystone.conf changes: the one-shot and both services mount it, so all three are recreated, in order.
    (conf / "keystone.conf").write_text("[DEFAULT]\ndebug = true\n")
    again = rt.run(args)
    assert [c["action"] for c in again["containers"]] == ["recreate", "recreate", "recreate"]


def test_a_config_the_other_runtime_runs_is_refused_naming_it(busybox, docker_engine):
    """One config, one runtime: asking docker to manage what podman already runs (or the reverse) is refused before
    anything is written, naming each container and the runtime that runs it."""
    cid = "t%s" % uuid.uuid4().hex[:8]
    podman, docker = Runtime("podman"), Runtime("docker")
    config = startup_config(cid)
    try:
        assert not podman.run({"config_id": cid, "config": config}).get("failed")
        refused = docker.run({"config_id": cid, "config": config})
        assert refused["failed"] and docker.containers(cid) == {}
        for name in config:
            assert "container %s: podman already runs it for config_id %s" % (name, cid) in refused["msg"], refused["msg"]
        podman.remove(cid)
        assert not docker.run({"config_id": cid, "config": config}).get("failed")
        back = podman.run({"config_id": cid, "config": config}, check=True)
        assert back["failed"] and "docker already runs it" in back["msg"] and podman.containers(cid) == {}
    finally:
        podman.remove(cid)
        docker.remove(cid)


def test_the_role_brings_steps_up_on_a_docker_engine_and_rerun_changes_nothing(busybox, docker_engine, tmp_path):
    """roles/container_manage with container_manage_runtime docker, on this host: TripleO's step layout, each step
    done before the next, a rerun with changed=0."""
    cid = "t%s" % uuid.uuid4().hex[:8]
    steps = {"step_1": {"%s-db-init" % cid: {"image": IMAGE, "detach": False, "command": ["sh", "-c", "echo schema ready"]}},
             "step_2": {"%s-api" % cid: service(cid, 0, healthcheck={"test": "test -e /proc/1"}),
                        "%s-sidecar" % cid: service(cid, 1)}}
    for step, config in steps.items():
        (tmp_path / "config" / step).mkdir(parents=True)
        for name, spec in config.items():
            (tmp_path / "config" / step / ("%s.json" % name)).write_text(json.dumps(spec))
    book = tmp_path / "manage.yml"
    book.write_text(yaml.safe_dump([{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Bring the steps up", "ansible.builtin.include_role": {"name": "ooo.lifecycle.container_manage"},
         "vars": {"container_manage_config_dir": str(tmp_path / "config"), "container_manage_steps": [1, 2],
                  "container_manage_config_id_prefix": "%s_step" % cid, "container_manage_runtime": "docker",
                  "container_manage_healthcheck_timeout": 30}}]}]))
    docker = Runtime("docker")

    def run():
        proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(book)], cwd=TOP, env=ansible_env(), capture_output=True,
                              text=True, timeout=600, check=False)
        return proc.returncode, proc.stdout + proc.stderr

    try:
        rc, output = run()
        assert rc == 0, output[-4000:]
        step1, step2 = docker.containers("%s_step1" % cid), docker.containers("%s_step2" % cid)
        assert step1["%s-db-init" % cid]["ExitCode"] == 0
        assert step2["%s-api" % cid]["State"] == "running" and step2["%s-sidecar" % cid]["State"] == "running"
        assert Runtime("podman").containers("%s_step2" % cid) == {}
        rc, output = run()
        assert rc == 0 and recap(output, host="localhost")["changed"] == 0, output[-4000:]
    finally:
        docker.remove("%s_step1" % cid)
        docker.remove("%s_step2" % cid)


def test_a_secret_environment_value_reaches_the_container_and_nothing_else(rt, config_id):
    """Not in the results or the returned commands (check mode and apply), not in the labels; the service gets it."""
    value = "S3cr3t-%s" % uuid.uuid4().hex
    name = "%s-api" % config_id
    args = {"config_id": config_id, "config": {name: service(config_id, 1, environment={"DB_PASSWORD": value, "WORKERS": "2"})}}
    planned, planned_out = rt.run(args, check=True, raw=True)
    applied, applied_out = rt.run(args, raw=True)
    assert not applied.get("failed"), applied.get("msg")
    assert value not in planned_out and value not in applied_out
    assert any("DB_PASSWORD" in json.dumps(c) for c in applied["commands"])
    assert value not in json.dumps(rt.containers(config_id)[name]["Labels"])
    assert rt.cli("exec", name, "sh", "-c", "echo $DB_PASSWORD").stdout.strip() == value
