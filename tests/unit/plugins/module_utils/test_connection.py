from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import CloudConnectionError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import connection_kwargs, describe_cloud


def params(**over):
    base = dict(cloud=None, region_name=None, validate_certs=None, ca_cert=None, interface="public")
    base.update(over)
    return base


def test_cloud_by_name():
    assert connection_kwargs(params(cloud="undercloud", region_name="regionOne")) == {
        "cloud": "undercloud", "region_name": "regionOne", "interface": "public"}


def test_cloud_as_dict_and_tls_options():
    kwargs = connection_kwargs(params(cloud={"auth": {"auth_url": "http://198.18.0.1:5000"}}, validate_certs=False, ca_cert="/ca.pem"))
    assert kwargs["auth"] == {"auth_url": "http://198.18.0.1:5000"}
    assert kwargs["verify"] is False
    assert kwargs["cacert"] == "/ca.pem"


def test_bad_cloud_type():
    with pytest.raises(CloudConnectionError, match="clouds.yaml entry name or a dict"):
        connection_kwargs(params(cloud=["a"]))


def test_description_hides_credentials():
    text = describe_cloud(params(cloud={"auth": {"auth_url": "http://x:5000", "password": "pw"}}))
    assert text == "http://x:5000"
    assert "pw" not in text


def test_cloud_secrets_finds_passwords_and_secrets_only():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import cloud_secrets
    cloud = {"auth": {"auth_url": "http://x", "username": "a", "password": "pw", "application_credential_secret": "acs"}, "token": "t"}
    assert sorted(cloud_secrets(params(cloud=cloud))) == ["acs", "pw", "t"]
    assert cloud_secrets(params(cloud="undercloud")) == []
