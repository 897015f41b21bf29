# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The nmkeyfile provider: NetworkManager keyfiles in etc/NetworkManager/system-connections/, Open vSwitch as NM models
it (ovs-bridge, ovs-port and ovs-interface connections; the [user] setting for what it has no key for)."""

from __future__ import annotations

import configparser
import io
import json
import uuid

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model
from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig.persist_common import (
    HEADER, DIRS, _parent_type, _split_addresses,
)


NM_TYPES = {"interface": "ethernet", "linux_bridge": "bridge", "linux_bond": "bond", "vlan": "vlan", "linux_tap": "tun",
            "ovs_bridge": "ovs-bridge", "ovs_user_bridge": "ovs-bridge", "ovs_bond": "ovs-port"}


def _uuid(name):
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "ooo.lifecycle/network_config/" + name))


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


def render_one(flat, device):
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


def parse(files):
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
