from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ooo.lifecycle.plugins.filter.lab import lab_cloud_passwords, lab_tenants


def test_stored_passwords_are_kept_and_missing_ones_generated():
    secure = {"clouds": {"lab-ops": {"auth": {"password": "kept"}}, "lab-east": {"auth": {}}, "other": {"auth": {"password": "x"}}}}
    out = lab_cloud_passwords(secure, ["lab-ops", "lab-east", "lab-down"])
    assert list(out) == ["lab-ops", "lab-east", "lab-down"]
    assert out["lab-ops"] == "kept"
    for name in ("lab-east", "lab-down"):
        assert len(out[name]) == 24 and out[name].isalnum()
    assert out["lab-east"] != out["lab-down"]


def test_no_secure_yaml_yet_generates_every_password():
    assert sorted(lab_cloud_passwords(None, ["a", "b"], length=8)) == ["a", "b"]
    assert all(len(p) == 8 for p in lab_cloud_passwords({}, ["a"], length=8).values())


def test_secure_yaml_that_is_not_a_mapping_is_refused():
    with pytest.raises(AnsibleFilterError, match="secure.yaml's content"):
        lab_cloud_passwords(["not", "a", "mapping"], ["a"])


def test_tenants_are_a_project_and_a_member_user_each():
    out = lab_tenants(["lab-ops", "lab-east"], {"lab-ops": "p1", "lab-east": "p2", "lab-down": "p3"})
    assert [p["name"] for p in out["projects"]] == ["lab-ops", "lab-east"]
    assert out["users"][1] == {"name": "lab-east", "password": "p2", "roles": [{"role": "member", "project": "lab-east"}]}


def test_a_tenant_without_a_password_is_named():
    with pytest.raises(AnsibleFilterError, match="no password for lab-east"):
        lab_tenants(["lab-ops", "lab-east"], {"lab-ops": "p1"})
