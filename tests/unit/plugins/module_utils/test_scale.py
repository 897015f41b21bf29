from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import scale

COUNTS = {"Controller": 1, "Compute": 2}
NODES = {"Controller": ["controller-0"], "Compute": ["compute-0", "compute-2"]}
SERVICES = {"Controller": ["vip", "mysql", "haproxy"], "Compute": ["compute_agent"]}
ROLES = [{"name": "Controller", "count": 1, "services": ["vip"]}, {"name": "Compute", "count": 2, "services": ["compute_agent"]}]


def test_good_requests_have_no_problem():
    assert scale.problems(COUNTS, NODES, "Compute", count=3, role_services=SERVICES) == []
    assert scale.problems(COUNTS, NODES, "Compute", count="2") == []
    assert scale.problems(COUNTS, NODES, "Compute", remove=["compute-2"], role_services=SERVICES) == []


def test_each_bad_request_names_the_variable_and_the_fix():
    assert scale.problems({}, {}, "Compute", count=3) == ["no deployed plan stack: run playbooks/overcloud_deploy.yml first"]
    assert scale.problems(COUNTS, NODES, "Storage", count=1) == [
        "overcloud_scale_role: Storage is not a role of the plan; its roles are Compute, Controller"]
    assert scale.problems(COUNTS, NODES, "Compute", count=3, remove=["compute-0"]) == [
        "give overcloud_scale_count (scale out) or overcloud_scale_remove (scale in), not both"]
    assert scale.problems(COUNTS, NODES, "Compute")[0].startswith("nothing to do: give overcloud_scale_count=N")
    assert scale.problems(COUNTS, NODES, "Compute", count=1) == [
        "overcloud_scale_count: 1 must be a whole number at least the current count 2 (to scale in, name the machines in "
        "overcloud_scale_remove)"]
    assert "overcloud_scale_count: three must be a whole number" in scale.problems(COUNTS, NODES, "Compute", count="three")[0]
    assert scale.problems(COUNTS, NODES, "Compute", remove=["compute-1"]) == [
        "overcloud_scale_remove: compute-1 is not a deployed Compute machine; the role has compute-0, compute-2"]
    assert scale.problems(COUNTS, NODES, "Compute", remove=["compute-2", "compute-2"]) == [
        "overcloud_scale_remove: compute-2, compute-2 names a machine twice"]


def test_the_bootstrap_controller_cannot_be_removed():
    nodes = dict(NODES, Controller=["controller-0", "controller-1"])
    found = scale.problems(dict(COUNTS, Controller=2), nodes, "Controller", remove=["controller-0"], role_services=SERVICES)
    assert found == ["overcloud_scale_remove: controller-0 is the bootstrap machine of Controller (it holds the public VIP); "
                     "it cannot be removed - remove the role's other machines"]
    assert scale.problems(dict(COUNTS, Controller=2), nodes, "Controller", remove=["controller-1"], role_services=SERVICES) == []
    # A role without the VIP has no bootstrap machine to keep.
    assert scale.problems(COUNTS, NODES, "Compute", remove=["compute-0"], role_services=SERVICES) == []


def test_new_roles_change_only_the_scaled_role_and_keep_the_order():
    assert scale.new_roles(ROLES, COUNTS, "Compute", count=3) == [ROLES[0], dict(ROLES[1], count=3)]
    assert scale.new_roles(ROLES, COUNTS, "Compute", remove=["compute-2"]) == [ROLES[0], dict(ROLES[1], count=1)]
    # The deployed count wins over a stale count in the roles given (an earlier scale-out is kept).
    assert scale.new_roles(ROLES, dict(COUNTS, Controller=3), "Compute", count=2)[0]["count"] == 3
    assert ROLES[1]["count"] == 2  # the input is not changed
