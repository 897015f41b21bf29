# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The ifupdown provider: one file per device in etc/network/interfaces.d/, Debian's format with the Open vSwitch
ovs_* options of openvswitch-switch's ifupdown integration (ooo-* options for what it has no key for)."""

from __future__ import annotations

import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model
from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig.persist_common import (
    HEADER, DIRS, OVS_PORT_TYPES, _parent_type, _split_addresses, _specials_from_extra, _route_text,
    _route_from_text, _ovs_pairs, _link_members,
)


def render_one(flat, device):
    name = device["name"]
    kind = device["type"]
    ptype = _parent_type(flat, device)
    lines = [HEADER]
    if device.get("hotplug"):
        lines.append("allow-hotplug %s" % name)
    elif device.get("onboot", True):
        lines.append("auto %s" % name)
    if kind in model.OVS_BRIDGES:
        lines.append("allow-ovs %s" % name)
    elif ptype in model.OVS_BRIDGES:
        lines.append("allow-%s %s" % (device["parent"], name))
    v4, v6 = _split_addresses(device)
    method = "dhcp" if device.get("use_dhcp") else ("static" if v4 else "manual")
    opts = []
    if v4:
        opts.append(("address", v4[0]))
    if device.get("mtu"):
        opts.append(("mtu", str(device["mtu"])))
    if device.get("dns_servers"):
        opts.append(("dns-nameservers", " ".join(device["dns_servers"])))
    if device.get("domain"):
        opts.append(("dns-search", " ".join(device["domain"])))
    if kind == "linux_bridge":
        opts.append(("bridge_ports", " ".join(device.get("members", [])) or "none"))
    if kind == "linux_bond":
        opts.append(("bond-slaves", " ".join(device.get("members", [])) or "none"))
        tokens = (device.get("bonding_options") or "").split()
        if all("=" in t for t in tokens):
            opts += [("bond-" + t.split("=", 1)[0], t.split("=", 1)[1]) for t in tokens]
        else:
            opts.append(("ooo-bonding-options", device["bonding_options"]))
    if kind == "vlan" and ptype not in model.OVS_BRIDGES:
        opts += [("vlan-raw-device", device["device"]), ("vlan-id", str(device["vlan_id"]))]
    if kind == "linux_tap":
        opts += [("pre-up", "ip tuntap add dev %s mode tap" % name), ("post-down", "ip tuntap del dev %s mode tap" % name)]
    ovs_type = None
    if kind in model.OVS_BRIDGES:
        ovs_type = "OVSBridge"
        opts.append(("ovs_ports", " ".join(device.get("members", []))))
    elif kind == "ovs_patch_port":
        ovs_type = "OVSPatchPort"
        opts += [("ovs_bridge", device["bridge_name"]), ("ovs_patch_peer", device["peer"])]
    elif ptype in model.OVS_BRIDGES:
        ovs_type = OVS_PORT_TYPES[kind]
        opts.append(("ovs_bridge", device["parent"]))
    if kind == "ovs_bond":
        opts.append(("ovs_bonds", " ".join(device.get("members", []))))
    if ovs_type:
        opts.insert(0, ("ovs_type", ovs_type))
    opts += _ovs_pairs(device, ptype, "${IFACE}", ("ovs_options", "ovs_extra"))
    for address in v4[1:]:
        opts.append(("up", "ip addr add %s dev %s" % (address, name)))
    for route in device.get("routes", []):
        opts.append(("up", "ip %sroute replace %s" % ("-6 " if ":" in route["ip_netmask"] else "", _route_text(route, name))))
    if device.get("defroute", True) is False:
        opts.append(("ooo-defroute", "no"))
    if device.get("hotplug") and not device.get("onboot", True):
        opts.append(("ooo-onboot", "no"))
    for key in ("nm_controlled", "primary"):
        if device.get(key):
            opts.append(("ooo-" + key.replace("_", "-"), "yes"))
    if device.get("ethtool_opts"):
        opts.append(("ooo-ethtool-opts", device["ethtool_opts"]))
    lines.append("iface %s inet %s" % (name, method))
    lines += ["    %s %s" % kv for kv in opts]
    if v6 or device.get("use_dhcpv6"):
        lines.append("iface %s inet6 %s" % (name, "dhcp" if device.get("use_dhcpv6") else "static"))
        if v6:
            lines.append("    address %s" % v6[0])
        lines += ["    up ip -6 addr add %s dev %s" % (a, name) for a in v6[1:]]
    return "\n".join(lines) + "\n"


def _ifupdown_parse_text(text):
    """Stanzas of an interfaces file: {name: {"auto": bool, "hotplug": bool, "allow": [...], "inet": (method, [(k, v)]), "inet6": ...}}."""
    stanzas = {}
    current = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        words = line.split(None, 1)
        key, rest = words[0], (words[1] if len(words) > 1 else "")
        if key in ("auto", "allow-hotplug") or key.startswith("allow-"):
            for name in rest.split():
                entry = stanzas.setdefault(name, {"allow": []})
                entry["allow"].append(key)
            current = None
        elif key == "iface":
            name, family, method = rest.split()[:3]
            entry = stanzas.setdefault(name, {"allow": []})
            entry[family] = (method, [])
            current = entry[family][1]
        elif current is not None:
            current.append((key, rest))
    return stanzas


def parse(files):
    stanzas = {}
    for path, text in sorted(files.items()):
        if path.startswith(DIRS["ifupdown"] + "/") and text.startswith(HEADER):
            stanzas.update(_ifupdown_parse_text(text))
    flat = {}
    for name, entry in stanzas.items():
        method, opts = entry.get("inet", ("manual", []))
        values = {}
        ups = []
        bonding = []
        for key, value in opts:
            if key == "up":
                ups.append(value)
            elif key.startswith("bond-") and key != "bond-slaves":
                bonding.append("%s=%s" % (key[5:], value))
            else:
                values[key] = value
        ovs_type = values.get("ovs_type")
        if ovs_type == "OVSBridge":
            kind = "ovs_bridge"
        elif ovs_type == "OVSBond":
            kind = "ovs_bond"
        elif ovs_type == "OVSIntPort" or "vlan-raw-device" in values:
            kind = "vlan"
        elif ovs_type == "OVSPatchPort":
            kind = "ovs_patch_port"
        elif "bridge_ports" in values:
            kind = "linux_bridge"
        elif "bond-slaves" in values:
            kind = "linux_bond"
        elif values.get("pre-up", "").startswith("ip tuntap add"):
            kind = "linux_tap"
        else:
            kind = "interface"
        device = {"type": kind, "name": name}
        addresses = []
        if "address" in values:
            addresses.append(values["address"])
        routes = []
        for up in ups:
            words = up.split()
            if words[:3] == ["ip", "addr", "add"]:
                addresses.append(words[3])
            elif words[:3] == ["ip", "route", "replace"]:
                routes.append(_route_from_text(" ".join(words[3:])))
            elif words[:4] == ["ip", "-6", "route", "replace"]:
                routes.append(_route_from_text(" ".join(words[4:]), v6=True))
        if "inet6" in entry:
            method6, opts6 = entry["inet6"]
            if method6 == "dhcp":
                device["use_dhcpv6"] = True
            for key, value in opts6:
                if key == "address":
                    addresses.append(value)
                elif key == "up" and value.split()[:4] == ["ip", "-6", "addr", "add"]:
                    addresses.append(value.split()[4])
        if method == "dhcp":
            device["use_dhcp"] = True
        if addresses:
            device["addresses"] = [{"ip_netmask": a} for a in addresses]
        if routes:
            device["routes"] = routes
        if "mtu" in values:
            device["mtu"] = int(values["mtu"])
        if "dns-nameservers" in values:
            device["dns_servers"] = values["dns-nameservers"].split()
        if "dns-search" in values:
            device["domain"] = values["dns-search"].split()
        members = []
        for key in ("bridge_ports", "bond-slaves", "ovs_ports", "ovs_bonds"):
            if key in values and values[key] != "none":
                members += values[key].split()
        if kind in model.CONTAINERS:
            device["members"] = members
        if kind == "linux_bond":
            if bonding:
                device["bonding_options"] = " ".join(bonding)
            if "ooo-bonding-options" in values:
                device["bonding_options"] = values["ooo-bonding-options"]
        ovs_options = values.get("ovs_options", "")
        if kind == "vlan":
            if ovs_type == "OVSIntPort":
                tokens = ovs_options.split()
                tag = [t for t in tokens if t.startswith("tag=")]
                device["vlan_id"] = int(tag[0][4:]) if tag else None
                ovs_options = " ".join(t for t in tokens if not t.startswith("tag="))
            else:
                device["device"] = values["vlan-raw-device"]
                device["vlan_id"] = int(values.get("vlan-id", re.sub(r"\D", "", name) or 0))
        if ovs_options:
            device["ovs_options"] = ovs_options
        if kind == "ovs_patch_port":
            device["bridge_name"] = values.get("ovs_bridge")
            device["peer"] = values.get("ovs_patch_peer")
        if "ovs_extra" in values:
            _specials_from_extra(device, [e.strip() for e in values["ovs_extra"].split(" -- ")], "${IFACE}")
        if values.get("ooo-defroute") == "no":
            device["defroute"] = False
        for key in ("nm_controlled", "primary"):
            if values.get("ooo-" + key.replace("_", "-")) == "yes":
                device[key] = True
        if "ooo-ethtool-opts" in values:
            device["ethtool_opts"] = values["ooo-ethtool-opts"]
        if "allow-hotplug" in entry["allow"]:
            device["hotplug"] = True
        if values.get("ooo-onboot") == "no" or not set(entry["allow"]) & {"auto", "allow-hotplug"}:
            device["onboot"] = False
        flat[name] = device
    return _link_members(flat)
