"""Least exposure: every socket the undercloud's services and the deployed machines listen on is on a named address,
and is on the allow-list below. Nothing listens on every address (0.0.0.0, ::, *).

Runs right after the overcloud's deployment (conftest.py orders it), while nothing else changes the machines.
"""
import ipaddress
import os
import re
import subprocess

from conftest import machine, process_tree

UNDERCLOUD = "198.18.0.1"
VIP = "198.18.0.250"
INTERNAL_API = ipaddress.ip_network("198.18.1.0/24")
WILDCARD = {"0.0.0.0", "::", "*", "[::]"}

# The undercloud host: (address, port) of each service the role runs, and of the lab's BMC.
UNDERCLOUD_ALLOWED = {
    (UNDERCLOUD, 5000): "keystone", (UNDERCLOUD, 6385): "ironic", (UNDERCLOUD, 8088): "ironic-http",
    (UNDERCLOUD, 9292): "glance", (UNDERCLOUD, 8004): "heat-api", (UNDERCLOUD, 8787): "registry",
    (UNDERCLOUD, 8000): "the lab's BMC (Redfish)",
    ("127.0.0.1", 3306): "mariadb", ("127.0.0.1", 5672): "rabbitmq", ("127.0.0.1", 25672): "rabbitmq (Erlang distribution)",
    ("127.0.0.1", 4369): "epmd", ("::1", 4369): "epmd",
}
# A deployed machine: the ports of its role, on the VIP (HAProxy) or on its internal API address.
ROLE_ALLOWED = {
    "controller": {("vip", 5000), ("vip", 9292), ("vip", 8778), ("vip", 8774), ("vip", 9696), ("vip", 8780), ("internal", 5000),
                   ("internal", 9292), ("internal", 8778), ("internal", 8774), ("internal", 9696), ("internal", 3306), ("internal", 11211),
                   ("internal", 5672), ("internal", 25672), ("internal", 4369),
                   # epmd always listens on the loopback addresses too, beside ERL_EPMD_ADDRESS (as on the undercloud).
                   ("127.0.0.1", 4369), ("::1", 4369)},
    # The Open vSwitch agent's OpenFlow controller (os-ken), which the machine's own ovs-vswitchd connects to.
    "compute": {("internal", 8780), ("127.0.0.1", 6633)},
}


def listeners(ss_output):
    """[(address, port, process)] from ``ss -Hltnup``."""
    out = []
    for line in ss_output.splitlines():
        # netid state recv-q send-q local peer users:(("name",pid=N,fd=M),...); a name may hold spaces.
        fields = line.split(None, 6)
        if len(fields) < 5:
            continue
        address, _sep, port = fields[4].rpartition(":")
        address = address.split("%")[0].strip("[]") or "*"
        users = fields[6] if len(fields) > 6 else ""
        process = users.split('"')[1] if '"' in users else "?"
        pids = [int(match) for match in re.findall(r"pid=(\d+)", users)]
        out.append((address, int(port), process, pids))
    return out


def our_pids():
    """The pids of the undercloud's services and of the backing services the role runs, and their descendants."""
    roots = []
    for directory, names in (("/run/ooo-undercloud", None), ("/run", ["ooo-lab-bmc.pid"])):
        for name in names or os.listdir(directory):
            if name.endswith(".pid"):
                with open(os.path.join(directory, name)) as handle:
                    roots.append(int(handle.read()))
    for comm in ("mariadbd", "beam.smp", "epmd"):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open("/proc/%s/comm" % entry) as handle:
                        if handle.read().strip() == comm:
                            roots.append(int(entry))
                except OSError:
                    pass
    return set(process_tree(roots))


def test_the_undercloud_listens_only_where_it_must():
    mine = our_pids()
    seen, wrong = {}, []
    for address, port, process, pids in listeners(subprocess.run(["ss", "-Hltnup"], capture_output=True, text=True, check=True).stdout):
        if not set(pids) & mine:
            continue
        if address in WILDCARD or (address, port) not in UNDERCLOUD_ALLOWED:
            wrong.append("%s listens on %s:%s" % (process, address, port))
        seen[(address, port)] = process
    assert not wrong, "not on the allow-list: %s" % "; ".join(wrong)
    for must in ((UNDERCLOUD, 5000), (UNDERCLOUD, 6385), (UNDERCLOUD, 9292), (UNDERCLOUD, 8004), ("127.0.0.1", 5672), ("127.0.0.1", 3306)):
        assert must in seen, "%s is not listening on %s:%s" % (UNDERCLOUD_ALLOWED[must], must[0], must[1])


def test_each_deployed_machine_listens_only_where_its_role_must(lab, conn):
    deployed = sorted(n.name for n in conn.baremetal.nodes(fields=["name", "provision_state"]) if n.provision_state == "active")
    assert deployed, "no deployed machine"
    wrong = []
    for name in deployed:
        role = "controller" if name.startswith("controller") else "compute"
        found = set()
        for address, port, process, _pids in listeners(machine(name, "ss", "-Hltnup").stdout):
            if address == VIP:
                where = "vip"
            elif address not in WILDCARD and ipaddress.ip_address(address) in INTERNAL_API:
                where = "internal"
            else:
                where = address
            found.add((where, port))
            if (where, port) not in ROLE_ALLOWED[role]:
                wrong.append("%s: %s listens on %s:%s" % (name, process, address, port))
        missing = ROLE_ALLOWED[role] - found
        if role == "compute" or name == "controller-0":
            assert not missing, "%s: nothing listens on %s" % (name, sorted(missing))
    assert not wrong, "not on the allow-list: %s" % "; ".join(wrong)
