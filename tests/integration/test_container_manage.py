"""roles/container_manage on a lab machine: podman inside it, the image pulled from the undercloud's registry."""
import json
import subprocess

import pytest
import yaml

from conftest import TOP, ansible_env, VENV_BIN, recap

MACHINE = "compute-0"
CONTAINER = "ooo-lab-compute-0"
REMOTE_IMAGE = "198.18.0.1:8787/ooo/busybox:latest"
CONFIG_DIR = "/var/lib/ooo-test/startup-config"


@pytest.fixture(scope="module")
def registry_image(lab):
    subprocess.run(["bash", str(TOP / "scripts" / "busybox_image.sh")], check=True, capture_output=True)
    subprocess.run(["podman", "push", "localhost/ooo-busybox:latest", REMOTE_IMAGE], check=True, capture_output=True)
    machine("podman", "rmi", "-f", REMOTE_IMAGE, check=False)
    yield REMOTE_IMAGE
    # Only this test's containers: compute-0 also runs the overcloud's (until 2026-12-07 they were removed here too,
    # and the suite's last test, which deploys from nothing, hid it).
    listing = machine("podman", "ps", "-a", "--format", "{{.ID}} {{index .Labels \"config_id\"}}",
                      "--filter", "label=managed_by=ooo.lifecycle").stdout.split("\n")
    ids = [line.split()[0] for line in listing if len(line.split()) == 2 and line.split()[1].startswith("ooo_test_step")]
    if ids:
        machine("podman", "rm", "-f", "-t", "0", *ids, check=False)
    machine("rm", "-rf", CONFIG_DIR, "/var/lib/config-data/ooo-test", check=False)


def machine(*argv, check=True):
    return subprocess.run(["podman", "exec", CONTAINER] + list(argv), capture_output=True, text=True, check=check)


def steps(image, api_conf="workers = 2"):
    return {
        "step_1": {"db_init": {"image": image, "detach": False, "command": ["sh", "-c", "echo schema ready"]}},
        "step_2": {
            "api": {"image": image, "start_order": 0, "command": ["sleep", "3600"], "stop_signal": "KILL",
                    "volumes": ["/var/lib/config-data/ooo-test/api:/etc/api:ro"], "healthcheck": {"test": "test -e /etc/api/api.conf"}},
            "sidecar": {"image": image, "start_order": 1, "command": ["sleep", "3600"], "stop_signal": "KILL"},
        },
    }, api_conf


def run_role(tmp_path, config, api_conf):
    tasks = [{"name": "Write the API config", "ansible.builtin.copy": {"content": api_conf + "\n",
                                                                       "dest": "/var/lib/config-data/ooo-test/api/api.conf", "mode": "0644"}}]
    directories = ["%s/%s" % (CONFIG_DIR, step) for step in config] + ["/var/lib/config-data/ooo-test/api"]
    tasks.insert(0, {"name": "Create the config directories", "loop": directories,
                     "ansible.builtin.file": {"path": "{{ item }}", "state": "directory", "mode": "0755"}})
    for step, containers in config.items():
        for name, spec in containers.items():
            tasks.append({"name": "Write %s/%s" % (step, name), "ansible.builtin.copy": {
                "content": json.dumps(spec, indent=1) + "\n", "dest": "%s/%s/%s.json" % (CONFIG_DIR, step, name), "mode": "0644"}})
    tasks.append({"name": "Bring the steps up", "ansible.builtin.include_role": {"name": "ooo.lifecycle.container_manage"},
                  "vars": {"container_manage_config_dir": CONFIG_DIR, "container_manage_steps": [1, 2],
                           "container_manage_config_id_prefix": "ooo_test_step", "container_manage_healthcheck_timeout": 30}})
    book = tmp_path / "manage.yml"
    book.write_text(yaml.safe_dump([{"hosts": MACHINE, "gather_facts": False, "tasks": tasks}]))
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(book)], cwd=TOP, env=ansible_env(), capture_output=True, text=True,
                          timeout=900, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def running():
    out = machine("podman", "ps", "-a", "--format", "json", "--filter", "label=managed_by=ooo.lifecycle").stdout
    return dict((c["Names"][0], c) for c in json.loads(out or "[]"))


def test_steps_come_up_on_a_lab_machine_and_rerun_changes_nothing(registry_image, tmp_path):
    config, api_conf = steps(registry_image)
    rc, output = run_role(tmp_path, config, api_conf)
    assert rc == 0, output[-5000:]
    found = running()
    assert found["db_init"]["ExitCode"] == 0 and found["db_init"]["Labels"]["config_id"] == "ooo_test_step1"
    assert found["api"]["State"] == "running" and found["api"]["Labels"]["config_id"] == "ooo_test_step2"
    assert found["sidecar"]["State"] == "running"
    # The image was not on the machine: it came from the undercloud's registry.
    assert machine("podman", "image", "exists", registry_image, check=False).returncode == 0
    first_ids = dict((name, c["Id"]) for name, c in found.items())
    rc, output = run_role(tmp_path, config, api_conf)
    assert rc == 0 and recap(output, host=MACHINE)["changed"] == 0, output[-5000:]
    assert dict((name, c["Id"]) for name, c in running().items()) == first_ids

    # A changed configuration file recreates the container that mounts it, and only that one.
    rc, output = run_role(tmp_path, config, "workers = 8")
    assert rc == 0, output[-5000:]
    now = dict((name, c["Id"]) for name, c in running().items())
    assert now["api"] != first_ids["api"]
    assert now["sidecar"] == first_ids["sidecar"] and now["db_init"] == first_ids["db_init"]
    assert "workers = 8" in machine("podman", "exec", "api", "cat", "/etc/api/api.conf").stdout


def test_a_container_in_two_steps_is_refused_before_anything_starts(registry_image, tmp_path):
    config, api_conf = steps(registry_image)
    before = dict((name, c["Id"]) for name, c in running().items())
    config["step_1"]["sidecar"] = {"image": registry_image, "command": ["sleep", "3600"]}
    rc, output = run_role(tmp_path, config, "workers = 9")
    assert rc != 0
    assert "Containers defined in more than one step: sidecar" in output
    assert dict((name, c["Id"]) for name, c in running().items()) == before
    machine("rm", "-f", "%s/step_1/sidecar.json" % CONFIG_DIR)


def test_bad_step_config_fails_before_the_first_step_changes(registry_image, tmp_path):
    config, api_conf = steps(registry_image)
    config["step_2"]["sidecar"]["comand"] = ["sleep", "1"]
    config["step_1"]["db_init"]["command"] = ["sh", "-c", "echo changed"]
    before = dict((name, c["Id"]) for name, c in running().items())
    rc, output = run_role(tmp_path, config, api_conf)
    assert rc != 0
    assert "container sidecar: unknown key 'comand'" in output
    assert dict((name, c["Id"]) for name, c in running().items()) == before
