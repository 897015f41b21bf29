"""The suite's last test: the overcloud deployed from nothing again, through a failed step and the resume from it.

The scenario tests before it leave the overcloud upgraded to the next release (test_overcloud_upgrade.py), scaled in
and out, updated; the README's main command (`make lab`) must still run after the README's test command
(`make test`). So the suite ends as an operator would start over: every deployment container, config, marker, data
directory and release fact removed from the machines (Ironic keeps them deployed from the golden image), then the
deployment of the lab's release from nothing, once with a plan whose step 3 fails, and again with the lab's plan,
which resumes at step 3. scripts/test.sh runs this file alone, last.
"""
import json

import yaml

from conftest import DEPLOYED, RELEASE_FACT, TOP, containers, machine, recap, run_playbook, summary, undeploy

RELEASE = "2026.2"
REMOTE_IMAGE = "198.18.0.1:8787/ooo/services:" + RELEASE
# The fleet is as the lab left it and the validation groups are tested elsewhere (test_validations.py): only the
# deployment's steps matter here. The sanity stage stays on: it proves the restored overcloud answers through the VIP.
QUICK = {"overcloud_fleet": False, "overcloud_validations": False}


def plan_with_failing_step_3():
    defaults = yaml.safe_load((TOP / "roles" / "plan" / "defaults" / "main.yml").read_text())
    services = defaults["plan_service_definitions"]
    services["keystone"]["containers"]["step_3"]["step3_failure"] = {"image": REMOTE_IMAGE, "detach": False, "start_order": 2,
                                                                     "command": ["sh", "-c", "exit 3"]}
    return services


def test_failed_step_stops_everyone_a_rerun_resumes_there_and_the_lab_is_as_the_lab_run_made_it():
    undeploy()
    for host in DEPLOYED:
        assert machine(host, "test", "-e", RELEASE_FACT, check=False).returncode != 0, host

    failing = dict(QUICK, overcloud_sanity=False, plan_service_definitions=plan_with_failing_step_3())
    rc, output = run_playbook("overcloud_deploy.yml", "-e", json.dumps(failing), check=False)
    assert rc != 0
    assert "step3_failure" in output
    assert recap(output, "controller-0")["failed"] == 1
    # No machine went on to step 4: any_errors_fatal stopped the run at step 3 everywhere.
    assert "Apply and validate step 4" not in output

    # Back to the lab's plan: steps 1 and 2 are skipped by their markers; no machine recorded step 3 (the failure
    # stopped every machine at that task), so step 3 runs again everywhere (the controller's failed one-shot removed);
    # 4 and 5 are brought up from nothing.
    _rc, resumed = run_playbook("overcloud_deploy.yml", "-e", json.dumps(QUICK))
    rows = summary(resumed)
    assert rows[1][0] == "0/3" and rows[2][0] == "0/3", rows
    assert rows[3][0] == "3/3" and rows[4][0] == "3/3" and rows[5][0] == "3/3", rows
    assert "step3_failure" not in containers("controller-0")
    assert "sanity:token=PASSED" in resumed and "sanity:image-upload-list=PASSED" in resumed

    # As the lab run made it: the lab's release on every machine, its image in every deployment container, running.
    for host in DEPLOYED:
        assert json.loads(machine(host, "cat", RELEASE_FACT).stdout)["release"] == RELEASE, host
        images = machine(host, "podman", "ps", "--filter", "label=managed_by=ooo.lifecycle", "--format", "{{.Image}}").stdout.split()
        assert images and set(images) == {REMOTE_IMAGE}, (host, images)
    assert containers("compute-0")["compute_agent"][:2] == ("tripleo_step4", "running")
    assert containers("controller-0")["keystone"][:2] == ("tripleo_step3", "running")
