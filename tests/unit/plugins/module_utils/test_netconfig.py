"""The pure part of network_config: the os-net-config model (normalize, flatten, nest) and each provider's persistent
files (render, parse). Rendered files parsed back give the model they came from, for every upstream sample and every
provider; the edge cases name the object and the field."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model, persist
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError

PROVIDERS = ("ifupdown", "ifcfg", "nmkeyfile")
# os-net-config's samples, beside the project (../shared) or where OOO_NETCONFIG_SAMPLES says.
_DIRS = [os.environ.get("OOO_NETCONFIG_SAMPLES", ""), "/work/shared/os-net-config-samples"]
SAMPLES = next((Path(d) for d in _DIRS if d and Path(d).is_dir()), None)


def _samples():
    if SAMPLES is None:
        return []
    found = []
    for path in sorted(SAMPLES.glob("*.yaml")):
        data = yaml.safe_load(path.read_text()) or {}
        if "network_config" in data:
            found.append(pytest.param(data["network_config"], id=path.stem))
    return found


def round_trip(provider, config, mapping=None):
    """The model, and what the provider's files rendered from it parse back to."""
    objects = model.normalize(config, mapping)
    files = persist.render(provider, model.flatten(objects))
    return objects, files, model.nest(persist.parse(provider, files))


def _kinds(objects):
    for obj in objects:
        yield obj.get("type")
        yield from _kinds(obj.get("members", []))


@pytest.mark.skipif(SAMPLES is None, reason="os-net-config samples not found (set OOO_NETCONFIG_SAMPLES)")
@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("config", _samples())
def test_every_sample_renders_and_parses_back_or_names_the_unsupported_type(provider, config):
    try:
        objects, files, parsed = round_trip(provider, config)
    except model.NetConfigUnsupported as exc:
        assert any("object type %r" % kind in str(exc) for kind in _kinds(config)), str(exc)
        return
    assert files, "something to write"
    assert all(persist.ours(provider, path, text) for path, text in files.items()), sorted(files)
    assert parsed == objects


@pytest.mark.skipif(SAMPLES is None, reason="os-net-config samples not found (set OOO_NETCONFIG_SAMPLES)")
def test_the_supported_samples_are_the_expected_ones():
    supported = set()
    for param in _samples():
        try:
            model.normalize(param.values[0])
            supported.add(param.id)
        except model.NetConfigUnsupported:
            pass
    assert {"bond", "bridge_vlan", "interface", "linux_bond", "linux_bridge"} <= supported


BRIDGE = [{"type": "ovs_bridge", "name": "br-ex", "use_dhcp": False, "mtu": 1500,
           "addresses": [{"ip_netmask": "198.18.0.10/24"}, {"ip_netmask": "2001:db8::10/64"}],
           "routes": [{"default": True, "next_hop": "198.18.0.1"}, {"ip_netmask": "203.0.113.0/24", "next_hop": "198.18.0.254"},
                      {"ip_netmask": "2001:db8:1::/64", "next_hop": "2001:db8::1"}],
           "members": [{"type": "interface", "name": "nic1", "primary": True},
                       {"type": "vlan", "vlan_id": 20, "addresses": [{"ip_netmask": "198.18.20.10/24"}]}]}]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_bridge_with_v4_v6_routes_and_a_vlan_round_trips(provider):
    objects, files, parsed = round_trip(provider, BRIDGE, {"nic1": "eth0"})
    assert parsed == objects
    names = [o["name"] for o, _parent in model.walk(objects)]
    assert "eth0" in names and "nic1" not in names, "the alias is mapped to the interface"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_empty_config_renders_nothing(provider):
    assert persist.render(provider, model.flatten(model.normalize([]))) == {}
    assert model.nest(persist.parse(provider, {})) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_files_not_written_by_us_are_not_ours(provider):
    _objects, files, _parsed = round_trip(provider, [{"type": "interface", "name": "eth1", "use_dhcp": True}])
    path, text = next(iter(files.items()))
    assert persist.ours(provider, path, text)
    assert not persist.ours(provider, path, "# written by hand\n" + text)


def test_normalize_is_canonical():
    spelled = [{"type": "interface", "name": "eth1", "use_dhcp": "no", "addresses": ["198.18.5.3/24"]}]
    plain = [{"type": "interface", "name": "eth1", "use_dhcp": False, "addresses": [{"ip_netmask": "198.18.5.3/24"}]}]
    assert model.normalize(spelled) == model.normalize(plain)
    assert model.normalize({"network_config": plain}) == model.normalize(plain)
    assert model.nest(model.flatten(model.normalize(BRIDGE))) == model.normalize(BRIDGE)


@pytest.mark.parametrize("config, expected", [
    ("eth0", "network_config must be a list of objects, got str"),
    ([{"type": "interface", "name": "eth1", "use_dhcp": "maybe"}], "must be true or false, got 'maybe'"),
    ([{"type": "interface", "name": "eth1", "addresses": [{"ip_netmask": "198.18.5.3"}]}], "has no prefix length"),
    ([{"type": "interface", "name": "eth1", "addresses": [{"ip_netmask": "nope/24"}]}], "is not an IP address with a prefix"),
    ([{"type": "interface", "name": "eth1", "addresses": [{"ip_netmask": "198.18.5.3/24"}]},
      {"type": "interface", "name": "eth2", "addresses": [{"ip_netmask": "198.18.5.3/24"}]}], "address 198.18.5.3 is given twice"),
    ([{"type": "interface", "name": "eth1", "addresses": [{"ip_netmask": "198.18.5.3/24"}]},
      {"type": "interface", "name": "eth2", "addresses": [{"ip_netmask": "198.18.5.4/16"}]}], "addresses overlap"),
    ([{"type": "linux_bridge", "name": "br1", "members": [{"type": "interface", "name": "eth1"}]},
      {"type": "linux_bridge", "name": "br2", "members": [{"type": "interface", "name": "eth1"}]}], "appears twice"),
    ([{"type": "linux_bridge", "name": "br1", "members": [{"type": "interface", "name": "eth1", "use_dhcp": True}]}],
     "interface eth1 is a member of br1 and has addresses or DHCP; put them on br1"),
])
def test_bad_config_names_the_object_and_the_field(config, expected):
    with pytest.raises(ValidationError) as caught:
        model.normalize(config)
    assert expected in str(caught.value), str(caught.value)


def test_every_problem_is_named_at_once():
    with pytest.raises(ValidationError) as caught:
        model.normalize([{"type": "interface", "name": "eth1", "use_dhcp": "maybe"},
                         {"type": "interface", "name": "eth2", "addresses": [{"ip_netmask": "198.18.5.3"}]}])
    assert len(caught.value.problems) == 2, caught.value.problems
    assert "network_config[0]" in caught.value.problems[0] and "network_config[1]" in caught.value.problems[1]


def test_unsupported_type_is_its_own_error():
    with pytest.raises(model.NetConfigUnsupported) as caught:
        model.normalize([{"type": "ivs_bridge", "name": "ivs"}])
    assert "object type 'ivs_bridge'" in str(caught.value)
