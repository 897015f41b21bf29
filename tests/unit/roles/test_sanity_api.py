"""The pure part of the sanity stage's readiness wait (roles/overcloud_deploy/files/sanity_api.py): what is not ready."""
import importlib.util
import os

SPEC = importlib.util.spec_from_file_location(
    "sanity_api", os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "overcloud_deploy", "files", "sanity_api.py"))
sanity_api = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(sanity_api)


def test_every_compute_up_with_its_agent_alive_is_ready():
    assert sanity_api.missing_for(["compute-0", "compute-2"], {"compute-0": "up", "compute-2": "up"},
                                  {"compute-0": True, "compute-2": True}) == []


def test_a_compute_whose_agent_has_not_reported_is_named():
    assert sanity_api.missing_for(["compute-0", "compute-2"], {"compute-0": "up", "compute-2": "up"},
                                  {"compute-0": True}) == ["the Open vSwitch agent on compute-2 is not registered"]


def test_a_dead_agent_and_a_down_service_are_named():
    assert sanity_api.missing_for(["compute-0"], {"compute-0": "down"}, {"compute-0": False}) == [
        "nova-compute on compute-0 is down", "the Open vSwitch agent on compute-0 is not alive"]


def test_without_neutron_only_nova_compute_counts():
    assert sanity_api.missing_for(["compute-0"], {"compute-0": "up"}, None) == []
    assert sanity_api.missing_for(["compute-0"], {}, None) == ["nova-compute on compute-0 is not registered"]
