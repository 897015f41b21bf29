from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import nodes

IRONIC = [
    {"name": "compute-0", "provision_state": "active", "maintenance": False, "profile": "compute"},
    {"name": "compute-1", "provision_state": "manageable", "maintenance": True, "profile": "compute"},
    {"name": "compute-2", "provision_state": "available", "maintenance": False, "profile": "compute"},
    {"name": "compute-3", "provision_state": "active", "maintenance": False, "profile": "compute"},
    {"name": "controller-0", "provision_state": "available", "maintenance": False, "profile": "controller"},
]
COUNTS = {"Controller": 1, "Compute": 2}


def test_active_before_available_and_unusable_left_out():
    assert nodes.choose(IRONIC, COUNTS) == {"Controller": ["controller-0"], "Compute": ["compute-0", "compute-3"]}


def test_a_role_keeps_its_machines_in_their_order():
    before = {"Compute": ["compute-2", "compute-0"]}
    assert nodes.choose(IRONIC, COUNTS, before=before)["Compute"] == ["compute-2", "compute-0"]
    # A machine it had that is no longer usable (in maintenance) is replaced.
    assert nodes.choose(IRONIC, COUNTS, before={"Compute": ["compute-1", "compute-2"]})["Compute"] == ["compute-2", "compute-0"]


def test_inventory_removal_profiles_and_one_role_per_node():
    hosts = ["controller-0", "compute-2", "compute-3"]
    assert nodes.choose(IRONIC, COUNTS, hosts=hosts)["Compute"] == ["compute-3", "compute-2"]
    assert nodes.choose(IRONIC, COUNTS, remove=["compute-3"])["Compute"] == ["compute-0", "compute-2"]
    both = nodes.choose(IRONIC, {"Compute": 2, "Edge": 2}, profiles={"Edge": "compute"})
    assert both == {"Compute": ["compute-0", "compute-3"], "Edge": ["compute-2"]}


def test_shortages_name_the_role_and_the_numbers():
    chosen = nodes.choose(IRONIC, {"Controller": 3, "Compute": 2})
    assert nodes.shortages({"Controller": 3, "Compute": 2}, chosen) == ["role Controller needs 3 nodes, 1 usable"]
    assert nodes.shortages(COUNTS, nodes.choose(IRONIC, COUNTS)) == []


def test_not_enough_names_the_usable_and_the_unusable_nodes():
    found = nodes.not_enough(IRONIC, {"Compute": 4, "Controller": 1})
    assert found == ["role Compute needs 4 nodes with profile compute, 3 usable (compute-0, compute-2, compute-3); not usable: "
                     "compute-1 (manageable, maintenance); enroll and provide more nodes (playbooks/baremetal_provide.yml), fix "
                     "the quarantined ones, or lower the count"]
    assert nodes.not_enough(IRONIC, {"Storage": 1})[0].startswith("role Storage needs 1 nodes with profile storage, 0 usable (none);")
    assert nodes.not_enough(IRONIC, COUNTS) == []


def test_failed_nodes_carry_their_last_error():
    broken = IRONIC + [{"name": "n9", "provision_state": "deploy failed", "last_error": "checksum mismatch"}, {"name": "n8", "provision_state": "error"}]
    assert nodes.failed(broken) == ["node n9 is in deploy failed: checksum mismatch", "node n8 is in error"]


def test_internal_api_addresses_keep_the_host_part_of_the_ctlplane_address():
    ips = {"controller-0": "198.18.0.10", "compute-0": "198.18.0.20"}
    assert nodes.internal_ips("198.18.0.0/24", "198.18.20.0/24", ips) == {"controller-0": "198.18.20.10", "compute-0": "198.18.20.20"}
    assert nodes.internal_ips("198.18.0.1/24", "198.18.20.0/24", {}) == {}


def test_an_address_with_no_counterpart_on_the_internal_network_names_the_machine():
    with pytest.raises(ValueError, match="compute-9: its ctlplane address 198.18.1.20 has no counterpart"):
        nodes.internal_ips("198.18.0.0/23", "198.18.20.0/24", {"compute-9": "198.18.1.20"})


def test_node_entry_is_what_baremetal_node_info_returns_and_never_the_bmc_credentials():
    from types import SimpleNamespace
    from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.inventory import node_entry
    node = SimpleNamespace(name="compute-0", id="u-1", provision_state="active", power_state="power on",
                           is_maintenance=None, maintenance_reason=None, last_error=None,
                           properties={"capabilities": "boot_mode:bios,profile:compute"}, resource_class="baremetal",
                           traits=["CUSTOM_B", "CUSTOM_A"], instance_id=None,
                           driver_info={"redfish_password": "secret"})
    entry = node_entry(node)
    assert entry == {"name": "compute-0", "uuid": "u-1", "provision_state": "active", "power_state": "power on",
                     "maintenance": False, "maintenance_reason": "", "last_error": "", "profile": "compute",
                     "resource_class": "baremetal", "traits": ["CUSTOM_A", "CUSTOM_B"], "instance_uuid": ""}
    assert "secret" not in repr(entry)
    # What the deployment chooses machines by reads these entries as they are.
    assert nodes.choose([entry], {"Compute": 1}) == {"Compute": ["compute-0"]}
    nameless = node_entry(SimpleNamespace(**dict(vars(node), name=None, properties=None, traits=None)))
    assert nameless["name"] == "u-1" and nameless["profile"] == "" and nameless["traits"] == []


def test_database_accounts_are_limited_to_the_internal_network():
    assert nodes.mysql_host("198.18.1.0/24") == "198.18.1.0/255.255.255.0"
    assert nodes.mysql_host("198.18.1.7/20") == "198.18.0.0/255.255.240.0"
    with pytest.raises(ValueError, match="IPv6"):
        nodes.mysql_host("2001:db8::/64")
