# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Fleet enrollment: pure parsing, normalization, validation and planning.

Nothing here talks to Ironic. ``normalize`` turns one entry of a node list
(our ``nodes.yaml`` or TripleO's ``instackenv.json``) into the canonical form;
``validate`` reports every problem of a whole fleet at once; ``plan_node``
compares one canonical node with what Ironic has and returns the JSON patch
and the port actions.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import os
import re

SECRET_KEYS = ("ipmi_password", "redfish_password", "drac_password", "ilo_password", "irmc_password", "snmp_auth_key",
               "snmp_priv_key", "password")
SECRET_HASH_KEY = "ooo_secrets_hash"
INTERFACE_FIELDS = ("bios_interface", "boot_interface", "console_interface", "deploy_interface", "inspect_interface",
                    "management_interface", "network_interface", "power_interface", "raid_interface", "rescue_interface",
                    "storage_interface", "vendor_interface")
NODE_FIELDS = ("name", "driver", "driver_info", "ports", "properties", "capabilities", "traits", "resource_class", "root_device",
               "extra", "owner", "description") + INTERFACE_FIELDS
INSTACKENV_FIELDS = ("pm_type", "pm_addr", "pm_user", "pm_password", "pm_port", "pm_system_id", "mac", "cpu", "memory", "disk",
                     "arch", "uuid")
KNOWN_DRIVERS = ("fake-hardware", "ipmi", "redfish", "idrac", "ilo", "ilo5", "irmc", "manual-management", "snmp", "intel-ipmi")
LEGACY_DRIVERS = {"pxe_ipmitool": "ipmi", "ipmi_ipxe": "ipmi", "pxe_drac": "idrac", "pxe_ilo": "ilo", "fake": "fake-hardware",
                  "fake_pxe": "fake-hardware"}
CREDENTIALS = {
    "ipmi": ("ipmi_address", "ipmi_username", "ipmi_password"),
    "intel-ipmi": ("ipmi_address", "ipmi_username", "ipmi_password"),
    "redfish": ("redfish_address", "redfish_username", "redfish_password"),
    "idrac": ("drac_address", "drac_username", "drac_password"),
    "ilo": ("ilo_address", "ilo_username", "ilo_password"),
    "ilo5": ("ilo_address", "ilo_username", "ilo_password"),
    "irmc": ("irmc_address", "irmc_username", "irmc_password"),
}
CPU_ARCHES = ("x86_64", "aarch64", "ppc64le", "s390x")
NAME_RE = re.compile(r"^[A-Za-z0-9\-._~]{1,255}$")
MAC_RE = re.compile(r"^([0-9a-f]{2}:){5}[0-9a-f]{2}$")
HOST_RE = re.compile(r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?)*$")
# Properties the user controls; others (set by inspection, for example) are left alone.
PROPERTY_KEYS = ("cpus", "memory_mb", "local_gb", "cpu_arch", "capabilities", "root_device")


def normalize_mac(mac):
    """Pure: '52-54-00-AA-BB-CC' -> '52:54:00:aa:bb:cc' (unchanged when it is not a string)."""
    if not isinstance(mac, str):
        return mac
    canonical = mac.strip().lower().replace("-", ":")
    # Leave what is not a MAC as it was written, so the error shows the user's own text.
    return canonical if MAC_RE.match(canonical) else mac


def capabilities_string(value):
    """Pure: capabilities as Ironic stores them, 'k1:v1,k2:v2' sorted by key; None stays None."""
    if value is None:
        return None
    if isinstance(value, str):
        pairs = [item.split(":", 1) for item in value.split(",") if item.strip()]
        value = dict((k.strip(), v.strip()) for k, v in (p if len(p) == 2 else (p[0], "") for p in pairs))
    return ",".join("%s:%s" % (k, value[k]) for k in sorted(value))


def from_instackenv(entry):
    """Pure: a TripleO instackenv.json node in our canonical input form."""
    node = {k: v for k, v in entry.items() if k not in INSTACKENV_FIELDS}
    pm_type = entry.get("pm_type")
    driver = LEGACY_DRIVERS.get(pm_type, pm_type)
    if driver is not None:
        node["driver"] = driver
    info = dict(entry.get("driver_info") or {})
    prefix = {"redfish": "redfish", "idrac": "drac", "ilo": "ilo", "ilo5": "ilo", "irmc": "irmc"}.get(driver, "ipmi")
    if driver != "fake-hardware":
        for src, dst in (("pm_addr", "address"), ("pm_user", "username"), ("pm_password", "password"), ("pm_port", "port")):
            if entry.get(src) is not None:
                info["%s_%s" % (prefix, dst)] = entry[src]
        if entry.get("pm_system_id") is not None:
            info["redfish_system_id"] = entry["pm_system_id"]
    if info or "driver_info" in entry:
        node["driver_info"] = info
    props = dict(entry.get("properties") or {})
    for src, dst in (("cpu", "cpus"), ("memory", "memory_mb"), ("disk", "local_gb"), ("arch", "cpu_arch")):
        if entry.get(src) is not None:
            props[dst] = entry[src]
    if props:
        node["properties"] = props
    if entry.get("mac") is not None and "ports" not in entry:
        macs = entry["mac"] if isinstance(entry["mac"], list) else [entry["mac"]]
        node["ports"] = [{"address": m} for m in macs]
    return node


def _int_or_none(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def normalize(entry):
    """Pure: canonical form of one node (our nodes.yaml form; convert instackenv first).

    Returns (node, problems) where problems only concern conversions (the
    full checks are in ``validate``).
    """
    problems = []
    node = {"name": entry.get("name"), "driver": LEGACY_DRIVERS.get(entry.get("driver"), entry.get("driver")),
            "driver_info": dict(entry.get("driver_info") or {}), "unknown": sorted(k for k in entry if k not in NODE_FIELDS)}
    props = dict(entry.get("properties") or {})
    caps = entry.get("capabilities", props.pop("capabilities", None))
    if caps is not None:
        props["capabilities"] = capabilities_string(caps)
    if entry.get("root_device") is not None:
        props["root_device"] = entry["root_device"]
    for key in ("cpus", "memory_mb", "local_gb"):
        if key in props:
            number = _int_or_none(props[key])
            if number is None:
                problems.append(("properties.%s" % key, "must be a whole number, got %r" % (props[key],)))
            else:
                props[key] = number
    node["properties"] = props
    node["ports"] = []
    for port in entry.get("ports") or []:
        if isinstance(port, str):
            port = {"address": port}
        port = dict(port)
        port["address"] = normalize_mac(port.get("address"))
        port.setdefault("pxe_enabled", True)
        node["ports"].append(port)
    node["ports_given"] = "ports" in entry
    node["traits"] = sorted(entry["traits"]) if entry.get("traits") is not None else None
    for key in ("resource_class", "owner", "description") + INTERFACE_FIELDS:
        if entry.get(key) is not None:
            node[key] = entry[key]
    node["extra"] = dict(entry.get("extra") or {})
    return node, problems


def _bmc_address_problem(driver, key, value):
    if not isinstance(value, str) or not value:
        return "must be a host name, an IP address or (redfish) a URL"
    host = value
    if driver == "redfish" or value.startswith(("http://", "https://")):
        match = re.match(r"^(https?)://(\[[^\]]+\]|[^/:]+)(:\d+)?(/.*)?$", value)
        if driver == "redfish" and not match and "://" in value:
            return "is not a valid http(s) URL: %r" % value
        if match:
            host = match.group(2).strip("[]")
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if HOST_RE.match(host) and not re.match(r"^[0-9.]+$", host):
        return None
    return "is neither an IP address nor a host name: %r" % value


def validate(nodes, drivers=None, conversion_problems=None):
    """Every problem of the fleet at once, as 'node NAME: FIELD: PROBLEM; FIX' strings.

    ``nodes`` are canonical nodes (``normalize``); ``drivers`` the hardware
    types Ironic has enabled (None: the well-known ones).
    """
    problems = []
    drivers = tuple(drivers) if drivers else KNOWN_DRIVERS
    names = {}
    macs = {}
    for index, node in enumerate(nodes):
        label = "node %s" % node["name"] if node.get("name") else "node #%d" % index

        def add(field, text):
            problems.append("%s: %s %s" % (label, field, text))

        for field, text in (conversion_problems or {}).get(index, []):
            add(field, text)
        for key in node.get("unknown", []):
            add(key, "is not a known field; known fields are %s" % ", ".join(sorted(NODE_FIELDS)))
        name = node.get("name")
        if not name:
            add("name", "is required")
        elif not isinstance(name, str) or not NAME_RE.match(name):
            add("name", "may only contain letters, digits and - . _ ~, got %r" % (name,))
        elif name in names:
            add("name", "is also used by node #%d; names must be unique" % names[name])
        else:
            names[name] = index
        driver = node.get("driver")
        if not driver:
            add("driver", "is required (one of %s)" % ", ".join(drivers))
        elif driver not in drivers:
            add("driver", "%r is not an enabled hardware type; use one of %s" % (driver, ", ".join(drivers)))
        info = node.get("driver_info") or {}
        for key in CREDENTIALS.get(driver, ()):
            if info.get(key) in (None, ""):
                add("driver_info.%s" % key, "is required for driver %s" % driver)
        for key, value in info.items():
            if key.endswith("_address") and value not in (None, ""):
                problem = _bmc_address_problem(driver, key, value)
                if problem:
                    add("driver_info.%s" % key, problem)
            if key.endswith("_port") and value is not None and not (_int_or_none(value) and 0 < _int_or_none(value) < 65536):
                add("driver_info.%s" % key, "must be a port number from 1 to 65535, got %r" % (value,))
        props = node.get("properties") or {}
        for key in ("cpus", "memory_mb"):
            if isinstance(props.get(key), int) and props[key] <= 0:
                add("properties.%s" % key, "must be positive, got %d" % props[key])
        if isinstance(props.get("local_gb"), int) and props["local_gb"] < 0:
            add("properties.local_gb", "must not be negative, got %d" % props["local_gb"])
        if props.get("cpu_arch") is not None and props["cpu_arch"] not in CPU_ARCHES:
            add("properties.cpu_arch", "%r is not one of %s" % (props["cpu_arch"], ", ".join(CPU_ARCHES)))
        if props.get("root_device") is not None and not isinstance(props["root_device"], dict):
            add("root_device", "must be a mapping of hints such as {serial: ...} or {wwn: ...}")
        for pindex, port in enumerate(node.get("ports") or []):
            mac = port.get("address")
            field = "ports[%d].address" % pindex
            if not isinstance(mac, str) or not MAC_RE.match(mac):
                add(field, "%r is not a MAC address like 52:54:00:12:34:56" % (mac,))
            elif mac in macs:
                add(field, "%s is also a port of %s; a MAC belongs to one node" % (mac, macs[mac]))
            else:
                macs[mac] = label
        for key in INTERFACE_FIELDS:
            if key in node and (not isinstance(node[key], str) or not node[key]):
                add(key, "must be an interface name such as 'fake' or 'ipxe'")
        if node.get("traits") is not None:
            for trait in node["traits"]:
                if not isinstance(trait, str) or not re.match(r"^(CUSTOM_[A-Z0-9_]+|[A-Z][A-Z0-9_]+)$", trait):
                    add("traits", "%r is not a trait; custom traits look like CUSTOM_FAST_DISK" % (trait,))
    return problems


def foreign_macs(nodes, ids, holders):
    """Pure: the ports of ``nodes`` whose MAC Ironic already holds for another node.

    ``ids`` maps the name of each node that exists to its ID; ``holders`` maps every MAC Ironic holds to
    (node ID, node name or ID).
    """
    problems = []
    for node in nodes:
        own = ids.get(node["name"])
        for pindex, port in enumerate(node.get("ports") or []):
            holder = holders.get(normalize_mac(port.get("address")))
            if holder is not None and holder[0] != own:
                problems.append("node %s: ports[%d].address %s is already a port of Ironic node %s; a MAC belongs to one "
                                "node: fix the MAC, or remove that port (or node) first" % (node["name"], pindex, port["address"], holder[1]))
    return problems


def secrets_of(info):
    """Pure: the secret values of driver_info, by key."""
    return {k: v for k, v in (info or {}).items() if k in SECRET_KEYS and v not in (None, "")}


# The BMC secrets are compared through a digest kept in the node's extra, because Ironic masks the passwords it
# returns. extra is readable by whoever may read the node, so the digest is scrypt (salted, memory-hard: about 40 ms a
# node here), not a fast hash. The parameters are part of the stored value.
SCRYPT = (2 ** 14, 8, 1)


def secrets_digest(secrets, salt, params=SCRYPT):
    """Pure: salted scrypt digest of the secrets, 'scrypt:N:r:p$salt$hex'."""
    n, r, p = params
    payload = json.dumps(secrets, sort_keys=True).encode("utf-8")
    digest = hashlib.scrypt(payload, salt=salt.encode("ascii"), n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32).hex()
    return "scrypt:%d:%d:%d$%s$%s" % (n, r, p, salt, digest)


def secrets_match(secrets, stored):
    """Pure: whether ``stored`` is the digest of ``secrets`` with today's parameters. An older digest (the PBKDF2 of
    1000 rounds of earlier versions, 'salt$hex') never matches: the secrets are written again with a new digest."""
    if not stored or "$" not in stored:
        return not secrets
    parts = stored.split("$")
    if len(parts) != 3 or parts[0] != "scrypt:%d:%d:%d" % SCRYPT:
        return False
    return hmac.compare_digest(secrets_digest(secrets, parts[1]), stored)


def new_salt():
    return os.urandom(16).hex()


def plan_node(node, current, current_ports, salt=None):
    """Pure: what to do for one node.

    ``current`` is Ironic's node as a dict (or None), ``current_ports`` a list
    of its ports as dicts (address, pxe_enabled, uuid). Returns a dict with
    ``action`` (create, update, none), ``patch`` (JSON patch for an update),
    ``create`` (fields for a create), ``traits`` (list to set, or None),
    ``ports`` (list of (action, address, fields)) and ``changes`` (field names).
    """
    secrets = secrets_of(node["driver_info"])
    public_info = {k: v for k, v in node["driver_info"].items() if k not in SECRET_KEYS}
    wanted_props = {k: v for k, v in node["properties"].items() if v is not None}
    plan = {"action": "none", "patch": [], "create": None, "traits": None, "ports": [], "changes": []}
    fields = {k: node[k] for k in ("resource_class", "owner", "description") + INTERFACE_FIELDS if k in node}
    if current is None:
        extra = dict(node["extra"])
        if secrets:
            extra[SECRET_HASH_KEY] = secrets_digest(secrets, salt or new_salt())
        create = dict(name=node["name"], driver=node["driver"], driver_info=dict(node["driver_info"]), properties=wanted_props,
                      extra=extra)
        create.update(fields)
        plan.update(action="create", create=create, changes=["node"])
        if node["traits"]:
            plan["traits"] = node["traits"]
        plan["ports"] = [("create", p["address"], {"pxe_enabled": p.get("pxe_enabled", True)}) for p in node["ports"]]
        return plan
    patch = []
    changes = []
    if current.get("driver") != node["driver"]:
        patch.append({"op": "replace", "path": "/driver", "value": node["driver"]})
        changes.append("driver")
    have_info = current.get("driver_info") or {}
    for key, value in sorted(public_info.items()):
        if have_info.get(key) != value:
            patch.append({"op": "add", "path": "/driver_info/%s" % key, "value": value})
            changes.append("driver_info.%s" % key)
    have_extra = current.get("extra") or {}
    if not secrets_match(secrets, have_extra.get(SECRET_HASH_KEY)):
        for key, value in sorted(secrets.items()):
            patch.append({"op": "add", "path": "/driver_info/%s" % key, "value": value})
            changes.append("driver_info.%s" % key)
        if secrets:
            patch.append({"op": "add", "path": "/extra/%s" % SECRET_HASH_KEY, "value": secrets_digest(secrets, salt or new_salt())})
    have_props = current.get("properties") or {}
    for key, value in sorted(wanted_props.items()):
        if have_props.get(key) != value:
            patch.append({"op": "add", "path": "/properties/%s" % key, "value": value})
            changes.append("properties.%s" % key)
    for key, value in sorted(node["extra"].items()):
        if have_extra.get(key) != value:
            patch.append({"op": "add", "path": "/extra/%s" % key, "value": value})
            changes.append("extra.%s" % key)
    for key, value in sorted(fields.items()):
        if current.get(key) != value:
            patch.append({"op": "replace", "path": "/%s" % key, "value": value})
            changes.append(key)
    if node["traits"] is not None and sorted(current.get("traits") or []) != node["traits"]:
        plan["traits"] = node["traits"]
        changes.append("traits")
    have_ports = {normalize_mac(p["address"]): p for p in current_ports}
    for port in node["ports"]:
        have = have_ports.get(port["address"])
        if have is None:
            plan["ports"].append(("create", port["address"], {"pxe_enabled": port.get("pxe_enabled", True)}))
            changes.append("ports.%s" % port["address"])
        elif bool(have.get("pxe_enabled", True)) != bool(port.get("pxe_enabled", True)):
            plan["ports"].append(("update", port["address"], {"uuid": have.get("uuid"), "pxe_enabled": port.get("pxe_enabled", True)}))
            changes.append("ports.%s" % port["address"])
    plan.update(patch=patch, changes=changes, action="update" if changes else "none")
    return plan
