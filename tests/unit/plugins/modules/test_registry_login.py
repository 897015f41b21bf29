"""registry_login's pure parts: the options' problems, the credential document's entry, the drop-in."""
from __future__ import annotations

import base64

from ansible_collections.ooo.lifecycle.plugins.modules.registry_login import auth_entry, dropin, validate, with_login

PEM = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"


def params(**extra):
    p = {"registry": "198.18.0.1:8787", "username": "ooo-pull", "password": "x" * 32, "ca_cert": PEM, "state": "present"}
    p.update(extra)
    return p


def test_good_options_have_no_problem():
    assert validate(params()) == []
    assert validate(params(registry="registry.example.com", username=None, password=None)) == []
    assert validate(params(registry="[2001:db8::1]:5000", ca_cert=None)) == []
    assert validate(params(state="absent", username=None, password="x", ca_cert="junk")) == []


def test_every_problem_is_named_with_its_field_at_once():
    problems = validate(params(registry="http://r:1/v2", password=None, ca_cert="junk"))
    assert [p.split(":")[0] for p in problems] == ["registry", "username and password", "ca_cert"]
    assert "is not HOST[:PORT]" in problems[0]


def test_the_entry_is_base64_of_user_and_password_and_other_keys_are_kept():
    entry = auth_entry("ooo-pull", "s3cret")
    assert base64.b64decode(entry["auth"]) == b"ooo-pull:s3cret"
    old = {"auths": {"r:1": {"auth": "old", "identitytoken": "t", "email": "e"}, "other": {"auth": "o"}}, "credsStore": "pass"}
    new = with_login(old, "r:1", entry)
    assert new["auths"]["r:1"] == {"auth": entry["auth"], "email": "e"} and new["auths"]["other"] == {"auth": "o"}
    assert new["credsStore"] == "pass" and old["auths"]["r:1"]["auth"] == "old", "the input is not changed"
    assert with_login(new, "r:1", None) == {"auths": {"other": {"auth": "o"}}, "credsStore": "pass"}
    assert with_login({}, "r:1", None) == {"auths": {}}


def test_the_dropin_says_the_registry_is_not_insecure():
    text = dropin("198.18.0.1:8787")
    assert '[[registry]]\nlocation = "198.18.0.1:8787"\ninsecure = false\n' in text
