"""playbooks/validations.yml: groups, names, every validation run and reported, clear failures, against the lab."""
import json
import subprocess

import pytest

from conftest import haproxy_backends, run_playbook, wait

MACHINE = "ooo-lab-compute-0"
IMAGE = "198.18.0.1:8787/ooo/services:2026.2"  # on every deployed machine (the deployment pulls it)


def validate(tmp_path, check=True, **extra):
    report = tmp_path / "validations.json"
    extra.setdefault("validations_report_file", str(report))
    rc, output = run_playbook("validations.yml", "-e", json.dumps(extra), check=check)
    results = json.loads(report.read_text())["results"] if report.exists() else None
    return rc, output, results


def by_name(results):
    return {r["name"]: r for r in results}


def test_catalogue_is_listed_and_nothing_runs(lab, tmp_path):
    rc, output, results = validate(tmp_path, validations_list=True)
    for name in ("undercloud-services", "ironic-nodes-enough", "golden-image", "containers-healthy", "plan-stack-complete"):
        assert name in output
    assert "pre-deployment" in output and results is None


def test_pre_deployment_checks_pass_on_the_lab(lab, tmp_path):
    only = ["undercloud-services", "undercloud-resources", "ironic-nodes-enough", "ironic-nodes-healthy", "machines-reachable"]
    # The machines Ironic deployed: the quarantined black sheep runs nothing.
    _rc, _output, results = validate(tmp_path, validations_only=only, validations_role_counts={"Controller": 1, "Compute": 2},
                                     validations_machines_group="overcloud:!compute-1")
    assert [r["name"] for r in results] == only
    assert {r["name"]: r["status"] for r in results} == {name: "PASSED" for name in only}


def test_a_failing_validation_names_the_cause_and_the_others_still_run(lab, tmp_path):
    rc, output, results = validate(tmp_path, check=False, validations_only=["undercloud-services", "ironic-nodes-enough", "golden-image"],
                                   validations_role_counts={"Compute": 3}, validations_golden_image="none-such")
    assert rc != 0
    results = by_name(results)
    assert results["undercloud-services"]["status"] == "PASSED"
    reason = results["ironic-nodes-enough"]["reason"]
    assert results["ironic-nodes-enough"]["status"] == "FAILED"
    assert reason.startswith("role Compute needs 3 nodes with profile compute, 2 usable (compute-0, compute-2); "
                             "not usable: compute-1 (manageable, maintenance)"), reason
    assert results["golden-image"]["status"] == "FAILED"
    assert "no active image none-such" in results["golden-image"]["reason"] and "playbooks/images.yml" in results["golden-image"]["reason"]
    # The play's own failure lists both.
    assert "ironic-nodes-enough: role Compute needs 3" in output and "golden-image: no active image none-such" in output


def test_unknown_group_or_name_is_refused_before_anything_runs(lab, tmp_path):
    rc, output, results = validate(tmp_path, check=False, validations_groups=["pre-deploy"], validations_skip=["golden-imag"])
    assert rc != 0 and results is None
    assert "unknown group(s) pre-deploy" in output and "unknown validation(s) golden-imag" in output
    assert "pre-deployment, post-deployment, pre-update, pre-upgrade" in output


def test_skipped_with_a_reason_when_there_is_nothing_to_check(lab, tmp_path):
    _rc, _output, results = validate(tmp_path, validations_only=["ironic-nodes-enough", "machines-reachable"], validations_plan_stack="no-such-plan",
                                     validations_machines_group="no_such_group")
    results = by_name(results)
    assert results["ironic-nodes-enough"]["status"] == "SKIPPED" and "validations_role_counts" in results["ironic-nodes-enough"]["reason"]
    assert results["machines-reachable"]["status"] == "SKIPPED"


def test_plan_stack_missing_fails_post_deployment_check(lab, tmp_path):
    rc, _output, results = validate(tmp_path, check=False, validations_only=["plan-stack-complete"], validations_plan_stack="no-such-plan")
    assert rc != 0
    assert by_name(results)["plan-stack-complete"]["reason"].startswith("no stack no-such-plan; deploy the plan again")


@pytest.fixture
def failed_container(lab):
    """A deployment-labelled container on a lab machine that exited 1, removed afterwards."""
    name = "ooo-validation-probe"
    cmd = ["podman", "exec", MACHINE, "podman", "run", "--name", name, "--label", "config_id=tripleo_step9",
           "--label", "managed_by=ooo.lifecycle", IMAGE, "false"]
    subprocess.run(["podman", "exec", MACHINE, "podman", "rm", "-f", name], capture_output=True, check=False)
    subprocess.run(cmd, capture_output=True, check=False)
    yield name
    subprocess.run(["podman", "exec", MACHINE, "podman", "rm", "-f", name], capture_output=True, check=False)


def test_containers_healthy_names_the_failed_container(lab, tmp_path, failed_container):
    # The machines Ironic deployed: the quarantined black sheep runs nothing.
    deployed = "overcloud:!compute-1"
    rc, _output, results = validate(tmp_path, check=False, validations_only=["containers-healthy"], validations_machines_group=deployed)
    assert rc != 0
    reason = by_name(results)["containers-healthy"]["reason"]
    assert "compute-0/%s is exited (exit 1)" % failed_container in reason, reason
    subprocess.run(["podman", "exec", MACHINE, "podman", "rm", "-f", failed_container], capture_output=True, check=True)
    _rc, _output, results = validate(tmp_path, validations_only=["containers-healthy"], validations_machines_group=deployed)
    assert by_name(results)["containers-healthy"]["status"] == "PASSED"


def test_haproxy_backends_up_names_a_backend_that_is_down(lab, tmp_path):
    """compute-0's status service stopped: HAProxy marks it DOWN, and the validation names it (after its wait)."""
    deployed = "overcloud:!compute-1"
    _rc, _output, results = validate(tmp_path, validations_only=["haproxy-backends-up"], validations_machines_group=deployed)
    assert by_name(results)["haproxy-backends-up"]["status"] == "PASSED", by_name(results)["haproxy-backends-up"]
    subprocess.run(["podman", "exec", MACHINE, "podman", "stop", "-t", "0", "compute_agent"], capture_output=True, check=True)
    try:
        wait(lambda: any(server == "compute-0" and status.startswith("DOWN") for _listen, server, status in haproxy_backends()),
             timeout=60, what="HAProxy to see compute-0 DOWN")
        rc, _output, results = validate(tmp_path, check=False, validations_only=["haproxy-backends-up"],
                                        validations_machines_group=deployed, validations_haproxy_wait=6)
        assert rc != 0
        reason = by_name(results)["haproxy-backends-up"]["reason"]
        assert "/compute-0 is DOWN" in reason and "after 6s" in reason, reason
    finally:
        subprocess.run(["podman", "exec", MACHINE, "podman", "start", "compute_agent"], capture_output=True, check=True)
    _rc, _output, results = validate(tmp_path, validations_only=["haproxy-backends-up"], validations_machines_group=deployed)
    assert by_name(results)["haproxy-backends-up"]["status"] == "PASSED", "it waited for the backend to come back UP"


def test_nova_services_up_placement_resources_and_neutron_agents_alive_name_what_is_down(lab, tmp_path):
    """All three pass on the deployed overcloud; a nova-compute forced down (Nova's own switch, as a failed compute)
    and an Open vSwitch agent disabled are named with what to do, and placement-resources still lists both computes'
    inventories."""
    import openstack
    only = ["nova-services-up", "placement-resources", "neutron-agents-alive"]
    deployed = "overcloud:!compute-1"
    _rc, _output, results = validate(tmp_path, validations_only=only, validations_machines_group=deployed)
    assert {name: by_name(results)[name]["status"] for name in only} == {name: "PASSED" for name in only}, results
    conn = openstack.connect(cloud="overcloud")
    service = next(iter(conn.compute.services(binary="nova-compute", host="compute-0")))
    agent = next(iter(conn.network.agents(binary="neutron-openvswitch-agent", host="compute-0")))
    conn.compute.update_service_forced_down(service, forced=True)
    conn.network.update_agent(agent, is_admin_state_up=False)
    try:
        rc, _output, results = validate(tmp_path, check=False, validations_only=only, validations_machines_group=deployed)
        assert rc != 0
        reason = by_name(results)["nova-services-up"]["reason"]
        assert "nova-compute on compute-0 is down" in reason and "podman logs nova_compute" in reason, reason
        reason = by_name(results)["neutron-agents-alive"]["reason"]
        assert "neutron-openvswitch-agent on compute-0 is administratively down" in reason and agent.id in reason, reason
        assert by_name(results)["placement-resources"]["status"] == "PASSED"
    finally:
        conn.compute.update_service_forced_down(service, forced=False)
        conn.network.update_agent(agent, is_admin_state_up=True)
