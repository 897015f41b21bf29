"""module_utils/_netconfig/live.py: the commands that bring the live network config to the wanted one (pure)."""
from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import live


def _machine(tenant_ports):
    """A lab machine's flat live model: the control plane on eth0, the tenant network's bridge holding tenant_ports."""
    flat = {"br-tenant": {"type": "ovs_bridge", "name": "br-tenant", "members": sorted(tenant_ports),
                          "addresses": [{"ip_netmask": "198.18.3.10/24"}]},
            "eth0": {"type": "interface", "name": "eth0", "addresses": [{"ip_netmask": "198.18.0.10/24"}]},
            "eth3": {"type": "interface", "name": "eth3"}}
    for port in tenant_ports:
        flat[port]["parent"] = "br-tenant"
    return flat


WANTED = {"br-tenant": {"type": "ovs_bridge", "name": "br-tenant", "members": ["eth3"], "addresses": [{"ip_netmask": "198.18.3.10/24"}]},
          "eth0": {"type": "interface", "name": "eth0", "addresses": [{"ip_netmask": "198.18.0.10/24"}]}}


def test_a_wanted_nic_still_in_the_bridge_of_the_last_config_leaves_it():
    """After a boot that named the NICs in another order, br-tenant still held eth0 (now the control plane's NIC) from
    the last config: replaced takes it out (the lab's layer-2 loop, docs/decisions.md), and then has nothing to do."""
    now = _machine(["eth0", "eth3"])
    goal = live.target(now, WANTED, "replaced")
    commands = live.plan(now, goal, "netdev")
    assert ["ovs-vsctl", "--if-exists", "del-port", "br-tenant", "eth0"] in commands, commands
    assert live.predict(now, goal)["br-tenant"]["members"] == ["eth3"]
    assert "parent" not in live.predict(now, goal)["eth0"]
    after = _machine(["eth3"])
    again = live.plan(after, live.target(after, WANTED, "replaced"), "netdev")
    assert not [argv for argv in again if argv[0] == "ovs-vsctl" or "nomaster" in argv], again


def test_merged_keeps_the_members_it_finds():
    now = _machine(["eth0", "eth3"])
    commands = live.plan(now, live.target(now, WANTED, "merged"), "netdev")
    assert not any("del-port" in argv for argv in commands), commands
