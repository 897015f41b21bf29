# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The ifcfg provider: etc/sysconfig/network-scripts/ifcfg-* plus route-*/route6-*, the initscripts format os-net-config
itself wrote (OOO_* variables for what it has no key for)."""

from __future__ import annotations

import ipaddress
import re
import shlex

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model
from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig.persist_common import (
    HEADER, DIRS, OVS_PORT_TYPES, _parent_type, _split_addresses, _specials_from_extra, _route_text,
    _route_from_text, _ovs_pairs, _bool_word, _link_members,
)


def _quote(value):
    value = str(value)
    return value if re.match(r"^[A-Za-z0-9_./:@${}-]*$", value) and value else '"%s"' % value.replace('"', '\\"')


def render_one(flat, device):
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


def parse(files):
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
