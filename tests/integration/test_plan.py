"""The overcloud plan stack (roles/plan) on the undercloud's real Heat.

Creating it, then changing a role's count and another's service list, each
check -> apply -> check -> apply through the playbook; the outputs later
playbooks consume are read back from Heat.
"""
import json
import uuid

import pytest

from conftest import recap, run_module, run_playbook

ROLES = [
    {"name": "Controller", "count": 1, "services": ["mysql", "keystone"], "networks": ["internal_api", "external"]},
    {"name": "Compute", "count": 1, "services": ["compute_agent"], "networks": ["internal_api", "tenant"]},
    {"name": "CephStorage", "count": 1, "services": [], "networks": ["storage"], "hostname_format": "ceph-%index%"},
]


@pytest.fixture
def plan_name(lab):
    name = "it-plan-%s" % uuid.uuid4().hex[:8]
    yield name
    run_module("ooo.lifecycle.heat_stack", dict(cloud="undercloud", name=name, state="absent", wait_in_progress=True))


def play(name, roles, *extra):
    return run_playbook("overcloud_plan.yml", "-e", json.dumps({"plan_stack_name": name, "plan_roles": roles}), *extra)


def cycle(name, roles):
    """check, apply, check, apply; returns the changed counters."""
    counts = []
    for args in (["--check", "--diff"], [], ["--check"], []):
        _rc, output = play(name, roles, *args)
        counts.append(recap(output)["changed"])
    return counts


def outputs(name):
    info = run_module("ooo.lifecycle.heat_stack_info", dict(cloud="undercloud", name=name, events=0))
    assert info["exists"], info
    return info["outputs"]


def test_plan_create_scale_and_change_services(plan_name):
    assert cycle(plan_name, ROLES) == [1, 1, 0, 0]
    out = outputs(plan_name)
    assert out["role_counts"] == {"Controller": 1, "Compute": 1, "CephStorage": 1}
    assert out["role_hostnames"] == {"Controller": ["controller-0"], "Compute": ["compute-0"], "CephStorage": ["ceph-0"]}
    assert out["role_services"]["Controller"] == ["mysql", "keystone"]
    assert sorted(out["role_network_config"]["Compute"]) == ["internal_api", "tenant"]
    assert out["role_network_config"]["Controller"]["internal_api"]["vlan"] == 20
    steps = out["role_container_configs"]["Controller"]
    assert sorted(steps) == ["step_1", "step_2", "step_3", "step_4", "step_5"]
    assert sorted(steps["step_1"]) == ["mysql", "mysql_bootstrap", "mysql_init"]
    assert sorted(steps["step_2"]) == ["keystone_db_sync", "keystone_keys"]
    assert sorted(steps["step_3"]) == ["keystone", "keystone_bootstrap"] and steps["step_4"] == {}
    assert out["role_container_configs"]["Compute"]["step_4"]["compute_agent"]["image"].endswith("/ooo/services:2026.2")

    # Scale out a role: an idempotent stack update.
    scaled = json.loads(json.dumps(ROLES))
    scaled[1]["count"] = 3
    assert cycle(plan_name, scaled) == [1, 1, 0, 0]
    out = outputs(plan_name)
    assert out["role_hostnames"]["Compute"] == ["compute-0", "compute-1", "compute-2"] and out["role_counts"]["Compute"] == 3

    # Change a role's service list.
    changed = json.loads(json.dumps(scaled))
    changed[1]["services"] = ["compute_agent", "haproxy"]
    assert cycle(plan_name, changed) == [1, 1, 0, 0]
    out = outputs(plan_name)
    assert out["role_services"]["Compute"] == ["compute_agent", "haproxy"]
    assert sorted(out["role_container_configs"]["Compute"]["step_1"]) == ["haproxy"]
    assert sorted(out["role_container_configs"]["Compute"]["step_4"]) == ["compute_agent"]
    assert out["role_hostnames"]["Compute"] == ["compute-0", "compute-1", "compute-2"], "scaling survived"


@pytest.mark.parametrize("roles,expected", [
    ([{"name": "Controller", "count": 1, "services": ["mysql", "nope"]}], "plan_roles[0] (Controller): services: unknown nope"),
    ([{"name": "Controller", "count": "two", "services": []}], "plan_roles[0] (Controller): count: give a whole number"),
    ([{"name": "Controller", "count": 1, "services": [], "networks": ["mgmt"]}], "plan_roles[0] (Controller): networks: unknown mgmt"),
])
def test_bad_plan_input_is_named_and_creates_nothing(plan_name, roles, expected):
    rc, output = run_playbook("overcloud_plan.yml", "-e", json.dumps({"plan_stack_name": plan_name, "plan_roles": roles}), check=False)
    assert rc != 0 and expected in output, output[-3000:]
    info = run_module("ooo.lifecycle.heat_stack_info", dict(cloud="undercloud", name=plan_name, events=0))
    assert info["exists"] is False
