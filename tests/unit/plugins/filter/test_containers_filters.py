from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.filter.containers import container_step_conflicts, ooo_duplicates
from ansible_collections.ooo.lifecycle.plugins.filter.containers import testinfra_problems as judge_testinfra


def test_duplicates_are_named_once_in_order():
    assert ooo_duplicates(["mysql", "keystone", "mysql", "glance", "keystone", "mysql"]) == ["mysql", "keystone"]
    assert ooo_duplicates(["a", "b"]) == [] and ooo_duplicates(None) == []


def test_a_step_with_two_startup_configs_is_named_with_both():
    paths = ["/d/step_1", "/d/container-startup-config-step_1.json", "/d/step_2", "/d/step_12",
             "/d/hashed-container-startup-config-step_3.json"]
    assert container_step_conflicts(paths, [1, 2, 3, 12]) == ["step 1: /d/step_1 and /d/container-startup-config-step_1.json"]
    assert container_step_conflicts(["/d/step_2", "/d/step_2.json"], [2]) == ["step 2: /d/step_2 and /d/step_2.json"]


def test_testinfra_failures_are_read_from_the_report_line():
    report = 'OOO-TESTINFRA-REPORT: {"checks": 3, "failed": [{"check": "test_step.py: test_port_listens[keystone]", ' \
             '"message": "port 5000 is not listening; the service that owns it did not start"}]}'
    result = {"rc": 1, "stdout_lines": ["F..", "1 failed, 2 passed in 4.2s", report]}
    assert judge_testinfra(result) == [
        "test_step.py: test_port_listens[keystone]: port 5000 is not listening; the service that owns it did not start"]
    assert judge_testinfra({"rc": 0, "stdout_lines": ['OOO-TESTINFRA-REPORT: {"checks": 3, "failed": []}']}) == []


def test_a_testinfra_run_without_a_report_is_one_problem_with_the_fix():
    result = {"rc": 1, "stdout_lines": [], "stdout": "", "stderr": "/usr/bin/python3: No module named pytest"}
    found = judge_testinfra(result)
    assert len(found) == 1 and "did not run (rc 1)" in found[0] and "No module named pytest" in found[0]
    assert "pytest-testinfra" in found[0]
    # pytest ended badly (usage error, interrupted) with no failed check: still a problem.
    odd = {"rc": 4, "stdout_lines": ['OOO-TESTINFRA-REPORT: {"checks": 0, "failed": []}'], "stdout": "ERROR: usage"}
    assert judge_testinfra(odd) and "rc 4" in judge_testinfra(odd)[0]


def test_the_manifest_url_of_an_image_by_tag_digest_or_neither():
    from ansible_collections.ooo.lifecycle.plugins.filter.containers import registry_manifest_url as url
    assert url("198.18.0.1:8787/ooo/services:2026.2") == "198.18.0.1:8787/v2/ooo/services/manifests/2026.2"
    assert url("registry.example/a/b/c") == "registry.example/v2/a/b/c/manifests/latest"
    assert url("localhost/x@sha256:ab12") == "localhost/v2/x/manifests/sha256:ab12"
    assert url("198.18.0.1:8787/ooo/services") == "198.18.0.1:8787/v2/ooo/services/manifests/latest"


def test_an_image_without_a_registry_or_tag_is_named_in_the_error():
    import pytest
    from ansible.errors import AnsibleFilterError
    from ansible_collections.ooo.lifecycle.plugins.filter.containers import registry_manifest_url as url
    for bad in ("ooo/services:2026.2", "services", "", "198.18.0.1:8787/ooo/services:"):
        with pytest.raises(AnsibleFilterError, match="REGISTRY"):
            url(bad)
