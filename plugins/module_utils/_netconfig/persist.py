# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Persistent network configuration: render the canonical model to files, parse files back.

Pure functions: ``render(provider, flat)`` returns {relative path: content};
``parse(provider, files)`` takes {relative path: content} and returns the flat model.
Only files carrying ``HEADER`` are ours (read back, replaced, removed); others are left alone.

Providers:

- ``ifupdown``: one file per device in ``etc/network/interfaces.d/``, Debian's format with
  the Open vSwitch ``ovs_*`` options of openvswitch-switch's ifupdown integration;
- ``ifcfg``: ``etc/sysconfig/network-scripts/ifcfg-*`` plus ``route-*``/``route6-*``, the
  initscripts format os-net-config itself wrote;
- ``nmkeyfile``: NetworkManager keyfiles in ``etc/NetworkManager/system-connections/``
  (Open vSwitch as NM models it: ovs-bridge, ovs-port and ovs-interface connections).

Attributes a format has no key for are kept in keys of our own (``ooo-*`` options in
ifupdown, ``OOO_*`` variables in ifcfg, the ``[user]`` setting in keyfiles), which the
tools ignore, so that parsing gives back exactly the model that was rendered.
"""

from __future__ import annotations

import configparser
import io
import ipaddress
import json
import re
import shlex
import uuid

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model

HEADER = "# Written by ooo.lifecycle network_config; local changes are overwritten."
PROVIDERS = ("ifupdown", "ifcfg", "nmkeyfile")
DIRS = {
    "ifupdown": "etc/network/interfaces.d",
    "ifcfg": "etc/sysconfig/network-scripts",
    "nmkeyfile": "etc/NetworkManager/system-connections",
}
OVS_PORT_TYPES = {"interface": "OVSPort", "ovs_bond": "OVSBond", "vlan": "OVSIntPort", "linux_bond": "OVSPort",
                  "linux_tap": "OVSPort"}


def _parent_type(flat, device):
    parent = device.get("parent")
    return flat[parent]["type"] if parent in flat else None


def _split_addresses(device):
    v4 = [a["ip_netmask"] for a in device.get("addresses", []) if ipaddress.ip_interface(a["ip_netmask"]).version == 4]
    v6 = [a["ip_netmask"] for a in device.get("addresses", []) if ipaddress.ip_interface(a["ip_netmask"]).version == 6]
    return v4, v6


def _extra_with_specials(device, var):
    """ovs_extra with the fail mode / netdev datapath of a bridge spelled as ovs-vsctl commands, {name} as ``var``."""
    extra = []
    if device["type"] == "ovs_user_bridge":
        extra.append("set bridge %s datapath_type=netdev" % var)
    if device.get("ovs_fail_mode"):
        extra.append("set bridge %s fail_mode=%s" % (var, device["ovs_fail_mode"]))
    return extra + [e.replace("{name}", var) for e in device.get("ovs_extra", [])]


def _specials_from_extra(device, extra, var):
    """Inverse of ``_extra_with_specials``."""
    if device["type"] in model.OVS_BRIDGES:
        if extra and extra[0] == "set bridge %s datapath_type=netdev" % var:
            device["type"] = "ovs_user_bridge"
            extra = extra[1:]
        match = re.match(r"^set bridge %s fail_mode=(\w+)$" % re.escape(var), extra[0]) if extra else None
        if match:
            device["ovs_fail_mode"] = match.group(1)
            extra = extra[1:]
    extra = [e.replace(var, "{name}") for e in extra]
    if extra:
        device["ovs_extra"] = extra


def _route_text(route, dev):
    dest = "default" if route.get("default") else route["ip_netmask"]
    words = [dest]
    if route.get("next_hop"):
        words += ["via", route["next_hop"]]
    words += ["dev", dev]
    if route.get("table") is not None:
        words += ["table", str(route["table"])]
    if route.get("route_options"):
        words.append(route["route_options"])
    return " ".join(words)


def _route_from_text(text, v6=False):
    words = text.split()
    route = {}
    dest = words.pop(0)
    if dest == "default":
        route["ip_netmask"] = "::/0" if v6 else "0.0.0.0/0"
        route["default"] = True
    else:
        route["ip_netmask"] = ipaddress.ip_network(dest, strict=False).compressed
        if ipaddress.ip_network(dest, strict=False).prefixlen == 0:
            route["default"] = True
    rest = []
    while words:
        word = words.pop(0)
        if word == "via" and words:
            route["next_hop"] = words.pop(0)
        elif word == "dev" and words:
            words.pop(0)
        elif word == "table" and words and "table" not in route:
            value = words.pop(0)
            route["table"] = int(value) if value.isdigit() else value
        else:
            rest.append(word)
    if rest:
        route["route_options"] = " ".join(rest)
    ordered = dict((k, route[k]) for k in model.ROUTE_KEYS if k in route)
    return ordered


def _ovs_options(device, ptype):
    """ovs_options as persisted: a VLAN port of an OVS bridge carries its tag there."""
    options = device.get("ovs_options")
    if device["type"] == "vlan" and ptype in model.OVS_BRIDGES:
        return " ".join(["tag=%d" % device["vlan_id"]] + ([options] if options else []))
    return options


def _ovs_pairs(device, ptype, var, names):
    """(key, value) of the OVS options and extra commands, under the format's ``names``; ``var`` names the device."""
    options = _ovs_options(device, ptype)
    extra = _extra_with_specials(device, var)
    return [(key, value) for key, value in zip(names, (options, " -- ".join(extra))) if value]


def _bool_word(value):
    return "yes" if value else "no"


# ---------------------------------------------------------------- ifupdown


def _ifupdown_render_one(flat, device):
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


def _ifupdown_parse(files):
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


def _link_members(flat):
    for name, device in flat.items():
        for member in device.get("members", []):
            if member in flat:
                flat[member]["parent"] = name
    return flat


# ---------------------------------------------------------------- ifcfg


def _quote(value):
    value = str(value)
    return value if re.match(r"^[A-Za-z0-9_./:@${}-]*$", value) and value else '"%s"' % value.replace('"', '\\"')


def _ifcfg_render_one(flat, device):
    name = device["name"]
    kind = device["type"]
    ptype = _parent_type(flat, device)
    keys = [("DEVICE", name), ("ONBOOT", _bool_word(device.get("onboot", True))),
            ("HOTPLUG", _bool_word(device.get("hotplug"))), ("NM_CONTROLLED", _bool_word(device.get("nm_controlled")))]
    v4, v6 = _split_addresses(device)
    if kind in model.OVS_BRIDGES:
        keys += [("DEVICETYPE", "ovs"), ("TYPE", "OVSBridge")]
    elif kind == "ovs_patch_port":
        keys += [("DEVICETYPE", "ovs"), ("TYPE", "OVSPatchPort"), ("OVS_BRIDGE", device["bridge_name"]),
                 ("OVS_PATCH_PEER", device["peer"])]
    elif ptype in model.OVS_BRIDGES:
        keys += [("DEVICETYPE", "ovs"), ("TYPE", OVS_PORT_TYPES[kind]), ("OVS_BRIDGE", device["parent"])]
    elif kind == "linux_bridge":
        keys.append(("TYPE", "Bridge"))
    elif kind == "linux_bond":
        keys += [("TYPE", "Bond"), ("BONDING_MASTER", "yes")]
    elif kind == "vlan":
        keys += [("VLAN", "yes"), ("PHYSDEV", device["device"]), ("VLAN_ID", device["vlan_id"])]
    elif kind == "linux_tap":
        keys.append(("TYPE", "Tap"))
    if ptype == "linux_bridge":
        keys.append(("BRIDGE", device["parent"]))
    elif ptype == "linux_bond":
        keys += [("MASTER", device["parent"]), ("SLAVE", "yes")]
    if kind == "ovs_bond":
        keys.append(("BOND_IFACES", " ".join(device.get("members", []))))
    if kind == "linux_bond" and device.get("bonding_options"):
        keys.append(("BONDING_OPTS", device["bonding_options"]))
    keys += _ovs_pairs(device, ptype, "${DEVICE}", ("OVS_OPTIONS", "OVS_EXTRA"))
    keys.append(("BOOTPROTO", "dhcp" if device.get("use_dhcp") else ("static" if v4 else "none")))
    for i, address in enumerate(v4):
        iface = ipaddress.ip_interface(address)
        suffix = "" if i == 0 else str(i)
        keys += [("IPADDR" + suffix, iface.ip.compressed), ("PREFIX" + suffix, iface.network.prefixlen)]
    if v6 or device.get("use_dhcpv6"):
        keys.append(("IPV6INIT", "yes"))
    if device.get("use_dhcpv6"):
        keys.append(("DHCPV6C", "yes"))
    if v6:
        keys.append(("IPV6ADDR", v6[0]))
        if v6[1:]:
            keys.append(("IPV6ADDR_SECONDARIES", " ".join(v6[1:])))
    if device.get("mtu"):
        keys.append(("MTU", device["mtu"]))
    if device.get("defroute", True) is False:
        keys.append(("DEFROUTE", "no"))
    for i, server in enumerate(device.get("dns_servers", [])):
        keys.append(("DNS%d" % (i + 1), server))
    if device.get("domain"):
        keys.append(("DOMAIN", " ".join(device["domain"])))
    if device.get("ethtool_opts"):
        keys.append(("ETHTOOL_OPTS", device["ethtool_opts"]))
    if device.get("primary"):
        keys.append(("OOO_PRIMARY", "yes"))
    files = {"ifcfg-" + name: HEADER + "\n" + "".join("%s=%s\n" % (k, _quote(v)) for k, v in keys)}
    for suffix, version in (("route-", 4), ("route6-", 6)):
        routes = [r for r in device.get("routes", []) if ipaddress.ip_network(r["ip_netmask"]).version == version]
        if routes:
            files[suffix + name] = HEADER + "\n" + "".join(_route_text(r, name) + "\n" for r in routes)
    return files


def _ifcfg_values(text):
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        words = shlex.split(value, posix=True) if value else [""]
        values[key] = " ".join(words)
    return values


def _ifcfg_parse(files):
    flat = {}
    prefix = DIRS["ifcfg"] + "/"
    texts = dict((p[len(prefix):], t) for p, t in files.items() if p.startswith(prefix) and t.startswith(HEADER))
    parents = {}
    for filename, text in sorted(texts.items()):
        if not filename.startswith("ifcfg-"):
            continue
        values = _ifcfg_values(text)
        name = values["DEVICE"]
        type_key = values.get("TYPE")
        kind = {"OVSBridge": "ovs_bridge", "OVSBond": "ovs_bond", "OVSIntPort": "vlan", "OVSPatchPort": "ovs_patch_port",
                "Bridge": "linux_bridge", "Bond": "linux_bond", "Tap": "linux_tap"}.get(type_key, "interface")
        if values.get("VLAN") == "yes":
            kind = "vlan"
        device = {"type": kind, "name": name}
        if type_key in ("OVSPort", "OVSIntPort", "OVSBond") and values.get("OVS_BRIDGE"):
            parents[name] = values["OVS_BRIDGE"]
        if values.get("BRIDGE"):
            parents[name] = values["BRIDGE"]
        if values.get("MASTER"):
            parents[name] = values["MASTER"]
        if kind == "ovs_bond":
            device["members"] = values.get("BOND_IFACES", "").split()
        elif kind in model.CONTAINERS:
            device["members"] = []
        if values.get("BOOTPROTO") == "dhcp":
            device["use_dhcp"] = True
        if values.get("DHCPV6C") == "yes":
            device["use_dhcpv6"] = True
        addresses = []
        i = 0
        while ("IPADDR" + (str(i) if i else "")) in values:
            suffix = str(i) if i else ""
            addresses.append("%s/%s" % (values["IPADDR" + suffix], values.get("PREFIX" + suffix, "32")))
            i += 1
        if values.get("IPV6ADDR"):
            addresses.append(values["IPV6ADDR"])
        addresses += values.get("IPV6ADDR_SECONDARIES", "").split()
        if addresses:
            device["addresses"] = [{"ip_netmask": a} for a in addresses]
        routes = []
        for suffix, v6 in (("route-", False), ("route6-", True)):
            for line in texts.get(suffix + name, "").splitlines():
                if line.strip() and not line.startswith("#"):
                    routes.append(_route_from_text(line.strip(), v6=v6))
        if routes:
            device["routes"] = routes
        if values.get("MTU"):
            device["mtu"] = int(values["MTU"])
        if values.get("DEFROUTE") == "no":
            device["defroute"] = False
        dns = [values["DNS%d" % n] for n in range(1, 10) if values.get("DNS%d" % n)]
        if dns:
            device["dns_servers"] = dns
        if values.get("DOMAIN"):
            device["domain"] = values["DOMAIN"].split()
        if values.get("ETHTOOL_OPTS"):
            device["ethtool_opts"] = values["ETHTOOL_OPTS"]
        if values.get("OOO_PRIMARY") == "yes":
            device["primary"] = True
        if values.get("BONDING_OPTS"):
            device["bonding_options"] = values["BONDING_OPTS"]
        ovs_options = values.get("OVS_OPTIONS", "")
        if kind == "vlan":
            if type_key == "OVSIntPort":
                tokens = ovs_options.split()
                device["vlan_id"] = int([t for t in tokens if t.startswith("tag=")][0][4:])
                ovs_options = " ".join(t for t in tokens if not t.startswith("tag="))
            else:
                device["device"] = values["PHYSDEV"]
                device["vlan_id"] = int(values["VLAN_ID"])
        if ovs_options:
            device["ovs_options"] = ovs_options
        if kind == "ovs_patch_port":
            device["bridge_name"] = values["OVS_BRIDGE"]
            device["peer"] = values["OVS_PATCH_PEER"]
        if values.get("OVS_EXTRA"):
            _specials_from_extra(device, [e.strip() for e in values["OVS_EXTRA"].split(" -- ")], "${DEVICE}")
        if values.get("ONBOOT") == "no":
            device["onboot"] = False
        if values.get("HOTPLUG") == "yes":
            device["hotplug"] = True
        if values.get("NM_CONTROLLED") == "yes":
            device["nm_controlled"] = True
        flat[name] = device
    for name, parent in parents.items():
        if parent in flat and name in flat and name not in flat[parent].setdefault("members", []):
            flat[parent]["members"].append(name)
    return _link_members(flat)


# ---------------------------------------------------------------- NetworkManager keyfiles


def _uuid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ooo.lifecycle/network_config/" + name))


NM_TYPES = {"interface": "ethernet", "linux_bridge": "bridge", "linux_bond": "bond", "vlan": "vlan", "linux_tap": "tun",
            "ovs_bridge": "ovs-bridge", "ovs_user_bridge": "ovs-bridge", "ovs_bond": "ovs-port"}


def _nm_ip(section, addresses, routes, method, device):
    out = [("method", method)]
    for i, address in enumerate(addresses):
        out.append(("address%d" % (i + 1), address))
    for i, route in enumerate(routes):
        value = route["ip_netmask"] + ("," + route["next_hop"] if route.get("next_hop") else "")
        out.append(("route%d" % (i + 1), value))
        opts = []
        if route.get("table") is not None:
            opts.append("table=%s" % route["table"])
        if opts:
            out.append(("route%d_options" % (i + 1), ",".join(opts)))
    if section == "ipv4":
        if device.get("dns_servers"):
            out.append(("dns", ";".join(device["dns_servers"]) + ";"))
        if device.get("domain"):
            out.append(("dns-search", ";".join(device["domain"]) + ";"))
        if device.get("defroute", True) is False:
            out.append(("never-default", "true"))
    return out


def _nm_write(sections):
    buf = io.StringIO()
    buf.write(HEADER + "\n")
    for title, pairs in sections:
        buf.write("[%s]\n" % title)
        for key, value in pairs:
            buf.write("%s=%s\n" % (key, value))
        buf.write("\n")
    return buf.getvalue()


def _nm_render_one(flat, device):
    name = device["name"]
    kind = device["type"]
    ptype = _parent_type(flat, device)
    files = {}
    user = []
    ovs_port = ptype in model.OVS_BRIDGES or kind in model.OVS_BRIDGES or kind == "ovs_patch_port"
    conn_type = NM_TYPES.get(kind, "ethernet")
    if ptype in model.OVS_BRIDGES and kind == "vlan":
        conn_type = "ovs-interface"
    if kind == "ovs_patch_port":
        conn_type = "ovs-interface"
    connection = [("id", name), ("uuid", _uuid(name)), ("type", conn_type), ("interface-name", name)]
    if not device.get("onboot", True):
        connection.append(("autoconnect", "false"))
    # An OVS port (and the bridge's own internal port) is an ovs-port connection holding one ovs-interface.
    iface_sections = []
    if kind in model.OVS_BRIDGES:
        port = "port-" + name
        files[port + ".nmconnection"] = _nm_write([
            ("connection", [("id", port), ("uuid", _uuid(port)), ("type", "ovs-port"), ("interface-name", name),
                            ("controller", name), ("port-type", "ovs-bridge")]), ("ovs-port", [])])
        internal = name + "-if"
        iface_sections = [("connection", [("id", internal), ("uuid", _uuid(internal)), ("type", "ovs-interface"),
                                          ("interface-name", name), ("controller", port), ("port-type", "ovs-port")]),
                          ("ovs-interface", [("type", "internal")])]
    if ptype in ("linux_bridge", "linux_bond"):
        connection += [("controller", device["parent"]), ("port-type", "bridge" if ptype == "linux_bridge" else "bond")]
    elif ptype == "ovs_bond":
        connection += [("controller", device["parent"]), ("port-type", "ovs-port")]
    elif ovs_port and kind not in model.OVS_BRIDGES and kind != "ovs_bond":
        bridge = device["parent"] if ptype else device["bridge_name"]
        port = "port-" + name
        files[port + ".nmconnection"] = _nm_write([
            ("connection", [("id", port), ("uuid", _uuid(port)), ("type", "ovs-port"), ("interface-name", name),
                            ("controller", bridge), ("port-type", "ovs-bridge")]),
            ("ovs-port", [("tag", str(device["vlan_id"]))] if kind == "vlan" else [])])
        connection += [("controller", port), ("port-type", "ovs-port")]
    elif kind == "ovs_bond":
        connection += [("controller", device["parent"]), ("port-type", "ovs-bridge")]
    sections = [("connection", connection)]
    if kind == "interface" or (ptype in model.OVS_BRIDGES and kind == "vlan") or kind == "ovs_patch_port":
        pass
    if device.get("mtu") and kind in model.OVS_BRIDGES:
        iface_sections.append(("ethernet", [("mtu", str(device["mtu"]))]))
    elif device.get("mtu"):
        sections.append(("ethernet" if conn_type in ("ethernet", "ovs-interface") else conn_type, [("mtu", str(device["mtu"]))]))
    if kind == "linux_bridge":
        sections.append(("bridge", [("stp", "false")]))
    if kind == "linux_bond":
        tokens = (device.get("bonding_options") or "").split()
        if tokens and all("=" in t for t in tokens):
            sections.append(("bond", [tuple(t.split("=", 1)) for t in tokens]))
        elif tokens:
            user.append(("ooo.bonding-options", device["bonding_options"]))
    if kind == "vlan" and ptype not in model.OVS_BRIDGES:
        sections.append(("vlan", [("id", str(device["vlan_id"])), ("parent", device["device"])]))
    if kind == "vlan" and ptype in model.OVS_BRIDGES:
        sections.append(("ovs-interface", [("type", "internal")]))
    if kind == "linux_tap":
        sections.append(("tun", [("mode", "2")]))
    if kind in model.OVS_BRIDGES:
        bridge = []
        if device.get("ovs_fail_mode"):
            bridge.append(("fail-mode", device["ovs_fail_mode"]))
        if kind == "ovs_user_bridge":
            bridge.append(("datapath-type", "netdev"))
        sections.append(("ovs-bridge", bridge))
    if kind == "ovs_bond":
        sections.append(("ovs-port", []))
    if kind == "ovs_patch_port":
        sections += [("ovs-interface", [("type", "patch")]), ("ovs-patch", [("peer", device["peer"])])]
    v4, v6 = _split_addresses(device)
    routes4 = [r for r in device.get("routes", []) if ":" not in r["ip_netmask"]]
    routes6 = [r for r in device.get("routes", []) if ":" in r["ip_netmask"]]
    carries_ip = kind not in model.OVS_BRIDGES
    ip_sections = [
        ("ipv4", _nm_ip("ipv4", v4, routes4, "auto" if device.get("use_dhcp") else ("manual" if v4 else "disabled"), device)),
        ("ipv6", _nm_ip("ipv6", v6, routes6, "dhcp" if device.get("use_dhcpv6") else ("manual" if v6 else "ignore"), device)),
    ]
    for i, route in enumerate(device.get("routes", [])):
        if route.get("route_options") or route.get("default"):
            user.append(("ooo.route%d" % i, json.dumps([route.get("route_options"), bool(route.get("default"))])))
    for key in ("nm_controlled", "primary", "hotplug"):
        if device.get(key):
            user.append(("ooo." + key.replace("_", "-"), "true"))
    if device.get("ethtool_opts"):
        user.append(("ooo.ethtool-opts", device["ethtool_opts"]))
    if device.get("ovs_options"):
        user.append(("ooo.ovs-options", device["ovs_options"]))
    if device.get("ovs_extra"):
        user.append(("ooo.ovs-extra", json.dumps(device["ovs_extra"])))
    if kind in model.OVS_BRIDGES:
        iface_sections += ip_sections
        files[name + "-if.nmconnection"] = _nm_write(iface_sections)
    elif carries_ip:
        sections += ip_sections
    if user:
        sections.append(("user", user))
    files[name + ".nmconnection"] = _nm_write(sections)
    return files


def _nm_parse(files):
    prefix = DIRS["nmkeyfile"] + "/"
    conns = {}
    for path, text in sorted(files.items()):
        if not (path.startswith(prefix) and text.startswith(HEADER)):
            continue
        parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
        parser.optionxform = str
        parser.read_string(text)
        conns[parser.get("connection", "id")] = parser
    flat = {}
    ports = dict((i, c) for i, c in conns.items() if c.get("connection", "type") == "ovs-port" and i.startswith("port-"))
    internals = dict((i, c) for i, c in conns.items() if i.endswith("-if") and c.get("connection", "type") == "ovs-interface"
                     and i[:-3] in conns and conns[i[:-3]].get("connection", "type") == "ovs-bridge")
    for ident, conn in conns.items():
        if ident in ports or ident in internals:
            continue
        ctype = conn.get("connection", "type")
        name = conn.get("connection", "interface-name")
        kind = {"ethernet": "interface", "bridge": "linux_bridge", "bond": "linux_bond", "vlan": "vlan", "tun": "linux_tap",
                "ovs-bridge": "ovs_bridge", "ovs-port": "ovs_bond"}.get(ctype, "interface")
        if ctype == "ovs-interface":
            kind = "ovs_patch_port" if conn.get("ovs-interface", "type", fallback="") == "patch" else "vlan"
        if ctype == "ovs-bridge" and conn.get("ovs-bridge", "datapath-type", fallback="") == "netdev":
            kind = "ovs_user_bridge"
        device = {"type": kind, "name": name}
        controller = conn.get("connection", "controller", fallback=None)
        if controller in ports:
            port = ports[controller]
            bridge = port.get("connection", "controller")
            if kind == "vlan":
                device["vlan_id"] = int(port.get("ovs-port", "tag"))
            if kind == "ovs_patch_port":
                device["bridge_name"] = bridge
                device["peer"] = conn.get("ovs-patch", "peer")
            else:
                device["parent"] = bridge
        elif controller:
            device["parent"] = controller
        if kind == "vlan" and conn.has_section("vlan"):
            device["vlan_id"] = int(conn.get("vlan", "id"))
            device["device"] = conn.get("vlan", "parent")
        if kind in model.OVS_BRIDGES and conn.has_option("ovs-bridge", "fail-mode"):
            device["ovs_fail_mode"] = conn.get("ovs-bridge", "fail-mode")
        if kind == "linux_bond" and conn.has_section("bond") and conn.items("bond"):
            device["bonding_options"] = " ".join("%s=%s" % kv for kv in conn.items("bond"))
        ip_conn = internals.get(ident + "-if", conn)
        for section in ip_conn.sections():
            if ip_conn.has_option(section, "mtu"):
                device["mtu"] = int(ip_conn.get(section, "mtu"))
        if conn.get("connection", "autoconnect", fallback="true") == "false":
            device["onboot"] = False
        addresses, routes = [], []
        for family in ("ipv4", "ipv6"):
            if not ip_conn.has_section(family):
                continue
            method = ip_conn.get(family, "method", fallback="disabled")
            if family == "ipv4" and method == "auto":
                device["use_dhcp"] = True
            if family == "ipv6" and method == "dhcp":
                device["use_dhcpv6"] = True
            n = 1
            while ip_conn.has_option(family, "address%d" % n):
                addresses.append(ip_conn.get(family, "address%d" % n))
                n += 1
            n = 1
            while ip_conn.has_option(family, "route%d" % n):
                parts = ip_conn.get(family, "route%d" % n).split(",")
                route = {"ip_netmask": parts[0]}
                if len(parts) > 1:
                    route["next_hop"] = parts[1]
                for opt in ip_conn.get(family, "route%d_options" % n, fallback="").split(","):
                    if opt.startswith("table="):
                        route["table"] = int(opt[6:]) if opt[6:].isdigit() else opt[6:]
                routes.append(route)
                n += 1
            if family == "ipv4":
                if ip_conn.has_option(family, "dns"):
                    device["dns_servers"] = [d for d in ip_conn.get(family, "dns").split(";") if d]
                if ip_conn.has_option(family, "dns-search"):
                    device["domain"] = [d for d in ip_conn.get(family, "dns-search").split(";") if d]
                if ip_conn.get(family, "never-default", fallback="false") == "true":
                    device["defroute"] = False
        user = dict(conn.items("user")) if conn.has_section("user") else {}
        for i, route in enumerate(routes):
            if "ooo.route%d" % i in user:
                options, default = json.loads(user["ooo.route%d" % i])
                if options:
                    route["route_options"] = options
                if default:
                    route["default"] = True
            routes[i] = dict((k, route[k]) for k in model.ROUTE_KEYS if k in route)
        if addresses:
            device["addresses"] = [{"ip_netmask": a} for a in addresses]
        if routes:
            device["routes"] = routes
        for key in ("nm_controlled", "primary", "hotplug"):
            if user.get("ooo." + key.replace("_", "-")) == "true":
                device[key] = True
        if "ooo.ethtool-opts" in user:
            device["ethtool_opts"] = user["ooo.ethtool-opts"]
        if "ooo.bonding-options" in user:
            device["bonding_options"] = user["ooo.bonding-options"]
        if "ooo.ovs-options" in user:
            device["ovs_options"] = user["ooo.ovs-options"]
        if "ooo.ovs-extra" in user:
            device["ovs_extra"] = json.loads(user["ooo.ovs-extra"])
        if kind in model.CONTAINERS:
            device["members"] = []
        flat[name] = device
    for name, device in flat.items():
        parent = device.get("parent")
        if parent in flat:
            flat[parent].setdefault("members", []).append(name)
    return flat


# ---------------------------------------------------------------- entry points


def render(provider, flat):
    """{relative path: content} of the persistent config for the flat model."""
    files = {}
    for name in sorted(flat):
        device = flat[name]
        if provider == "ifupdown":
            files["%s/ooo-%s" % (DIRS[provider], name)] = _ifupdown_render_one(flat, device)
        elif provider == "ifcfg":
            for filename, text in _ifcfg_render_one(flat, device).items():
                files["%s/%s" % (DIRS[provider], filename)] = text
        else:
            for filename, text in _nm_render_one(flat, device).items():
                files["%s/%s" % (DIRS[provider], filename)] = text
    return files


def parse(provider, files):
    """The flat model in ``files`` ({relative path: content}); files without our header are ignored."""
    if provider == "ifupdown":
        flat = _ifupdown_parse(files)
    elif provider == "ifcfg":
        flat = _ifcfg_parse(files)
    else:
        flat = _nm_parse(files)
    for device in flat.values():
        if "members" in device:
            device["members"] = sorted(device["members"])
    return flat


def ours(provider, path, text):
    """True when ``path`` is a persistent file of ``provider`` written by this collection."""
    return path.startswith(DIRS[provider] + "/") and text.startswith(HEADER)
