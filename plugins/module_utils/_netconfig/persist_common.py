# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""What the three persistent formats share: the header that marks our files, where each provider keeps them, the
Open vSwitch port types, addresses, routes, and the attributes a format has no key for (kept in keys of our own)."""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model

HEADER = "# Written by ooo.lifecycle network_config; local changes are overwritten."
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


def _link_members(flat):
    for name, device in flat.items():
        for member in device.get("members", []):
            if member in flat:
                flat[member]["parent"] = name
    return flat
