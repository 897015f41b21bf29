"""ooo.lifecycle.network_config against real network stacks: a throwaway lab machine on the lab networks.

The machine is a privileged container of the lab image (iproute2, Open vSwitch with the netdev
datapath, ping) with three NICs on ctlplane, internal_api and tenant. Every live operation runs
check -> apply -> check -> apply; the second pair must report no change and no command.
"""
import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import TOP, VENV_BIN, ansible_env, run_module

MACHINE = "ooo-nettest"
MACS = {"ctlplane": "52:54:00:00:00:60", "api": "52:54:00:01:00:60", "tenant": "52:54:00:03:00:60"}
HOST_ARGS = ["-i", MACHINE + ",", "-c", "ooo.lifecycle.nsenter", "-e", "ansible_python_interpreter=/usr/bin/python3",
             "-e", "ansible_pipelining=true"]
SAMPLE_DIRS = [os.environ.get("OOO_NETCONFIG_SAMPLES", ""), str(TOP.parent / "shared" / "os-net-config-samples"),
               "/work/shared/os-net-config-samples"]
SAMPLES = next((Path(d) for d in SAMPLE_DIRS if d and Path(d).is_dir()), None)
MAPPING = {"nic1": MACS["ctlplane"], "nic2": MACS["api"], "nic3": MACS["tenant"]}
# An OVS bridge (userspace datapath) with the tenant NIC, a VLAN internal port and a bond of two veths.
OVS_CONFIG = [{"type": "ovs_bridge", "name": "br-ten", "mtu": 1450, "addresses": [{"ip_netmask": "198.18.3.60/24"}],
               "ovs_extra": ["set bridge {name} other_config:stp-enable=false"],
               "members": [{"type": "interface", "name": "nic3"},
                           {"type": "vlan", "vlan_id": 50, "addresses": [{"ip_netmask": "198.18.50.60/24"}]},
                           {"type": "ovs_bond", "name": "bond1", "ovs_options": "bond_mode=active-backup",
                            "members": [{"type": "interface", "name": "tb0"}, {"type": "interface", "name": "tb1"}]}]}]


def sh(cmd):
    return subprocess.run(["podman", "exec", MACHINE, "sh", "-c", cmd], capture_output=True, text=True, check=False).stdout


def net(args, check=False, diff=False):
    base = {"interface_mapping": MAPPING, "ovs_datapath_type": "netdev"}
    base.update(args)
    return run_module("ooo.lifecycle.network_config", base, check=check, diff=diff, host=MACHINE, extra=HOST_ARGS)


def same_but_new_mtu(predicted, actual):
    """Equal, except the MTU of a device the run created: the kernel's default is not predicted."""
    if len(predicted) != len(actual):
        return False
    for one, two in zip(predicted, actual):
        two = dict(two)
        if "mtu" not in one:
            two.pop("mtu", None)
        members = (one.pop("members", []), two.pop("members", []))
        one = dict(one)
        if one != two or not same_but_new_mtu(*members):
            return False
    return True


def four_times(args):
    """check -> apply -> check -> apply; returns the four results after asserting the contract."""
    results = [net(args, check=True), net(args), net(args, check=True), net(args)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
        for key in ("before", "after", "commands", "rendered", "files_removed"):
            assert key in result, key
    assert results[0]["changed"] and results[1]["changed"]
    assert results[0]["commands"] == results[1]["commands"], "check mode listed other commands than the apply ran"
    predicted, actual = results[0]["after"], results[1]["after"]
    assert same_but_new_mtu(predicted, actual), "check mode predicted %s, the apply gave %s" % (predicted, actual)
    for result in results[2:]:
        assert result["changed"] is False and result["commands"] == [] and result["rendered"] == {}
    return results


def live_state():
    return sh("ip -br addr; ip route; ovs-vsctl show 2>/dev/null; ls /etc/network/interfaces.d 2>/dev/null")


@pytest.fixture(scope="module")
def machine(lab):
    subprocess.run(["podman", "rm", "-f", MACHINE], capture_output=True, check=False)
    subprocess.run(["podman", "run", "-d", "--privileged", "--name", MACHINE, "--hostname", MACHINE, "--label", "ooo.lab=nettest",
                    "--network", "ooo-lab-ctlplane:ip=198.18.0.60,mac=%s" % MACS["ctlplane"],
                    "--network", "ooo-lab-internal-api:ip=198.18.1.60,mac=%s" % MACS["api"],
                    "--network", "ooo-lab-tenant:ip=198.18.3.60,mac=%s" % MACS["tenant"],
                    "localhost/ooo-lab-machine:latest"], check=True, capture_output=True)
    sh("/usr/share/openvswitch/scripts/ovs-ctl --system-id=random start; "
       "for i in 0 1; do ip link add tb$i type veth peer name tb${i}p; ip link set tb$i up; ip link set tb${i}p up; done")
    yield MACHINE
    subprocess.run(["podman", "rm", "-f", MACHINE], capture_output=True, check=False)


# ------------------------------------------------------------------ offline: the upstream samples


def sample_files():
    if SAMPLES is None:
        return []
    return sorted(p for p in SAMPLES.glob("*.yaml") if "network_config" in (yaml.safe_load(p.read_text()) or {}))


def run_each(tmp_path, provider, key, values):
    """The module once per value (one loop in one playbook run: the samples are many); the per-item results."""
    state = {"config": "rendered", "running_config": "parsed"}[key]
    (tmp_path / "items.json").write_text(json.dumps({"ooo_items": values}))
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [{
        "name": "each", "ignore_errors": True, "loop": "{{ ooo_items }}",
        "ooo.lifecycle.network_config": {"state": state, "provider": provider, key: "{{ item }}"}}]}]
    (tmp_path / "each.yml").write_text(json.dumps(play))
    env = ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    argv = [str(VENV_BIN / "ansible-playbook"), str(tmp_path / "each.yml"), "-e", "@" + str(tmp_path / "items.json")]
    proc = subprocess.run(argv, cwd=TOP, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    results = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]["results"]
    assert len(results) == len(values), proc.stderr[-2000:]
    return results


@pytest.mark.skipif(SAMPLES is None, reason="os-net-config samples not found (set OOO_NETCONFIG_SAMPLES)")
@pytest.mark.parametrize("provider", ["nmkeyfile"])
def test_samples_render_and_parse_back(tmp_path, provider):
    """Every sample through the module: rendered -> parsed gives the same model, or the 'unsupported' error names the
    object. The same round trip for every provider, on the pure functions, is a unit test
    (tests/unit/plugins/module_utils/test_netconfig.py)."""
    paths = sample_files()
    configs = [yaml.safe_load(path.read_text())["network_config"] for path in paths]
    renders = run_each(tmp_path, provider, "config", configs)
    supported = []
    for path, config, rendered in zip(paths, configs, renders):
        if rendered.get("failed"):
            assert "is not supported by ooo.lifecycle.network_config" in rendered["msg"], (path.name, rendered["msg"])
            kinds = set()

            def collect(objs):
                for obj in objs:
                    kinds.add(obj.get("type"))
                    collect(obj.get("members", []))
            collect(config)
            assert any("object type %r" % k in rendered["msg"] for k in kinds), (path.name, rendered["msg"])
            continue
        assert rendered["changed"] is False and rendered["rendered"], path.name
        supported.append((path.name, rendered))
    parses = run_each(tmp_path, provider, "running_config", [r["rendered"] for _name, r in supported])
    for (name, rendered), parsed in zip(supported, parses):
        assert not parsed.get("failed"), (name, parsed.get("msg"))
        assert parsed["parsed"] == rendered["after"], name
    # the samples of the types the module supports all made it
    assert {"bond.yaml", "bridge_vlan.yaml", "interface.yaml", "linux_bond.yaml", "linux_bridge.yaml"} <= {n for n, _r in supported}


def test_rendered_touches_nothing_and_mapping_files_load(machine):
    before = live_state()
    result = net({"state": "rendered", "config": [{"type": "linux_bridge", "name": "br-x", "use_dhcp": True,
                                                   "members": [{"type": "interface", "name": "nic2"}]}]})
    assert result["changed"] is False
    assert "etc/network/interfaces.d/ooo-br-x" in result["rendered"]
    assert "bridge_ports nic2" in result["rendered"]["etc/network/interfaces.d/ooo-br-x"]
    assert live_state() == before
    if SAMPLES is not None:
        for path in sorted(SAMPLES.glob("mapping*.yaml")):
            mapping = yaml.safe_load(path.read_text())["interface_mapping"]
            rendered = run_module("ooo.lifecycle.network_config", {"state": "rendered", "interface_mapping": mapping,
                                                                   "config": [{"type": "interface", "name": n} for n in mapping]})
            # offline, names are mapped and MACs (which need the host) keep their alias
            expected = sorted(k if ":" in str(v) else str(v) for k, v in mapping.items())
            assert sorted(o["name"] for o in rendered["after"]) == expected, path.name


# ------------------------------------------------------------------ live


def test_gathered(machine):
    result = net({"state": "gathered"})
    owner = [o for o in result["gathered"] if {"ip_netmask": "198.18.0.60/24"} in o.get("addresses", [])]
    assert len(owner) == 1 and owner[0]["type"] == "interface"
    assert {"ip_netmask": "0.0.0.0/0", "next_hop": "198.18.0.1", "default": True, "route_options": "metric 100"} in owner[0]["routes"]
    assert result["changed"] is False


def test_linux_bridge_takes_the_nic_and_its_address(machine):
    config = [{"type": "linux_bridge", "name": "br-api", "mtu": 1400, "addresses": [{"ip_netmask": "198.18.1.60/24"}],
               "routes": [{"ip_netmask": "198.51.100.0/24", "next_hop": "198.18.1.254"}],
               "members": [{"type": "interface", "name": "nic2", "mtu": 1400}]}]
    results = four_times({"state": "replaced", "config": config})
    assert "ip link add br-api type bridge" in results[1]["commands"]
    nic = results[1]["interface_mapping"]["nic2"]
    assert "ip link set %s master br-api" % nic in results[1]["commands"]
    state = sh("ip -br addr show br-api; ip -br addr show %s; ip route; ip -o link show br-api" % nic)
    assert "198.18.1.60/24" in state.splitlines()[0]
    assert "198.18.1.60" not in state.splitlines()[1]
    assert "198.51.100.0/24 via 198.18.1.254 dev br-api" in state
    assert "mtu 1400" in state
    assert "1 received" in sh("ping -c 1 -W 2 198.18.1.254")
    assert "bridge_ports %s" % nic in sh("cat /etc/network/interfaces.d/ooo-br-api")
    # the persistent files parse back into what the module reports
    parsed = net({"state": "parsed"})
    assert [o for o in parsed["parsed"] if o["name"] == "br-api"][0]["addresses"] == [{"ip_netmask": "198.18.1.60/24"}]


def test_ovs_bridge_with_vlan_and_bond(machine):
    results = four_times({"state": "merged", "config": OVS_CONFIG})
    assert any(c.startswith("ovs-vsctl --may-exist add-bond br-ten bond1 tb0 tb1") for c in results[1]["commands"])
    show = sh("ovs-vsctl show; ovs-vsctl get port vlan50 tag; ovs-vsctl get port bond1 bond_mode; ovs-vsctl get bridge br-ten datapath_type")
    assert "Port vlan50" in show and "\n50\n" in show and "active-backup" in show and "netdev" in show
    assert "198.18.50.60/24" in sh("ip -br addr show vlan50")
    assert "1 received" in sh("ping -c 1 -W 2 198.18.3.254"), "the tenant network is not reachable through the OVS bridge"
    after = dict((o["name"], o) for o in results[3]["after"])
    assert [m["name"] for m in after["br-ten"]["members"]] == ["bond1", results[1]["interface_mapping"]["nic3"], "vlan50"]


def test_routes_and_mtu_merged(machine):
    config = [{"type": "interface", "name": "nic1", "mtu": 1480,
               "routes": [{"ip_netmask": "192.0.2.0/24", "next_hop": "198.18.0.254", "route_options": "metric 20"}]}]
    results = four_times({"state": "merged", "config": config})
    state = sh("ip route; ip -o link show %s" % results[1]["interface_mapping"]["nic1"])
    assert "192.0.2.0/24 via 198.18.0.254" in state and "metric 20" in state and "mtu 1480" in state
    assert "default via 198.18.0.1" in state, "merged removed a route it was not asked about"


def test_overridden_removes_what_is_not_listed(machine):
    results = four_times({"state": "overridden", "config": OVS_CONFIG})
    assert "ip link del br-api" in results[1]["commands"]
    assert "br-api" not in sh("ip -br link")
    assert "etc/network/interfaces.d/ooo-br-api" in results[1]["files_removed"]
    assert "Bridge br-ten" in sh("ovs-vsctl show")


def test_wrong_gateway_is_rolled_back_and_the_machine_stays_reachable(machine):
    routes_before = sh("ip route")
    files_before = sh("cat /etc/network/interfaces.d/*")
    result = net({"state": "replaced", "connectivity_timeout": 3,
                  "config": [{"type": "interface", "name": "nic1", "mtu": 1480, "addresses": [{"ip_netmask": "198.18.0.60/24"}],
                              "routes": [{"default": True, "next_hop": "198.18.0.99"}]}]})
    assert result.get("failed") and "connectivity check failed: 198.18.0.99" in result["msg"]
    assert "rolled back" in result["msg"]
    assert any("default via 198.18.0.99" in c for c in result["commands"])
    assert result["rollback_commands"]
    assert sh("ip route") .replace(" proto static", "") == routes_before.replace(" proto static", "")
    assert sh("cat /etc/network/interfaces.d/*") == files_before
    assert "1 received" in sh("ping -c 1 -W 2 198.18.0.1"), "the machine lost its gateway"
    # reachable from outside, through the lab network
    assert subprocess.run(["ping", "-c", "1", "-W", "2", "198.18.0.60"], capture_output=True, check=False).returncode == 0


def test_deleted(machine):
    results = four_times({"state": "deleted", "config": [{"type": "ovs_bridge", "name": "br-ten"}]})
    assert "ovs-vsctl --if-exists del-br br-ten" in results[1]["commands"]
    assert "br-ten" not in sh("ovs-vsctl show")
    assert not [f for f in sh("ls /etc/network/interfaces.d").split() if "br-ten" in f or "vlan50" in f]


@pytest.mark.parametrize("config, message", [
    ([{"type": "wormhole", "name": "w0"}], "unknown object type 'wormhole'"),
    ([{"type": "sriov_pf", "name": "p1"}], "object type 'sriov_pf' (SR-IOV) is not supported"),
    ([{"type": "linux_bridge", "use_dhcp": True}], "missing name"),
    ([{"type": "ovs_bridge", "name": "br-v", "members": [{"type": "vlan", "vlan_id": 5000}]}], "vlan_id: 5000 is out of range"),
    ([{"type": "interface", "name": "nic1", "addresses": [{"ip_netmask": "198.18.0.60/24"}]},
      {"type": "linux_bridge", "name": "br-o", "addresses": [{"ip_netmask": "198.18.0.61/25"}]}], "addresses overlap"),
    ([{"type": "interface", "name": "nic9", "addresses": [{"ip_netmask": "192.0.2.9/24"}]}], "nic9 does not exist on this host"),
    ([{"type": "linux_bridge", "name": "br-a", "members": [{"type": "interface", "name": "nic2"}]},
      {"type": "linux_bridge", "name": "br-b", "members": [{"type": "interface", "name": "nic2"}]}], "appears twice"),
    ([{"type": "interface", "name": "nic2", "colour": "blue"}], "unknown attribute(s) colour"),
])
def test_bad_input_changes_nothing(machine, config, message):
    before = live_state()
    result = net({"state": "replaced", "config": config})
    assert result.get("failed"), config
    assert message in result["msg"], result["msg"]
    assert live_state() == before


def test_diff_mode_shows_the_change(machine):
    result = net({"state": "merged", "config": [{"type": "interface", "name": "nic2", "mtu": 1460}]}, check=True, diff=True)
    assert result["changed"] and len(result["diff"]) == 2
    now = sh("cat /sys/class/net/%s/mtu" % result["interface_mapping"]["nic2"]).strip()
    assert '"mtu": %s' % now in result["diff"][0]["before"] and '"mtu": 1460' in result["diff"][0]["after"]
    assert "mtu 1460" in result["diff"][1]["after"]
    assert "mtu 1460" not in sh("ip -o link show %s" % result["interface_mapping"]["nic2"])


def test_role_on_the_lab_machines_is_idempotent(lab):
    """The main command's network step: every deployed lab machine configured, a rerun changes nothing (the
    quarantined black sheep is not deployed: it runs nothing)."""
    from conftest import recap, run_playbook
    deployed = ("controller-0", "compute-0", "compute-2")
    run_playbook("network_config.yml", "-e", "network_config_hosts=" + ",".join(deployed))
    _rc, output = run_playbook("network_config.yml", "-e", "network_config_hosts=" + ",".join(deployed))
    for host in deployed:
        assert recap(output, host)["changed"] == 0, output[-3000:]
    show = subprocess.run(["podman", "exec", "ooo-lab-controller-0", "sh", "-c", "ip -br addr show br-ex; ovs-vsctl show; ip route"],
                          capture_output=True, text=True, check=False).stdout
    assert "203.0.113.10/24" in show and "Bridge br-tenant" in show and "default via 198.18.0.1" in show
    ping = subprocess.run(["podman", "exec", "ooo-lab-compute-0", "ping", "-c", "1", "-W", "2", "198.18.3.10"],
                          capture_output=True, text=True, check=False)
    assert ping.returncode == 0, "compute-0 cannot reach controller-0 over the tenant network's OVS bridges"
