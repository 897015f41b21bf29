"""Bad input across the board: the modules not covered by their own files' bad-input cases (baremetal_provision,
process_service, every _info module, clouds_info) and the playbooks' extra vars. Each case fails with a message naming
the option (or variable) and the fix, before anything is written.

The module cases run as the tasks of one playbook (ignore_errors), so that thirty cases cost one Ansible run.
"""
import json
import os
import subprocess

import pytest

from conftest import TOP, VENV_BIN, ansible_env, run_playbook

UNDERCLOUD = {"cloud": "undercloud"}
PIDFILE = "/tmp/ooo-bad-input.pid"

# (case, module, options, what the message must say)
MODULE_CASES = [
    ("provision-unknown-node", "baremetal_provision", dict(UNDERCLOUD, nodes=["no-such-node-x"], target="available"),
     "nodes: no-such-node-x is not a node of Ironic; enroll it first (ooo.lifecycle.baremetal_nodes) or fix the name"),
    ("provision-bad-target", "baremetal_provision", dict(UNDERCLOUD, nodes=["compute-0"], target="activ"),
     "value of target must be one of: manageable, inspected, available, active, undeployed, got: activ"),
    ("provision-missing-image", "baremetal_provision", dict(UNDERCLOUD, nodes=["compute-1"], target="active", image="no-such-image-x"),
     "image: no active image named no-such-image-x in Glance; upload it (ooo.lifecycle.image) or give its ID"),
    ("provision-bad-power", "baremetal_provision", dict(UNDERCLOUD, nodes=["compute-0"], power="sideways"),
     "value of power must be one of: on, off, got: sideways"),
    ("provision-no-concurrency", "baremetal_provision", dict(UNDERCLOUD, nodes=["compute-0"], target="active", concurrency=0),
     "concurrency: 0; give 1 or more"),
    ("provision-negative-retries", "baremetal_provision", dict(UNDERCLOUD, nodes=["compute-0"], target="active", retries=-1),
     "retries: -1; give 0 or more"),
    ("process-no-argv", "process_service", dict(name="ooo-bad-input", pidfile=PIDFILE),
     "state is started but all of the following are missing: argv"),
    ("process-bad-state", "process_service", dict(name="ooo-bad-input", argv=["true"], state="running", pidfile=PIDFILE),
     "value of state must be one of: started, stopped, restarted, got: running"),
    ("process-bad-timeout-type", "process_service", dict(name="ooo-bad-input", argv=["true"], ready_timeout="soon", pidfile=PIDFILE),
     "argument 'ready_timeout' is of type str and we were unable to convert to int"),
    ("process-empty-argv", "process_service", dict(name="ooo-bad-input", argv=[], pidfile=PIDFILE),
     "argv: empty; give the program to run and its arguments"),
    ("process-missing-program", "process_service", dict(name="ooo-bad-input", argv=["/nonexistent/daemon"], pidfile=PIDFILE),
     "argv: /nonexistent/daemon is not an executable file, nor a program on PATH; install it or give its full path"),
    ("process-bad-url", "process_service", dict(name="ooo-bad-input", argv=["sleep", "60"], ready_url="not a url", pidfile=PIDFILE),
     "ready_url: 'not a url' is not an http:// or https:// URL"),
    ("process-unknown-user", "process_service", dict(name="ooo-bad-input", argv=["sleep", "60"], user="no-such-user-x", pidfile=PIDFILE),
     "user: no-such-user-x is not a user of this host; create it first or fix the name"),
    ("process-bad-port-and-timeout", "process_service",
     dict(name="ooo-bad-input", argv=["sleep", "60"], ready_port=70000, ready_timeout=0, pidfile=PIDFILE),
     "ready_port: 70000 is not a TCP port (1 to 65535); ready_timeout: 0; give the seconds to wait for readiness, 1 or more"),
    ("process-missing-chdir", "process_service", dict(name="ooo-bad-input", argv=["sleep", "60"], chdir="/nonexistent/dir", pidfile=PIDFILE),
     "chdir: /nonexistent/dir is not a directory"),
    ("image-info-missing-file", "image_info", dict(UNDERCLOUD, filename="/nonexistent/disk.qcow2"),
     "filename: /nonexistent/disk.qcow2 does not exist; give the path of an existing image file"),
    ("image-info-unknown-cloud", "image_info", dict(cloud="no-such-cloud-x"),
     "Cloud no-such-cloud-x was not found. The entries of clouds.yaml are: "),
    ("image-info-bad-copies", "image_info", dict(UNDERCLOUD, name="x", copies="maybe"),
     "argument 'copies' is of type str and we were unable to convert to bool"),
    ("heat-info-no-name", "heat_stack_info", dict(UNDERCLOUD), "missing required arguments: name"),
    ("heat-info-bad-events", "heat_stack_info", dict(UNDERCLOUD, name="x", events="many"),
     "argument 'events' is of type str and we were unable to convert to int"),
    ("node-info-unknown", "baremetal_node_info", dict(UNDERCLOUD, nodes=["no-such-node-x", "compute-0"]),
     "Unknown node(s): no-such-node-x. Enroll them first (ooo.lifecycle.baremetal_nodes) or fix the names."),
    ("node-info-bad-cloud-type", "baremetal_node_info", dict(cloud=42),
     "option cloud must be a clouds.yaml entry name or a dict, got 'int'"),
    ("inventory-info-unknown", "baremetal_inventory_info", dict(UNDERCLOUD, nodes=["no-such-node-x"]),
     "Unknown node(s): no-such-node-x. Enroll them first"),
    ("inventory-info-no-concurrency", "baremetal_inventory_info", dict(UNDERCLOUD, concurrency=0), "concurrency: 0; give 1 or more"),
    ("container-info-bad-runtime", "container_startup_info", dict(runtime="lxc"), "value of runtime must be one of: podman, docker, got: lxc"),
    ("container-info-no-engine", "container_startup_info", dict(runtime="docker", docker_host="unix:///nonexistent/docker.sock"),
     "Cannot reach the Docker engine at unix:///nonexistent/docker.sock"),
    ("clouds-info-unknown", "clouds_info", dict(clouds=["no-such-cloud-x"]),
     "clouds: no entry named 'no-such-cloud-x' in clouds.yaml (known: "),
    ("clouds-info-bad-interface", "clouds_info", dict(interface="private"), "value of interface must be one of: admin, internal, public, got: private"),
    ("clouds-info-no-concurrency", "clouds_info", dict(concurrency=0), "concurrency: 0; give 1 or more"),
    ("clouds-info-bad-timeout", "clouds_info", dict(api_timeout=-1), "api_timeout: -1; give 1 or more"),
    ("hardware-validation-unknown-option", "baremetal_hardware_validation", dict(UNDERCLOUD, bogus=1),
     "Unsupported parameters for (ooo.lifecycle.baremetal_hardware_validation) module: bogus"),
]

# (case, playbook, extra vars, what the message must say)
PLAYBOOK_CASES = [
    ("enroll-missing-nodes-file", "baremetal_enroll.yml", {"baremetal_enroll_nodes_file": "/nonexistent/nodes.yaml"},
     "baremetal_enroll_nodes_file: /nonexistent/nodes.yaml is not a file with a 'nodes' list"),
    ("hardware-validate-not-a-nodes-file", "hardware_validate.yml", {"baremetal_nodes_file": "/etc/hostname"},
     "baremetal_nodes_file: /etc/hostname is not a file with a 'nodes' list"),
    ("hardware-validate-bad-quarantine", "hardware_validate.yml", {"hardware_validation_quarantine": "delete"},
     "value of hardware_validation_quarantine must be one of: maintenance, trait, none, got: delete"),
    ("hardware-validate-bad-mad-k", "hardware_validate.yml", {"hardware_validation_mad_k": "lots"},
     "hardware_validation_mad_k"),
    ("images-bad-disk-format", "images.yml", {"images_disk_format": "vhdz"},
     "value of images_disk_format must be one of: cloud, source, raw, qcow2, vmdk, vhd, vhdx, vdi, iso, got: vhdz"),
    ("deploy-step-not-given", "overcloud_deploy_step.yml", {},
     "overcloud_deploy_step: not set is not a step of the deployment (1 to 5)"),
    ("deploy-step-out-of-range", "overcloud_deploy_step.yml", {"overcloud_deploy_step": 9},
     "overcloud_deploy_step: 9 is not a step of the deployment (1 to 5)"),
]


@pytest.fixture(scope="module")
def module_results(lab, tmp_path_factory, conn):
    before = {n.name: (n.provision_state, n.power_state, n.updated_at) for n in conn.baremetal.nodes(details=True)}
    tasks = [{"name": case, "ooo.lifecycle." + module: options, "ignore_errors": True} for case, module, options, _msg in MODULE_CASES]
    playbook = tmp_path_factory.mktemp("bad") / "bad_input.yml"
    playbook.write_text(json.dumps([{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]))
    env = ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook)], cwd=TOP, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    results = {task["task"]["name"]: task["hosts"]["localhost"] for task in json.loads(proc.stdout)["plays"][0]["tasks"]}
    after = {n.name: (n.provision_state, n.power_state, n.updated_at) for n in conn.baremetal.nodes(details=True)}
    return results, before, after


@pytest.mark.parametrize("case,module,options,expected", MODULE_CASES, ids=[c[0] for c in MODULE_CASES])
def test_a_module_refuses_bad_input_naming_the_option_and_the_fix(module_results, case, module, options, expected):
    results, _before, _after = module_results
    result = results[case]
    assert result.get("failed") is True and result.get("changed") is False, (module, options, result)
    assert expected in result["msg"], result["msg"]


def test_nothing_was_written_by_the_refused_cases(module_results):
    _results, before, after = module_results
    assert after == before, "an Ironic node changed"
    assert not os.path.exists(PIDFILE), "a process was started"


@pytest.mark.parametrize("case,playbook,extra,expected", PLAYBOOK_CASES, ids=[c[0] for c in PLAYBOOK_CASES])
def test_a_playbook_refuses_bad_extra_vars_before_any_change(lab, case, playbook, extra, expected):
    rc, output = run_playbook(playbook, "-e", json.dumps(extra), check=False)
    assert rc != 0, output[-2000:]
    flat = " ".join(output.split()).replace("'' ", "' ").replace("''", "'")
    assert " ".join(expected.split()) in flat, output[-3000:]
    assert "changed=0" in output.split("PLAY RECAP")[-1], output[-1500:]


# (role, entry point, its bad options, what the validation must say): an entry point's arguments are validated before
# its first task (tasks_from names the entry point, tests/layout), as a user's bad variable would reach it.
ENTRY_POINT_CASES = [
    ("overcloud_deploy", "guest", {"overcloud_guest_flavor": {"name": "ooo.tiny", "vcpus": 1, "disk": 1}},
     "missing required arguments: ram found in overcloud_guest_flavor"),
    ("overcloud_deploy", "guest", {"overcloud_guest_network": {"name": "net", "router": "r"}},
     "missing required arguments: cidr found in overcloud_guest_network"),
    ("overcloud_deploy", "sanity", {"overcloud_ready_timeout": "soon"},
     "argument 'overcloud_ready_timeout' is of type str and we were unable to convert to int"),
    ("overcloud_update", "probe_start", {"overcloud_update_probe_token": "perhaps"},
     "argument 'overcloud_update_probe_token' is of type str and we were unable to convert to bool"),
]


def test_an_entry_point_refuses_bad_arguments_before_its_first_task(tmp_path):
    """Each case is a block whose rescue keeps the failure: the entry point's validation fails, and no task of the
    entry point runs after it (the guest is not built, no API is asked)."""
    plays = []
    for index, (role, entry, options, _expected) in enumerate(ENTRY_POINT_CASES):
        plays.append({"name": "case %d" % index, "hosts": "localhost", "gather_facts": False, "tasks": [{
            "block": [{"ansible.builtin.include_role": {"name": "ooo.lifecycle." + role, "tasks_from": entry}, "vars": options}],
            "rescue": [{"ansible.builtin.debug": {"msg": "case %d refused: {{ ansible_failed_result.msg }}" % index}}]}]})
    playbook = tmp_path / "entry_points.yml"
    playbook.write_text(json.dumps(plays))
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)], cwd=TOP,
                          env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-3000:]
    flat = " ".join(output.split())
    for index, (role, entry, _options, expected) in enumerate(ENTRY_POINT_CASES):
        assert "Validating arguments against arg spec '%s'" % entry in output, (role, entry)
        assert "case %d refused: Validation of arguments failed: %s" % (index, expected) in flat, (role, entry, output[-3000:])
    for first_task in ("Build the test guest", "Wait for every compute", "Start the probe"):
        assert first_task not in output, "a task ran after its entry point refused its arguments: " + first_task
