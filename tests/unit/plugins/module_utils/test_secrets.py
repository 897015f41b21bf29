from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import secret_values

PW = "Zq7-correct-horse-battery"


def test_secrets_at_any_depth_and_spelling():
    params = {
        "cloud": {"auth": {"auth_url": "http://198.18.0.1:5000/v3", "username": "admin", "password": PW + "1"}},
        "nodes": [{"name": "n1", "driver_info": {"redfish_username": "admin", "redfish_password": PW + "2"}}, {"pm_password": PW + "3"}],
        "config": {"api": {"environment": {"DB_PASSWORD": PW + "4", "WORKERS": "2"}, "image": "x"},
                   "init": {"environment": ["OS_TOKEN=" + PW + "5", "LOG=debug-level", "PLAIN=" + PW + "x"]}},
        "parameters": {"AdminPassword": PW + "6", "ServiceSecret": PW + "7", "ImageName": "golden-image"},
        "secrets": {"auth": {"application_credential_secret": PW + "8"}},
    }
    assert secret_values(params) == set(PW + str(n) for n in range(1, 9))


def test_what_is_not_a_secret_is_left_alone():
    params = {"name": "passport-office", "password_length": 24, "token_url": "http://198.18.0.1:5000", "bypass": "yes-indeed",
              "environment": ["PASSWORDLESS=enabled-value"], "passwords": ["not-a-mapping"], "password": "short"}
    # Keys that merely start with a secret word, lists of values, and values under 6 characters are not masked.
    assert secret_values(params) == set()


def test_non_string_values_and_empty_input():
    assert secret_values({"redfish_password": 12345678}) == {"12345678"}
    assert secret_values({"password": True}) == set()
    assert secret_values({}) == set() and secret_values(None) == set()
