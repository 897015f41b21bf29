from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.clouds import (
    describe_entry,
    external_ipv4,
    floating_ip_model,
    select_clouds,
    server_rows,
    summary_rows,
    summary_table,
    target_label,
)
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError

ENTRIES = [
    dict(label="undercloud", cloud="undercloud", region_name="regionOne"),
    dict(label="lab-ops", cloud="lab-ops", region_name="regionOne"),
    dict(label="lab-east", cloud="lab-east", region_name="regionTwo"),
    dict(label="multi/r1", cloud="multi", region_name="r1"),
    dict(label="multi/r2", cloud="multi", region_name="r2"),
]


def labels(selected):
    return [e["label"] for e in selected]


def test_label_only_qualified_when_the_entry_has_regions():
    assert target_label("c", "r", 1) == "c"
    assert target_label("c", "r", 2) == "c/r"


def test_select_all_keeps_file_order():
    assert labels(select_clouds(ENTRIES, ["*"])) == [e["label"] for e in ENTRIES]


def test_select_by_pattern_name_and_region_label_then_exclude():
    assert labels(select_clouds(ENTRIES, ["lab-*", "multi/r2"])) == ["lab-ops", "lab-east", "multi/r2"]
    assert labels(select_clouds(ENTRIES, ["multi"])) == ["multi/r1", "multi/r2"]
    assert labels(select_clouds(ENTRIES, ["*"], ["lab-*", "multi"])) == ["undercloud"]


def test_unknown_plain_name_is_an_error_naming_the_known_ones():
    with pytest.raises(ValidationError) as err:
        select_clouds(ENTRIES, ["lab-opps"])
    assert "no entry named 'lab-opps'" in err.value.message
    assert "lab-ops" in err.value.message
    # A pattern that matches nothing is not an error by itself.
    assert select_clouds(ENTRIES, ["prod-*"]) == []


def test_describe_entry_drops_secrets():
    config = dict(auth=dict(auth_url="http://198.18.0.1:5000/v3", username="ops", password="s3cret", project_name="ops",
                            application_credential_secret="x"), region_name="regionOne", image_format="raw", api_key="k")
    out = describe_entry(config)
    assert out == dict(auth_url="http://198.18.0.1:5000/v3", username="ops", project_name="ops", region_name="regionOne", image_format="raw")
    assert "s3cret" not in repr(out)


@pytest.mark.parametrize("services,external,extensions,source,model", [
    (["compute", "network"], [{"id": "n"}], ["router"], "neutron", "neutron"),
    (["compute", "network"], [{"id": "n"}], [], "neutron", "provider"),
    (["compute", "network"], [], ["router"], "neutron", "none"),
    (["compute"], [], [], "neutron", "nova"),
    (["image", "identity"], [], [], "neutron", "none"),
    (["compute", "network"], [{"id": "n"}], ["router"], "None", "none"),
])
def test_floating_ip_model(services, external, extensions, source, model):
    assert floating_ip_model(services, external, extensions, source) == model


EXT = [dict(id="ext-id", name="ext-net")]


def addr(ip, kind="fixed", version=4):
    return {"addr": ip, "version": version, "OS-EXT-IPS:type": kind}


def test_access_ipv4_wins():
    server = dict(id="s", access_ipv4="203.0.113.5", addresses={"private": [addr("10.0.0.5")]})
    assert external_ipv4(server) == {"address": "203.0.113.5", "source": "access_ipv4"}


def test_port_on_external_network_before_floating_ip():
    server = dict(id="s", addresses={"private": [addr("10.0.0.5"), addr("198.51.100.7", "floating")]})
    ports = [dict(device_id="s", network_id="priv-id", fixed_ips=[{"ip_address": "10.0.0.5"}]),
             dict(device_id="other", network_id="ext-id", fixed_ips=[{"ip_address": "198.51.100.99"}]),
             dict(device_id="s", network_id="ext-id", fixed_ips=[{"ip_address": "2001:db8::5"}, {"ip_address": "198.51.100.8"}])]
    assert external_ipv4(server, ports, EXT) == {"address": "198.51.100.8", "source": "external_port"}


def test_floating_ip_then_public_network_then_global():
    server = dict(id="s", addresses={"private": [addr("10.0.0.5"), addr("198.51.100.7", "floating")]})
    assert external_ipv4(server, [], EXT)["source"] == "floating_ip"
    server = dict(id="s", addresses={"private": [addr("10.0.0.5")], "ext-net": [addr("2001:db8::1", version=6), addr("192.0.2.10")]})
    assert external_ipv4(server, [], EXT) == {"address": "192.0.2.10", "source": "public_network"}
    server = dict(id="s", addresses={"public": [addr("192.0.2.11")]})
    assert external_ipv4(server) == {"address": "192.0.2.11", "source": "public_network"}
    server = dict(id="s", addresses={"a": [addr("10.1.1.1")], "b": [addr("8.8.4.4")]})
    assert external_ipv4(server) == {"address": "8.8.4.4", "source": "globally_routable"}


def test_nothing_public():
    server = dict(id="s", addresses={"private": [addr("10.0.0.5"), addr("198.18.0.10")]}, access_ipv4="")
    assert external_ipv4(server, [], EXT) == {"address": None, "source": None}


PROBED = [
    dict(name="a", region_name="r1", reachable=True, error=None, compute=True, floating_ip_model="neutron", image_format="qcow2"),
    dict(name="b", region_name="r1", reachable=True, error=None, compute=False, floating_ip_model="none", image_format="raw"),
    dict(name="down", region_name="r1", reachable=False, error="Failed to connect to cloud down: refused", compute=False, image_format="qcow2"),
]


def test_summary_rows_isolate_each_clouds_failure():
    images = dict(clouds=[dict(cloud="a", action="upload", id="11111111-2222"), dict(cloud="b", failed=True, msg="quota")])
    servers = [dict(cloud="a", id="s1", address="203.0.113.9", source="floating_ip")]
    rows = {r["cloud"]: r for r in summary_rows(PROBED, images, servers)}
    assert rows["a"]["status"] == "ok" and rows["a"]["image"] == "upload 11111111" and rows["a"]["address"] == "203.0.113.9"
    assert rows["a"]["server"] == "203.0.113.9 (floating_ip)"
    assert rows["b"]["status"] == "failed" and rows["b"]["error"] == "quota" and rows["b"]["server"] == "skipped (no compute service)"
    assert rows["down"]["status"] == "failed" and rows["down"]["image"] is None and "refused" in rows["down"]["error"]


def test_summary_rows_of_a_probe_only_run_and_a_failed_boot():
    rows = summary_rows(PROBED)
    assert [r["status"] for r in rows] == ["ok", "ok", "failed"] and all(r["image"] is None and r["server"] is None for r in rows)
    rows = summary_rows(PROBED[:1], None, [dict(cloud="a", failed=True, msg="No valid host")])
    assert rows[0]["status"] == "failed" and rows[0]["server"] == "failed" and rows[0]["error"] == "No valid host"


def test_summary_table_aligns_columns_and_keeps_the_error_last():
    lines = summary_table(summary_rows(PROBED))
    assert lines[0].split() == ["CLOUD", "REGION", "STATUS", "FLOATING-IP", "FORMAT", "IMAGE", "SERVER", "ERROR"]
    assert lines[3].startswith("down ") and lines[3].endswith("Failed to connect to cloud down: refused")
    assert lines[1].index("ok") == lines[0].index("STATUS")


def test_legacy_warnings_name_the_entry_and_the_fix():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.clouds import legacy_warnings
    v2 = {"auth": {"auth_url": "http://198.18.0.1:5000/v2.0/", "username": "u", "tenant_name": "t"}}
    found = legacy_warnings("old", v2)
    assert len(found) == 2
    assert found[0].startswith("clouds.yaml entry old: Keystone's v2.0 API") and "use identity_api_version: 3" in found[0]
    assert "auth.tenant_name/tenant_id are Keystone v2 names; use project_name/project_id" in found[1]
    assert legacy_warnings("x", {"identity_api_version": 2, "auth": {"auth_url": "http://198.18.0.1:5000"}})
    assert legacy_warnings("ok", {"identity_api_version": 3, "auth": {"auth_url": "http://198.18.0.1:5000/v3"}}) == []
    assert legacy_warnings("vendor", {"profile": "rackspace", "auth": {"username": "u"}}) == []  # the profile's own v2 is its business
    assert "expected a mapping" in legacy_warnings("bad", "a string")[0]


def test_server_rows_take_each_clouds_own_ports_and_name_failures():
    ext = [{"id": "ext-1", "name": "public"}]
    boots = [
        {"item": {"name": "east", "external_networks": ext}, "server": {"id": "s1", "addresses": {}}},
        {"item": {"name": "west", "external_networks": []}, "server": {"id": "s2", "access_ipv4": "203.0.113.7", "addresses": {}}},
        {"item": {"name": "down"}, "failed": True, "msg": "Failed on cloud down: unreachable"},
    ]
    ports = [{"item": {"item": {"name": "east"}}, "ports": [{"network_id": "ext-1", "fixed_ips": [{"ip_address": "198.51.100.9"}]}]},
             {"item": {"item": {"name": "west"}}, "ports": [{"network_id": "ext-1", "fixed_ips": [{"ip_address": "198.51.100.10"}]}]}]
    assert server_rows(boots, ports, "present") == [
        {"cloud": "east", "id": "s1", "address": "198.51.100.9", "source": "external_port"},
        {"cloud": "west", "id": "s2", "address": "203.0.113.7", "source": "access_ipv4"},
        {"cloud": "down", "failed": True, "msg": "Failed on cloud down: unreachable"}]
    assert server_rows(boots[:1], [], "absent") == [{"cloud": "east", "address": "deleted", "source": "absent"}]
