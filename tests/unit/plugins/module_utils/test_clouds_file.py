from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack import clouds_file
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError

ENTRY = {"auth": {"auth_url": "http://198.18.0.1:5000/v3", "username": "admin", "project_name": "admin"}, "region_name": "regionOne"}


def test_load_tolerates_empty_and_keeps_other_keys():
    assert clouds_file.load("", "c") == {"clouds": {}}
    assert clouds_file.load("clouds:\n", "c") == {"clouds": {}}
    doc = clouds_file.load("public-clouds: {x: 1}\nclouds:\n  a: {region_name: r}\n", "c")
    assert doc == {"public-clouds": {"x": 1}, "clouds": {"a": {"region_name": "r"}}}


@pytest.mark.parametrize("text, expected", [
    ("- a\n- b\n", "expected a mapping with a 'clouds' key, got list"),
    ("clouds: [a]\n", "'clouds' must be a mapping"),
    ("clouds: {a: [\n", "not valid YAML"),
])
def test_load_names_the_file_and_the_fix(text, expected):
    with pytest.raises(ValidationError) as exc:
        clouds_file.load(text, "/home/op/clouds.yaml")
    assert expected in str(exc.value) and "/home/op/clouds.yaml" in str(exc.value)


def test_validate_refuses_a_secret_in_the_entry_and_names_the_fix():
    entry = dict(ENTRY, auth=dict(ENTRY["auth"], password="s3cret"))
    problems = clouds_file.validate("uc", entry, None)
    assert problems == ["entry.auth.password: a secret does not belong in clouds.yaml; pass it as secrets.auth.password "
                        "(written to secure.yaml, mode 0600)"]
    assert "s3cret" not in str(problems)
    assert clouds_file.validate("", ENTRY, None)[0].startswith("name:")
    assert clouds_file.validate("uc", {"region_name": "r"}, None) == ["entry.auth: required (auth_url, username, project_name and domains)"]
    assert clouds_file.validate("uc", {"auth": {"username": "u"}}, None)[0].startswith("entry.auth.auth_url: required")
    assert clouds_file.validate("uc", ENTRY, "pw")[0].startswith("secrets: expected a mapping")
    assert clouds_file.validate("uc", ENTRY, {"auth": {"password": "x"}}) == []


def test_apply_replaces_one_entry_and_keeps_the_others():
    clouds = {"clouds": {"other": {"region_name": "x"}, "uc": {"auth": {"auth_url": "old", "password": "inline"}, "stale": 1}}}
    secure = {"clouds": {"other": {"auth": {"password": "o"}}}}
    new_clouds, new_secure = clouds_file.apply(clouds, secure, "uc", ENTRY, {"auth": {"password": "p"}}, "present")
    assert new_clouds == {"clouds": {"other": {"region_name": "x"}, "uc": ENTRY}}  # the inline password is gone
    assert new_secure == {"clouds": {"other": {"auth": {"password": "o"}}, "uc": {"auth": {"password": "p"}}}}
    assert clouds["clouds"]["uc"]["stale"] == 1  # the inputs are not changed
    gone_clouds, gone_secure = clouds_file.apply(new_clouds, new_secure, "uc", None, None, "absent")
    assert gone_clouds == {"clouds": {"other": {"region_name": "x"}}} and gone_secure == secure
    no_secret = clouds_file.apply(new_clouds, new_secure, "uc", ENTRY, None, "present")[1]
    assert no_secret == secure


def test_dump_then_load_is_the_same_document():
    doc = {"clouds": {"uc": ENTRY, "b": {"image_format": "raw"}}, "cache": {"expiration_time": 0}}
    assert clouds_file.load(clouds_file.dump(doc), "c") == doc


def test_masked_hides_every_leaf():
    assert clouds_file.masked({"auth": {"password": "p", "token": "t"}}) == {"auth": {"password": "********", "token": "********"}}
