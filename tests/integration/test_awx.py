"""Where operators run it: AWX's engine (ansible-runner), an execution environment's build context
(ansible-builder), the system packages (bindep) and a clean install from requirements.txt alone."""
import json
import subprocess
import sys

import pytest
import yaml

from conftest import CLOUDS_YAML, TOP, VENV_BIN, ansible_env

SECURE_YAML = CLOUDS_YAML.parent / "secure.yaml"


def build_collection(dest):
    proc = subprocess.run([str(VENV_BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dest), str(TOP)],
                          cwd=TOP, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarballs = list(dest.glob("ooo-lifecycle-*.tar.gz"))
    assert len(tarballs) == 1
    return tarballs[0]


def test_bindep_lists_packages_and_this_machine_has_them():
    proc = subprocess.run([str(VENV_BIN / "bindep"), "-b", "-f", str(TOP / "bindep.txt")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, "missing on this machine: %s %s" % (proc.stdout, proc.stderr)
    listed = subprocess.run([str(VENV_BIN / "bindep"), "-l", "newline", "-f", str(TOP / "bindep.txt"), "images", "compile"],
                            capture_output=True, text=True, check=False).stdout.split()
    assert {"qemu-utils", "openssh-client", "mmdebstrap", "e2fsprogs", "gcc", "python3-dev"} <= set(listed)


def test_ansible_builder_creates_the_build_context(tmp_path):
    for name in ("execution-environment.yml", "requirements.txt", "bindep.txt"):
        (tmp_path / name).write_text((TOP / name).read_text())
    tarball = build_collection(tmp_path / "context-files")
    proc = subprocess.run([str(VENV_BIN / "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context", "-v", "3"],
                          cwd=tmp_path, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    context = tmp_path / "context"
    containerfile = (context / "Containerfile").read_text()
    assert "ansible-galaxy collection install" in containerfile or "install-from-bindep" in containerfile
    build = context / "_build"
    assert "openstacksdk" in (build / "requirements.txt").read_text()
    assert "qemu-utils" in (build / "bindep.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert "context-files/" + tarball.name in [c["name"] for c in galaxy["collections"]]
    assert (build / "context-files" / tarball.name).exists(), "the collection tarball is in the build context"


@pytest.fixture(scope="module")
def awx_credential(lab, tmp_path_factory):
    """A clouds.yaml written the way AWX's OpenStack credential writes it: one entry, password inline."""
    clouds = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]
    secure = yaml.safe_load(SECURE_YAML.read_text())["clouds"]
    entry = dict(clouds["lab-ops"])
    entry["auth"] = dict(entry["auth"], password=secure["lab-ops"]["auth"]["password"])
    path = tmp_path_factory.mktemp("awx-cred") / "clouds.yaml"
    path.write_text(yaml.safe_dump({"clouds": {"devstack": entry}}))
    path.chmod(0o600)
    return path, entry["auth"]["password"]


def run_runner(tmp_path, playbook, extravars=None, envvars=None):
    import ansible_runner
    env = ansible_env()
    wanted = {k: env[k] for k in ("PATH", "ANSIBLE_CONFIG", "ANSIBLE_NOCOLOR")}
    wanted.update(envvars or {})
    return ansible_runner.run(private_data_dir=str(tmp_path), project_dir=str(TOP), playbook=playbook,
                              inventory=str(TOP / "inventories" / "lab"), extravars=extravars or {}, envvars=wanted,
                              quiet=True, rotate_artifacts=0)


def stats_event(runner):
    events = [e for e in runner.events if e.get("event") == "playbook_on_stats"]
    assert len(events) == 1
    return events[0]["event_data"]


def test_runner_status_artifacts_and_events_of_the_lab_status(lab, tmp_path):
    runner = run_runner(tmp_path, "playbooks/lab_status.yml")
    assert runner.status == "successful" and runner.rc == 0, runner.stdout.read()[-3000:]
    data = stats_event(runner)
    assert data["failures"] == {} and "localhost" in data["ok"]
    artifact = data["artifact_data"]
    assert artifact["lab_services"]["keystone"] in (200, 300, 401)
    assert len(artifact["lab_machines"]) >= 4 and artifact["lab_ironic_nodes"] >= 4
    # The artifacts directory AWX reads: status, rc, stdout and one JSON file per event.
    run_dir = next((tmp_path / "artifacts").iterdir())
    assert (run_dir / "status").read_text().strip() == "successful" and (run_dir / "rc").read_text().strip() == "0"
    assert len(list((run_dir / "job_events").glob("*.json"))) == len(list(runner.events))
    tasks = [e["event_data"].get("task") for e in runner.events if e.get("event") == "runner_on_ok"]
    assert "Publish the summary (AWX shows it as an artifact)" in tasks


def test_runner_network_config_on_every_machine(lab, tmp_path):
    """A playbook on many inventory hosts: one event stream, per-host results, per-host artifacts aggregated."""
    # The machines Ironic deployed (the quarantined black sheep runs nothing).
    machines = {"controller-0", "compute-0", "compute-2"}
    runner = run_runner(tmp_path, "playbooks/network_config.yml", extravars={"network_config_hosts": ",".join(sorted(machines))})
    assert runner.status == "successful", runner.stdout.read()[-3000:]
    data = stats_event(runner)
    assert machines <= set(data["ok"]) and data["failures"] == {} and data["changed"] == {}, "a rerun on the lab changes nothing"
    assert {h: v["commands"] for h, v in data["artifact_data"]["network_config"].items()} == {h: 0 for h in machines}
    hosts = {e["event_data"].get("host") for e in runner.events if e.get("event") == "runner_on_ok"}
    assert machines <= hosts


def test_runner_multicloud_with_an_awx_style_credential(lab, tmp_path, awx_credential):
    path, password = awx_credential
    # Survey answers as AWX sends them: a textarea is one string, a multiple choice "true"/"false" a string.
    survey = {"multicloud_clouds": "devstack\n", "multicloud_fail_fast": "false", "multicloud_concurrency": 2}
    runner = run_runner(tmp_path, "playbooks/multicloud_probe.yml", extravars=survey, envvars={"OS_CLIENT_CONFIG_FILE": str(path)})
    stdout = runner.stdout.read()
    assert runner.status == "successful", stdout[-3000:]
    rows = stats_event(runner)["artifact_data"]["multicloud_summary"]
    assert [(r["cloud"], r["status"]) for r in rows] == [("devstack", "ok")]
    assert stats_event(runner)["artifact_data"]["multicloud_failed_clouds"] == []
    # The credential never shows: not in stdout, not in any event AWX stores.
    assert password not in stdout
    assert password not in json.dumps(list(runner.events))


def test_survey_spec_names_documented_role_inputs():
    survey = json.loads((TOP / "docs" / "awx" / "multicloud_images.survey.json").read_text())
    specs = yaml.safe_load((TOP / "roles" / "multicloud" / "meta" / "argument_specs.yml").read_text())["argument_specs"]["images"]["options"]
    for question in survey["spec"]:
        assert question["variable"] in specs, question["variable"]
        if "choices" in specs[question["variable"]]:
            assert set(question["choices"]) <= set(specs[question["variable"]]["choices"])


def test_runner_reports_a_failed_job_with_the_reason(lab, tmp_path):
    """A survey answer naming no cloud: the job fails, and the event says which input and what is known."""
    runner = run_runner(tmp_path, "playbooks/multicloud_probe.yml", extravars={"multicloud_clouds": ["no-such-cloud"]})
    assert runner.status == "failed" and runner.rc != 0
    failures = [e["event_data"]["res"]["msg"] for e in runner.events if e.get("event") == "runner_on_failed"]
    assert len(failures) == 1 and "no entry named 'no-such-cloud'" in failures[0] and "lab-ops" in failures[0]


def test_clean_venv_install_from_requirements_txt_runs_a_module(lab, tmp_path):
    """requirements.txt is complete: a new venv with it (and ansible-core) runs a module of the built collection."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    core = [line for line in (TOP / "requirements-dev.txt").read_text().splitlines() if line.startswith("ansible-core==")]
    proc = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "-r", str(TOP / "requirements.txt")] + core,
                          capture_output=True, text=True, timeout=900, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tarball = build_collection(tmp_path / "dist")
    collections = tmp_path / "collections"
    # Nothing of this checkout's Ansible settings: with them ansible-galaxy finds the collection already "installed"
    # (the checkout's .collections link) and skips the install.
    env = {k: v for k, v in ansible_env().items() if not k.startswith("ANSIBLE_")}
    env.update(ANSIBLE_COLLECTIONS_PATH=str(collections), PATH="%s:/usr/bin:/bin" % (venv / "bin"))
    proc = subprocess.run([str(venv / "bin" / "ansible-galaxy"), "collection", "install", "--no-deps", "--force", "-p", str(collections), str(tarball)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (collections / "ansible_collections" / "ooo" / "lifecycle" / "plugins" / "modules" / "clouds_info.py").exists(), proc.stdout
    # ansible-core alone: no ansible.posix json callback; the one-line output carries the result as JSON.
    proc = subprocess.run([str(venv / "bin" / "ansible"), "localhost", "-m", "ooo.lifecycle.clouds_info", "-a",
                           json.dumps({"clouds": ["undercloud", "lab-east"]}), "-o", "-e", "ansible_python_interpreter=%s" % (venv / "bin" / "python")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert proc.stdout.startswith("localhost | SUCCESS => {"), proc.stdout + proc.stderr
    result = json.loads(proc.stdout.split("=> ", 1)[1])
    assert result["reachable"] == ["lab-east", "undercloud"], result
