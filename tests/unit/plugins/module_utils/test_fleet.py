from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import fleet


def canon(entry):
    node, problems = fleet.normalize(entry)
    assert problems == []
    return node


GOOD = {"name": "ctl-0", "driver": "ipmi", "driver_info": {"ipmi_address": "192.0.2.10", "ipmi_username": "admin", "ipmi_password": "pw"},
        "ports": [{"address": "52:54:00:AA:BB:01"}], "properties": {"cpus": "8", "memory_mb": 16384, "local_gb": 100, "cpu_arch": "x86_64"},
        "capabilities": {"profile": "control", "boot_mode": "uefi"}, "traits": ["CUSTOM_B", "CUSTOM_A"]}


def test_instackenv_is_converted():
    entry = {"name": "n1", "pm_type": "pxe_ipmitool", "pm_addr": "192.0.2.1", "pm_user": "root", "pm_password": "secret",
             "mac": ["52:54:00:00:00:01"], "cpu": 4, "memory": 8192, "disk": 40, "arch": "x86_64"}
    node = fleet.from_instackenv(entry)
    assert node["driver"] == "ipmi"
    assert node["driver_info"] == {"ipmi_address": "192.0.2.1", "ipmi_username": "root", "ipmi_password": "secret"}
    assert node["ports"] == [{"address": "52:54:00:00:00:01"}]
    assert node["properties"] == {"cpus": 4, "memory_mb": 8192, "local_gb": 40, "cpu_arch": "x86_64"}


def test_normalize_canonical_values():
    node = canon(GOOD)
    assert node["properties"]["cpus"] == 8
    assert node["properties"]["capabilities"] == "boot_mode:uefi,profile:control"
    assert node["ports"] == [{"address": "52:54:00:aa:bb:01", "pxe_enabled": True}]
    assert node["traits"] == ["CUSTOM_A", "CUSTOM_B"]
    assert fleet.capabilities_string("profile:x, boot_mode:bios") == "boot_mode:bios,profile:x"


def test_validate_good_fleet():
    assert fleet.validate([canon(GOOD)]) == []


def test_validate_reports_every_problem_naming_node_and_field():
    bad = [
        dict(GOOD),
        dict(GOOD, driver_info={"ipmi_address": "999.1.1.1.1", "ipmi_username": "a"}, ports=[{"address": "52:54:00:aa:bb:01"}]),
        {"driver": "warp-drive", "ports": [{"address": "zz:zz"}], "propertiez": {}},
        dict(GOOD, name="ctl 1", ports=[], properties={"cpus": 0, "cpu_arch": "sparc"}, traits=["fast"]),
    ]
    nodes = [fleet.normalize(b)[0] for b in bad]
    problems = fleet.validate(nodes)
    text = "\n".join(problems)
    assert "node ctl-0: name is also used by node #0; names must be unique" in text
    assert "node ctl-0: driver_info.ipmi_password is required for driver ipmi" in text
    assert "driver_info.ipmi_address is neither an IP address nor a host name: '999.1.1.1.1'" in text
    assert "52:54:00:aa:bb:01 is also a port of node ctl-0; a MAC belongs to one node" in text
    assert "node #2: name is required" in text
    assert "node #2: driver 'warp-drive' is not an enabled hardware type" in text
    assert "node #2: ports[0].address 'zz:zz' is not a MAC address" in text
    assert "node #2: propertiez is not a known field" in text
    assert "node ctl 1: name may only contain letters, digits" in text
    assert "node ctl 1: properties.cpus must be positive, got 0" in text
    assert "node ctl 1: properties.cpu_arch 'sparc' is not one of" in text
    assert "node ctl 1: traits 'fast' is not a trait" in text


def test_non_numeric_property_is_a_conversion_problem():
    _node, problems = fleet.normalize(dict(GOOD, properties={"memory_mb": "lots"}))
    assert problems == [("properties.memory_mb", "must be a whole number, got 'lots'")]


def test_plan_create_then_nothing():
    node = canon(GOOD)
    plan = fleet.plan_node(node, None, [], salt="00")
    assert plan["action"] == "create"
    digest = plan["create"]["extra"][fleet.SECRET_HASH_KEY]
    assert "pw" not in digest.split("$", 1)[1] or len(digest) > 20
    assert plan["ports"] == [("create", "52:54:00:aa:bb:01", {"pxe_enabled": True})]
    current = {"driver": "ipmi", "driver_info": {"ipmi_address": "192.0.2.10", "ipmi_username": "admin", "ipmi_password": "******"},
               "extra": {fleet.SECRET_HASH_KEY: digest}, "traits": ["CUSTOM_A", "CUSTOM_B"],
               "properties": dict(plan["create"]["properties"], vendor="set-by-inspection")}
    again = fleet.plan_node(node, current, [{"address": "52:54:00:aa:bb:01", "pxe_enabled": True, "uuid": "p1"}])
    assert again["action"] == "none" and again["patch"] == [] and again["changes"] == []


def test_plan_detects_password_property_port_and_trait_changes():
    node = canon(GOOD)
    created = fleet.plan_node(node, None, [], salt="ab")["create"]
    current = {"driver": "ipmi", "driver_info": {"ipmi_address": "192.0.2.10", "ipmi_username": "admin", "ipmi_password": "******"},
               "extra": dict(created["extra"]), "traits": ["CUSTOM_A"], "properties": dict(created["properties"], memory_mb=8192)}
    new_info = dict(GOOD["driver_info"], ipmi_password="new")
    changed = canon(dict(GOOD, driver_info=new_info, ports=[{"address": "52:54:00:aa:bb:01", "pxe_enabled": False}]))
    plan = fleet.plan_node(changed, current, [{"address": "52:54:00:aa:bb:01", "pxe_enabled": True, "uuid": "p1"}])
    assert plan["action"] == "update"
    assert plan["changes"] == ["driver_info.ipmi_password", "properties.memory_mb", "traits", "ports.52:54:00:aa:bb:01"]
    assert {"op": "add", "path": "/driver_info/ipmi_password", "value": "new"} in plan["patch"]
    assert plan["ports"] == [("update", "52:54:00:aa:bb:01", {"uuid": "p1", "pxe_enabled": False})]
    assert "new" not in " ".join(plan["changes"])


def test_secret_digest_is_salted_scrypt():
    one = fleet.secrets_digest({"ipmi_password": "pw"}, "aa")
    two = fleet.secrets_digest({"ipmi_password": "pw"}, "bb")
    assert one != two and one.startswith("scrypt:16384:8:1$aa$") and len(one.rsplit("$", 1)[1]) == 64
    assert fleet.secrets_match({"ipmi_password": "pw"}, one)
    assert not fleet.secrets_match({"ipmi_password": "other"}, one)
    assert fleet.secrets_match({}, None) and not fleet.secrets_match({"ipmi_password": "pw"}, None)
    assert len(fleet.new_salt()) == 32


def test_an_older_weaker_digest_never_matches_so_the_secrets_are_written_again():
    import hashlib
    import json
    legacy = "aa$" + hashlib.pbkdf2_hmac("sha256", json.dumps({"ipmi_password": "pw"}).encode(), b"aa", 1000).hex()
    assert not fleet.secrets_match({"ipmi_password": "pw"}, legacy)
    weaker = fleet.secrets_digest({"ipmi_password": "pw"}, "aa", params=(2 ** 10, 8, 1))
    assert not fleet.secrets_match({"ipmi_password": "pw"}, weaker)
    node = canon(GOOD)
    current = {"driver": node["driver"], "driver_info": dict(node["driver_info"], ipmi_password="******"),
               "extra": {"ooo_secrets_hash": legacy}, "traits": node["traits"], "properties": dict(node["properties"])}
    plan = fleet.plan_node(node, current, [{"address": p["address"], "pxe_enabled": True, "uuid": "p"} for p in node["ports"]])
    assert plan["changes"] == ["driver_info.ipmi_password"]
    digest = [op["value"] for op in plan["patch"] if op["path"] == "/extra/ooo_secrets_hash"][0]
    assert digest.startswith("scrypt:") and fleet.secrets_match(fleet.secrets_of(node["driver_info"]), digest)


def test_foreign_macs_names_the_node_the_port_and_the_holder():
    nodes = [{"name": "n1", "ports": [{"address": "52:54:00:00:00:01"}, {"address": "52:54:00:00:00:02"}]},
             {"name": "n2", "ports": [{"address": "52:54:00:00:00:03"}]}]
    holders = {"52:54:00:00:00:01": ("id-1", "n1"),          # n1's own port: fine
               "52:54:00:00:00:02": ("id-9", "other-node"),  # held by a node outside the fleet
               "52:54:00:00:00:03": ("id-1", "n1")}          # n2 (new) wants a MAC of n1
    problems = fleet.foreign_macs(nodes, {"n1": "id-1"}, holders)
    assert problems == [
        "node n1: ports[1].address 52:54:00:00:00:02 is already a port of Ironic node other-node; a MAC belongs to one node: "
        "fix the MAC, or remove that port (or node) first",
        "node n2: ports[0].address 52:54:00:00:00:03 is already a port of Ironic node n1; a MAC belongs to one node: "
        "fix the MAC, or remove that port (or node) first"]
    assert fleet.foreign_macs(nodes[:1], {"n1": "id-1"}, {"52:54:00:00:00:01": ("id-1", "n1")}) == []
