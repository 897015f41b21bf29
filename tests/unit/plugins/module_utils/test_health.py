from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.health import problems

CONTAINERS = {
    "keystone": {"state": "running", "health": "healthy", "config_id": "tripleo_step3"},
    "sidecar": {"state": "running", "health": "none", "config_id": "tripleo_step3"},
    "db_sync": {"state": "exited", "exit_code": 0, "config_id": "tripleo_step3"},
    "glance": {"state": "running", "health": "unhealthy", "config_id": "tripleo_step4"},
    "broken_init": {"state": "exited", "exit_code": 1, "config_id": "tripleo_step4"},
    "theirs": {"state": "exited", "exit_code": 2, "config_id": "other"},
}


def test_each_problem_is_named_with_its_state():
    assert problems(CONTAINERS, config_id_prefix="tripleo_step") == ["glance is running (unhealthy)", "broken_init is exited (exit 1)"]
    assert problems(CONTAINERS, config_id_prefix="tripleo_step", host="compute-0")[0] == "compute-0/glance is running (unhealthy)"
    assert "theirs is exited (exit 2)" in problems(CONTAINERS)


def test_missing_and_a_stopped_service_that_exited_cleanly():
    wanted = {"keystone": {"image": "x", "healthcheck": {"test": "true"}}, "memcached": {"image": "x"}, "db_sync": {"detach": False}}
    stopped = dict(CONTAINERS, keystone={"state": "exited", "exit_code": 0, "config_id": "tripleo_step3"})
    found = problems(dict((k, stopped[k]) for k in ("keystone", "db_sync")), wanted)
    assert found == ["memcached is missing", "keystone is exited (exit 0)"]
    assert problems({}, {}) == []
