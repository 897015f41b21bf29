# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The os-net-config model: validation, normalization, NIC mapping, flat <-> nested.

Pure functions only. The canonical form of a config (what ``normalize`` returns and
every other part compares) is the os-net-config list of objects with:

- only the attributes that differ from their default (``use_dhcp: false`` is dropped);
- addresses as ``{ip_netmask: "ip/prefix"}`` in the order given, routes as
  ``{ip_netmask, next_hop, default, route_options, table}`` with the default route's
  destination spelled ``0.0.0.0/0`` (or ``::/0``) and ``default: true``;
- a VLAN without a name named ``vlan<id>``;
- top-level objects and the members of every object sorted by name (persistent formats
  keep no order between files and bridge ports are a set), so a config rendered and
  parsed back compares equal to the input.
"""

from __future__ import annotations

import copy
import ipaddress
import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError

# Attributes every supported object may carry, with their defaults (dropped when equal).
COMMON = {
    "use_dhcp": False,
    "use_dhcpv6": False,
    "addresses": [],
    "routes": [],
    "mtu": None,
    "dns_servers": [],
    "domain": [],
    "defroute": True,
    "nm_controlled": False,
    "onboot": True,
    "hotplug": False,
    "primary": False,
}

# Per supported type: its own attributes (with defaults) on top of COMMON.
TYPES = {
    "interface": {"ethtool_opts": None},
    "linux_bridge": {"members": []},
    "linux_bond": {"members": [], "bonding_options": None},
    "linux_tap": {},
    "vlan": {"vlan_id": None, "device": None, "ovs_options": None, "ovs_extra": []},
    "ovs_bridge": {"members": [], "ovs_options": None, "ovs_extra": [], "ovs_fail_mode": None},
    "ovs_user_bridge": {"members": [], "ovs_options": None, "ovs_extra": [], "ovs_fail_mode": None},
    "ovs_bond": {"members": [], "ovs_options": None, "ovs_extra": []},
    "ovs_patch_port": {"bridge_name": None, "peer": None},
}

# Object types of os-net-config this collection does not configure: a clear error, never a skip.
UNSUPPORTED = {
    "contrail_vrouter": "Contrail vRouter", "contrail_vrouter_dpdk": "Contrail vRouter with DPDK",
    "ib_interface": "InfiniBand", "ib_child_interface": "InfiniBand", "ivs_bridge": "Indigo Virtual Switch",
    "ivs_interface": "Indigo Virtual Switch", "nfvswitch_bridge": "NFVswitch", "nfvswitch_internal": "NFVswitch",
    "ovs_dpdk_port": "OVS-DPDK", "ovs_dpdk_bond": "OVS-DPDK", "ovs_tunnel": "OVS tunnels",
    "sriov_pf": "SR-IOV", "sriov_vf": "SR-IOV", "team": "teamd", "vpp_interface": "VPP", "vpp_bond": "VPP",
    "linux_team": "teamd", "route_table": "custom routing tables (rules)", "route_rule": "routing rules",
}

BRIDGES = ("linux_bridge", "ovs_bridge", "ovs_user_bridge")
OVS_BRIDGES = ("ovs_bridge", "ovs_user_bridge")
CONTAINERS = BRIDGES + ("linux_bond", "ovs_bond")
# What may be a member of what.
MEMBER_TYPES = {
    "linux_bridge": ("interface", "linux_bond", "vlan", "linux_tap"),
    "ovs_bridge": ("interface", "ovs_bond", "vlan", "linux_bond", "linux_tap"),
    "ovs_user_bridge": ("interface", "ovs_bond", "vlan", "linux_bond", "linux_tap"),
    "linux_bond": ("interface",),
    "ovs_bond": ("interface",),
}
ROUTE_KEYS = ("ip_netmask", "next_hop", "default", "route_options", "table")
ROUTE_ALIASES = {"destination": "ip_netmask", "nexthop": "next_hop"}
NAME_RE = re.compile(r"^[A-Za-z0-9_.:{}-]{1,15}$")
# OVS patch ports and bonds are not kernel devices: their names may be longer.
OVS_NAME_RE = re.compile(r"^[A-Za-z0-9_.:{}-]{1,64}$")
NIC_RE = re.compile(r"^nic(\d+)$")
MAC_RE = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")


class NetConfigUnsupported(ValidationError):
    """An object type this collection does not configure."""


def defaults_of(kind):
    result = dict(COMMON)
    result.update(TYPES[kind])
    return result


def _label(path, obj):
    name = obj.get("name") if isinstance(obj, dict) else None
    kind = obj.get("type") if isinstance(obj, dict) else None
    if name is None and kind == "vlan" and isinstance(obj, dict) and obj.get("vlan_id") is not None:
        name = "vlan%s" % obj.get("vlan_id")
    return "%s (%s %s)" % (path, kind or "object", name) if name else "%s (%s)" % (path, kind or "object")


def _as_bool(value, where, problems):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("yes", "true", "on", "1"):
        return True
    if isinstance(value, str) and value.lower() in ("no", "false", "off", "0"):
        return False
    problems.append("%s: must be true or false, got %r" % (where, value))
    return None


def _address(item, where, problems):
    if isinstance(item, str):
        text = item
    elif isinstance(item, dict) and set(item) <= {"ip_netmask", "ip_address", "prefix"}:
        text = item.get("ip_netmask") or ("%s/%s" % (item.get("ip_address"), item.get("prefix"))
                                          if item.get("ip_address") else None)
    else:
        problems.append("%s: an address is {ip_netmask: IP/PREFIX}, got %r" % (where, item))
        return None
    try:
        iface = ipaddress.ip_interface(str(text))
    except ValueError:
        problems.append("%s: %r is not an IP address with a prefix (such as 192.0.2.10/24)" % (where, text))
        return None
    if "/" not in str(text):
        problems.append("%s: %r has no prefix length; write it as IP/PREFIX" % (where, text))
        return None
    return {"ip_netmask": "%s/%d" % (iface.ip.compressed, iface.network.prefixlen)}


def _route(item, where, problems):
    if not isinstance(item, dict):
        problems.append("%s: a route is a mapping with ip_netmask and next_hop, got %r" % (where, item))
        return None
    item = dict((ROUTE_ALIASES.get(k, k), v) for k, v in item.items())
    unknown = sorted(set(item) - set(ROUTE_KEYS))
    if unknown:
        problems.append("%s: unknown route attribute(s) %s (known: %s)" % (where, ", ".join(unknown), ", ".join(ROUTE_KEYS)))
        return None
    route = {}
    default = item.get("default", False)
    default = _as_bool(default, where + ".default", problems) if default is not False else False
    hop = item.get("next_hop")
    if hop is not None:
        try:
            hop = ipaddress.ip_address(str(hop)).compressed
        except ValueError:
            problems.append("%s.next_hop: %r is not an IP address" % (where, item.get("next_hop")))
            return None
    dest = item.get("ip_netmask")
    if dest is None and not default:
        problems.append("%s: a route needs ip_netmask (the destination) or default: true" % where)
        return None
    if dest is None:
        dest = "::/0" if hop and ":" in hop else "0.0.0.0/0"
    try:
        net = ipaddress.ip_network(str(dest), strict=False)
    except ValueError:
        problems.append("%s.ip_netmask: %r is not a network (such as 10.0.0.0/24)" % (where, dest))
        return None
    if hop and ipaddress.ip_address(hop).version != net.version:
        problems.append("%s: next_hop %s and destination %s are not of the same IP version" % (where, hop, dest))
        return None
    route["ip_netmask"] = net.compressed
    if hop:
        route["next_hop"] = hop
    if default or net.prefixlen == 0:
        route["default"] = True
    if item.get("route_options"):
        route["route_options"] = " ".join(str(item["route_options"]).split())
    if item.get("table") is not None:
        route["table"] = item["table"]
        if not re.match(r"^(\d+|[A-Za-z][A-Za-z0-9_-]*)$", str(item["table"])):
            problems.append("%s.table: %r is not a table number or name" % (where, item["table"]))
    return route


def _normalize_object(obj, path, problems, parent_type=None):
    if not isinstance(obj, dict):
        problems.append("%s: every object is a mapping with a type, got %r" % (path, obj))
        return None
    kind = obj.get("type")
    label = _label(path, obj)
    if kind in UNSUPPORTED:
        raise NetConfigUnsupported(["%s: object type %r (%s) is not supported by ooo.lifecycle.network_config; supported types: %s"
                                    % (label, kind, UNSUPPORTED[kind], ", ".join(sorted(TYPES)))])
    if kind not in TYPES:
        problems.append("%s: unknown object type %r; use one of %s" % (label, kind, ", ".join(sorted(TYPES))))
        return None
    allowed = defaults_of(kind)
    unknown = sorted(set(obj) - set(allowed) - {"type", "name"})
    if unknown:
        problems.append("%s: unknown attribute(s) %s for type %s" % (label, ", ".join(unknown), kind))
    out = {"type": kind}
    name = obj.get("name")
    if kind == "vlan":
        vid = obj.get("vlan_id")
        if isinstance(vid, bool) or not isinstance(vid, (int, str)) or not str(vid).isdigit() or not 1 <= int(vid) <= 4094:
            problems.append("%s.vlan_id: %r is out of range; a VLAN id is 1-4094" % (label, vid))
        else:
            out["vlan_id"] = int(vid)
            name = name or "vlan%d" % int(vid)
        if parent_type in OVS_BRIDGES and obj.get("device"):
            problems.append("%s.device: a VLAN inside an OVS bridge is an internal port of it; drop device" % label)
        if parent_type not in OVS_BRIDGES and not obj.get("device"):
            problems.append("%s.device: a Linux VLAN needs the device it is on (or put it in an ovs_bridge's members)" % label)
    if not name:
        problems.append("%s: missing name; every %s needs one" % (label, kind))
        return None
    pattern = OVS_NAME_RE if kind in ("ovs_patch_port", "ovs_bond") else NAME_RE
    if not isinstance(name, str) or not pattern.match(name):
        problems.append("%s.name: %r is not a valid interface name (1-%d letters, digits, '-', '_', '.')"
                        % (label, name, 64 if pattern is OVS_NAME_RE else 15))
    out["name"] = name
    label = _label(path, out)
    for key, default in allowed.items():
        if key not in obj or key in ("vlan_id",):
            continue
        value = obj[key]
        where = "%s.%s" % (label, key)
        if isinstance(default, bool):
            value = _as_bool(value, where, problems)
        elif key == "addresses":
            value = [a for a in (_address(a, "%s[%d]" % (where, i), problems) for i, a in enumerate(value or [])) if a]
        elif key == "routes":
            value = [r for r in (_route(r, "%s[%d]" % (where, i), problems) for i, r in enumerate(value or [])) if r]
        elif key == "mtu":
            if value is not None and (isinstance(value, bool) or not str(value).isdigit() or not 68 <= int(value) <= 65535):
                problems.append("%s: %r is not an MTU (68-65535)" % (where, value))
                continue
            value = int(value) if value is not None else None
        elif key in ("dns_servers", "domain"):
            value = [value] if isinstance(value, str) else list(value or [])
            if key == "dns_servers":
                for server in value:
                    try:
                        ipaddress.ip_address(str(server))
                    except ValueError:
                        problems.append("%s: %r is not an IP address" % (where, server))
            value = [str(v) for v in value]
        elif key == "ovs_extra":
            value = [value] if isinstance(value, str) else [str(v) for v in (value or [])]
        elif key == "members":
            if not isinstance(value, list):
                problems.append("%s: members is a list of objects" % where)
                continue
            members = []
            for i, member in enumerate(value):
                normal = _normalize_object(member, "%s[%d]" % (where, i), problems, parent_type=kind)
                if normal is None:
                    continue
                if normal["type"] not in MEMBER_TYPES.get(kind, ()):
                    problems.append("%s[%d]: a %s cannot be a member of a %s (allowed: %s)"
                                    % (where, i, normal["type"], kind, ", ".join(MEMBER_TYPES.get(kind, ()))))
                    continue
                members.append(normal)
            value = sorted(members, key=lambda m: m["name"])
        elif key == "ovs_fail_mode":
            if value not in (None, "secure", "standalone"):
                problems.append("%s: %r; OVS fail mode is secure or standalone" % (where, value))
        elif value is not None:
            value = " ".join(str(value).split()) if key in ("ovs_options", "bonding_options", "ethtool_opts") else str(value)
        if value is not None and value != default:
            out[key] = value
    if kind == "ovs_patch_port" and not (out.get("bridge_name") and out.get("peer")):
        problems.append("%s: an ovs_patch_port needs bridge_name and peer" % label)
    if out.get("use_dhcp") and any(ipaddress.ip_interface(a["ip_netmask"]).version == 4 for a in out.get("addresses", [])):
        problems.append("%s: use_dhcp and a static IPv4 address together; choose one" % label)
    return out


def walk(objects, parent=None):
    """Every object of a (normalized) config, depth first, as (object, parent name)."""
    for obj in objects:
        yield obj, parent
        yield from walk(obj.get("members", []), obj["name"])


def _check_whole(objects, problems):
    seen = {}
    addresses = []
    for obj, parent in walk(objects):
        name = obj["name"]
        if name in seen:
            where = "member of %s" % parent if parent else "top level"
            first = "member of %s" % seen[name] if seen[name] else "top level"
            problems.append("%s %s appears twice (%s and %s); an interface can belong to one bridge or bond only"
                            % (obj["type"], name, first, where))
            continue
        seen[name] = parent
        for addr in obj.get("addresses", []):
            addresses.append((ipaddress.ip_interface(addr["ip_netmask"]), name))
    for i, (one, dev1) in enumerate(addresses):
        for two, dev2 in addresses[i + 1:]:
            if one.version != two.version:
                continue
            if one.ip == two.ip:
                problems.append("address %s is given twice (on %s and %s)" % (one.ip, dev1, dev2))
            elif dev1 != dev2 and one.network.overlaps(two.network):
                problems.append("addresses overlap: %s on %s and %s on %s are in overlapping networks; "
                                "one network belongs on one interface" % (one, dev1, two, dev2))
    for obj, parent in walk(objects):
        if obj["type"] == "vlan" and obj.get("device") and obj["device"] not in seen and not NIC_RE.match(obj["device"]):
            pass  # a VLAN on an interface the config does not manage is fine
        if parent and (obj.get("addresses") or obj.get("use_dhcp")) and obj["type"] == "interface":
            problems.append("interface %s is a member of %s and has addresses or DHCP; put them on %s"
                            % (obj["name"], parent, parent))


def substitute_nics(objects, mapping):
    """Replace nicN / mapped aliases in names, VLAN devices and bond members with real interface names."""
    def fix(name):
        return mapping.get(name, name) if name else name
    out = copy.deepcopy(objects)
    for obj, _parent in walk(out):
        obj["name"] = fix(obj["name"])
        if obj.get("device"):
            obj["device"] = fix(obj["device"])
    for obj, _parent in walk(out):
        if "members" in obj:
            obj["members"].sort(key=lambda m: m["name"])
    return sorted(out, key=lambda o: o["name"])


def normalize(config, mapping=None):
    """Validate and canonicalize an os-net-config ``network_config`` list.

    ``mapping`` (alias -> interface name) is applied when given; raises ValidationError
    (NetConfigUnsupported for unsupported object types) listing every problem.
    """
    if isinstance(config, dict):
        config = config.get("network_config", [])
    if not isinstance(config, list):
        raise ValidationError(["network_config must be a list of objects, got %s" % type(config).__name__])
    problems = []
    objects = []
    for i, obj in enumerate(config):
        normal = _normalize_object(obj, "network_config[%d]" % i, problems)
        if normal is not None:
            objects.append(normal)
    if not problems:
        if mapping:
            objects = substitute_nics(objects, mapping)
        _check_whole(objects, problems)
    if problems:
        raise ValidationError(problems)
    return sorted(objects, key=lambda o: o["name"])


def natural_key(name):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def order_nics(nics):
    """os-net-config's NIC order: active physical NICs, embedded ones (em*, eno*, eth*) first, natural sort.

    ``nics``: list of {name, mac, active, physical}. Returns the ordered names.
    """
    active = [n for n in nics if n.get("active")]
    embedded = sorted((n["name"] for n in active if re.match(r"^(em|eno|eth)\d", n["name"])), key=natural_key)
    others = sorted((n["name"] for n in active if n["name"] not in embedded), key=natural_key)
    return embedded + others


def nic_mapping(nics, explicit=None):
    """Alias -> interface name: nic1..N by ``order_nics``, then the explicit mapping (names or MACs) on top.

    Raises ValidationError when an explicit entry names an interface or MAC that does not exist.
    """
    ordered = order_nics(nics)
    mapping = dict(("nic%d" % (i + 1), name) for i, name in enumerate(ordered))
    # A bridge or bond takes its first port's MAC: a MAC names the physical interface.
    by_mac = dict((str(n.get("mac", "")).lower(), n["name"]) for n in nics if n.get("mac") and n.get("physical", True))
    names = set(n["name"] for n in nics)
    problems = []
    for alias, target in sorted((explicit or {}).items()):
        target = str(target)
        if MAC_RE.match(target):
            if target.lower() not in by_mac:
                problems.append("interface mapping %s: no interface has MAC %s (interfaces: %s)"
                                % (alias, target, ", ".join(sorted(by_mac))))
                continue
            mapping[alias] = by_mac[target.lower()]
        elif target not in names:
            problems.append("interface mapping %s: no interface named %s (interfaces: %s)" % (alias, target, ", ".join(sorted(names))))
        else:
            mapping[alias] = target
    if problems:
        raise ValidationError(problems)
    return mapping


def check_nics(objects, mapping, existing):
    """Problems for nicN aliases left without an interface, and interfaces that do not exist."""
    problems = []
    known = ", ".join("%s=%s" % kv for kv in sorted(mapping.items(), key=lambda kv: natural_key(kv[0])))
    for obj, _parent in walk(objects):
        for field in ("name", "device"):
            value = obj.get(field)
            if value and NIC_RE.match(value) and value not in existing:
                problems.append("%s %s: %s %s does not exist on this host: it has %d active NIC(s)%s; map it with "
                                "interface_mapping" % (obj["type"], obj["name"], field, value, len(mapping),
                                                       " (%s)" % known if mapping else ""))
        if obj["type"] == "interface" and not NIC_RE.match(obj["name"]) and obj["name"] not in existing:
            problems.append("interface %s does not exist on this host (interfaces: %s)" % (obj["name"], ", ".join(sorted(existing))))
    return problems


def flatten(objects):
    """Nested canonical config -> {name: device} with ``parent`` and ``members`` as names."""
    flat = {}
    for obj, parent in walk(objects):
        device = dict((k, copy.deepcopy(v)) for k, v in obj.items() if k != "members")
        if obj["type"] in CONTAINERS:
            device["members"] = [m["name"] for m in obj.get("members", [])]
        if parent:
            device["parent"] = parent
        flat[obj["name"]] = device
    return flat


def nest(flat):
    """{name: device} -> the nested canonical list (inverse of ``flatten``)."""
    def build(name):
        device = dict((k, copy.deepcopy(v)) for k, v in flat[name].items() if k not in ("parent", "members"))
        members = sorted(flat[name].get("members", []))
        if members:
            device["members"] = [build(m) for m in members if m in flat]
        return device
    tops = sorted(n for n, d in flat.items() if not d.get("parent") or d["parent"] not in flat)
    return [build(n) for n in tops]
