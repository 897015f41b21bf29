# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The running network configuration: read it into the model, plan the commands that change it.

Pure functions. ``gather`` turns the JSON of ``ip -j`` and ``ovs-vsctl -f json`` into the
flat model; ``target`` computes what a state (merged, replaced, overridden, deleted) asks
for; ``plan`` lists the iproute2 / ovs-vsctl argv lists that turn the live config into the
target, in an order that never leaves a device half-made; ``predict`` is the config the
plan leads to (check mode's ``after``).

What is compared: the object type, addresses, routes (destination, next hop, table and
metric), MTU when given, bridge/bond membership, the VLAN id and device, and for Open
vSwitch objects the fail mode and the ``ovs_options``/``ovs_extra`` applied (kept in the
object's ``external_ids`` so they are read back exactly). Boot-time attributes
(``onboot``, ``hotplug``, ``nm_controlled``, DNS, ``ethtool_opts``, ``defroute``) only go to
the persistent files.
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import shlex

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import model

IGNORED = ("lo", "ovs-system", "ovs-netdev")
VIRTUAL = ("linux_bridge", "linux_bond", "vlan", "linux_tap", "ovs_bridge", "ovs_user_bridge", "ovs_bond", "ovs_patch_port")
LIVE_KEYS = ("type", "name", "addresses", "routes", "mtu", "members", "parent", "vlan_id", "device", "ovs_options",
             "ovs_extra", "ovs_fail_mode", "bridge_name", "peer", "bonding_options", "use_dhcp")
EXT_OPTIONS = "ooo-ovs-options"
EXT_EXTRA = "ooo-ovs-extra"


def _ovs_value(value):
    """An OVSDB JSON atom/set/map as Python."""
    if isinstance(value, list) and len(value) == 2 and value[0] == "set":
        return [_ovs_value(v) for v in value[1]]
    if isinstance(value, list) and len(value) == 2 and value[0] == "map":
        return dict((k, _ovs_value(v)) for k, v in value[1])
    if isinstance(value, list) and len(value) == 2 and value[0] == "uuid":
        return value[1]
    return value


def ovs_rows(text):
    """Rows of ``ovs-vsctl -f json -d json list TABLE`` as dicts."""
    data = json.loads(text or '{"headings": [], "data": []}')
    rows = []
    for row in data.get("data", []):
        rows.append(dict((h, _ovs_value(v)) for h, v in zip(data["headings"], row)))
    return rows


def _as_list(value):
    if value in (None, "", []):
        return []
    return value if isinstance(value, list) else [value]


def _route_options(metric, version):
    default_metric = 1024 if version == 6 else 0
    return "metric %d" % metric if metric not in (None, default_metric) else None


def gather(links, addrs, routes, ovs=None, user_bridge_default=False):
    """The flat live model.

    ``links``: ``ip -j -d link show``; ``addrs``: ``ip -j addr show``; ``routes``: ``ip -j route show table all``
    plus the ``-6`` one; ``ovs``: {"Bridge": rows, "Port": rows, "Interface": rows} or None without Open vSwitch.
    ``user_bridge_default``: ovs_bridge objects are created netdev (the lab), so a netdev bridge reads as ovs_bridge.
    """
    flat = {}
    for link in links:
        name = link["ifname"]
        if name in IGNORED:
            continue
        info = link.get("linkinfo", {})
        kind = info.get("info_kind")
        device = {"type": "interface", "name": name, "mtu": link.get("mtu"), "mac": link.get("address"),
                  "up": "UP" in link.get("flags", []), "members": []}
        if kind == "bridge":
            device["type"] = "linux_bridge"
        elif kind == "bond":
            device["type"] = "linux_bond"
            data = info.get("info_data", {})
            if data.get("mode"):
                device["bonding_options"] = "mode=%s" % data["mode"]
        elif kind == "vlan":
            device["type"] = "vlan"
            device["vlan_id"] = info.get("info_data", {}).get("id")
            device["device"] = link.get("link")
        elif kind == "tun" and info.get("info_data", {}).get("type") == "tap":
            device["type"] = "linux_tap"
        if link.get("master"):
            device["parent"] = link["master"]
        if device["type"] not in ("linux_bridge", "linux_bond"):
            del device["members"]
        flat[name] = device
    for entry in addrs:
        device = flat.get(entry["ifname"])
        if device is None:
            continue
        for info in entry.get("addr_info", []):
            address = ipaddress.ip_interface("%s/%s" % (info["local"], info["prefixlen"]))
            if info.get("scope") != "global" or address.ip.is_link_local:
                continue
            device.setdefault("addresses", []).append({"ip_netmask": "%s/%d" % (address.ip.compressed, address.network.prefixlen)})
            if info.get("dynamic"):
                device["use_dhcp"] = True
    for route in routes:
        device = flat.get(route.get("dev"))
        if device is None or route.get("protocol") == "kernel" or route.get("type", "unicast") != "unicast":
            continue
        table = route.get("table", "main")
        if table in ("local",):
            continue
        dst = route.get("dst", "default")
        version = 6 if ":" in (route.get("gateway") or dst) else 4
        if dst == "default":
            dst = "::/0" if version == 6 else "0.0.0.0/0"
        net = ipaddress.ip_network(dst if "/" in dst else "%s/%d" % (dst, 128 if version == 6 else 32), strict=False)
        if net.is_link_local or net.is_multicast:
            continue
        item = {"ip_netmask": net.compressed}
        if route.get("gateway"):
            item["next_hop"] = route["gateway"]
        if net.prefixlen == 0:
            item["default"] = True
        options = _route_options(route.get("metric"), version)
        if options:
            item["route_options"] = options
        if table != "main":
            item["table"] = int(table) if str(table).isdigit() else table
        device.setdefault("routes", []).append(item)
    for name, device in flat.items():
        parent = device.get("parent")
        if parent in flat and "members" in flat[parent]:
            flat[parent]["members"].append(name)
    if ovs:
        _gather_ovs(flat, ovs, user_bridge_default)
    for device in flat.values():
        if "members" in device:
            device["members"] = sorted(device["members"])
    return flat


def _gather_ovs(flat, ovs, user_bridge_default):
    ports = dict((r["_uuid"], r) for r in ovs.get("Port", []))
    ifaces = dict((r["_uuid"], r) for r in ovs.get("Interface", []))
    for bridge in ovs.get("Bridge", []):
        name = bridge["name"]
        ext = bridge.get("external_ids") or {}
        netdev = bridge.get("datapath_type") == "netdev"
        device = flat.setdefault(name, {"name": name, "mtu": None, "up": False})
        device.update(type="ovs_user_bridge" if netdev and not user_bridge_default else "ovs_bridge", members=[])
        if bridge.get("fail_mode") not in (None, "", []):
            device["ovs_fail_mode"] = bridge["fail_mode"]
        _ext_options(device, ext)
        for port_id in _as_list(bridge.get("ports")):
            port = ports.get(port_id)
            if port is None:
                continue
            members = [ifaces[i] for i in _as_list(port.get("interfaces")) if i in ifaces]
            pname = port["name"]
            if pname == name:
                continue
            pext = port.get("external_ids") or {}
            if len(members) > 1:
                bond = flat.setdefault(pname, {"name": pname, "mtu": None, "up": True})
                bond.update(type="ovs_bond", parent=name, members=sorted(m["name"] for m in members))
                _ext_options(bond, pext)
                for member in members:
                    sub = flat.setdefault(member["name"], {"type": "interface", "name": member["name"], "mtu": None, "up": False})
                    sub["parent"] = pname
                device["members"].append(pname)
                continue
            iface = members[0] if members else {"type": "", "name": pname}
            entry = flat.setdefault(pname, {"name": pname, "mtu": None, "up": False})
            tag = _as_list(port.get("tag"))
            if iface.get("type") == "patch":
                entry.update(type="ovs_patch_port", bridge_name=name, peer=(iface.get("options") or {}).get("peer"))
                continue
            if iface.get("type") == "internal" and tag:
                entry.update(type="vlan", vlan_id=tag[0])
            else:
                entry.setdefault("type", "interface")
            entry["parent"] = name
            _ext_options(entry, pext)
            device["members"].append(pname)


def _ext_options(device, ext):
    if ext.get(EXT_OPTIONS):
        device["ovs_options"] = ext[EXT_OPTIONS]
    if ext.get(EXT_EXTRA):
        device["ovs_extra"] = json.loads(ext[EXT_EXTRA])


def _route_key(route):
    metric = None
    match = re.search(r"\bmetric (\d+)", route.get("route_options") or "")
    if match:
        metric = int(match.group(1))
    version = ipaddress.ip_network(route["ip_netmask"]).version
    if metric == (1024 if version == 6 else 0):
        metric = None
    return (route["ip_netmask"], route.get("next_hop"), str(route.get("table", "main")), metric)


def _merge_list(current, wanted, key):
    seen = set(key(i) for i in wanted)
    return [i for i in current if key(i) not in seen] + list(wanted)


def target(live, wanted, state, persisted=None):
    """{name: device or None}: what every device in scope must become (None: removed / emptied).

    ``wanted`` is the flat wanted model; ``persisted`` the flat model of our persistent files (the
    scope of ``deleted`` with an empty config).
    """
    goal = {}
    if state == "deleted":
        names = list(wanted) or list(persisted or {})
        todo = list(names)
        while todo:
            name = todo.pop()
            goal[name] = None
            for member in (live.get(name) or {}).get("members", []):
                if live.get(member, {}).get("type") in VIRTUAL:
                    todo.append(member)
                else:
                    goal.setdefault(member, "released")
        return goal
    for name, device in wanted.items():
        now = live.get(name)
        if state == "merged" and now and now["type"] == device["type"]:
            merged = dict((k, copy.deepcopy(v)) for k, v in now.items() if k in LIVE_KEYS)
            for key, value in device.items():
                if key == "addresses":
                    merged[key] = _merge_list(now.get(key, []), value, lambda a: a["ip_netmask"])
                elif key == "routes":
                    merged[key] = _merge_list(now.get(key, []), value, _route_key)
                elif key == "members":
                    merged[key] = sorted(set(now.get(key, [])) | set(value))
                else:
                    merged[key] = copy.deepcopy(value)
            goal[name] = merged
        else:
            goal[name] = copy.deepcopy(device)
    for name, device in list(goal.items()):
        for member in device.get("members", []):
            if member not in goal:
                sub = dict((k, copy.deepcopy(v)) for k, v in (live.get(member) or {"type": "interface", "name": member}).items()
                           if k in LIVE_KEYS)
                goal[member] = sub
            goal[member]["parent"] = name
            if goal[member]["type"] == "interface":
                goal[member].pop("addresses", None)
                goal[member].pop("routes", None)
    if state == "overridden":
        for name, device in live.items():
            if name not in goal and device["type"] in VIRTUAL and not (device.get("parent") in goal and device["type"] == "vlan"):
                goal[name] = None
    # Members that left a bridge or bond they are still in are released.
    for name, device in list(goal.items()):
        now = live.get(name)
        if device and now:
            for member in set(now.get("members", [])) - set(device.get("members", [])):
                goal.setdefault(member, "released")
    return goal


def _ovs_bridge_of(flat, name):
    device = flat.get(name) or {}
    return device.get("parent") if device.get("parent") in flat and flat[device["parent"]]["type"] in model.OVS_BRIDGES else None


def _ip_route(action, route, dev):
    version = ipaddress.ip_network(route["ip_netmask"]).version
    argv = ["ip"] + (["-6"] if version == 6 else []) + ["route", action, "default" if route.get("default") else route["ip_netmask"]]
    if route.get("next_hop"):
        argv += ["via", route["next_hop"]]
    argv += ["dev", dev]
    if route.get("table") is not None:
        argv += ["table", str(route["table"])]
    options = route.get("route_options") or ""
    if action == "del":
        key = _route_key(route)
        if key[3] is not None:
            argv += ["metric", str(key[3])]
    elif options:
        argv += shlex.split(options)
    return argv


def _ovs_settings(device, table, name, new=True):
    """ovs-vsctl arguments applying the options/extra of a bridge or port, and recording them in external_ids."""
    args = []
    options = device.get("ovs_options")
    if options:
        args += ["--", "set", table, name] + shlex.split(options)
    for extra in device.get("ovs_extra", []):
        args += ["--"] + shlex.split(extra.replace("{name}", name))
    # Kept as quoted OVSDB strings (JSON string syntax is compatible), read back by gather.
    for key, value in ((EXT_OPTIONS, options), (EXT_EXTRA, json.dumps(device["ovs_extra"]) if device.get("ovs_extra") else None)):
        if value:
            args += ["--", "set", table, name, "external_ids:%s=%s" % (key, json.dumps(value))]
        elif not new:
            args += ["--", "remove", table, name, "external_ids", key]
    return args


def _ovs_changed(now, device):
    return any(now.get(k) != device.get(k) for k in ("ovs_options", "ovs_extra"))


def plan(live, goal, datapath="system"):
    """The commands (argv lists) that bring ``live`` to ``goal`` (from ``target``), in a safe order."""
    # masters: bridges, bonds and taps, made before the ports and VLANs (create) that go on them
    route_del, dev_del, detach, addr_del, masters, create, attach, mtu, up, addr_add, route_add = ([] for _i in range(11))
    final = predict(live, goal)

    for name in sorted(goal):
        device = goal[name]
        now = live.get(name)
        gone = device is None
        released = device == "released"
        want = None if (gone or released) else device
        # routes and addresses to remove
        if now:
            keep_routes = set(_route_key(r) for r in (want or {}).get("routes", []))
            for route in now.get("routes", []):
                if _route_key(route) not in keep_routes and not (now["type"] in VIRTUAL and gone):
                    route_del.append(_ip_route("del", route, name))
            keep_addrs = set(a["ip_netmask"] for a in (want or {}).get("addresses", []))
            for address in now.get("addresses", []):
                if address["ip_netmask"] not in keep_addrs and not (now["type"] in VIRTUAL and gone):
                    addr_del.append(["ip", "addr", "del", address["ip_netmask"], "dev", name])
        moved_vlan = bool(want and want["type"] == "vlan" and now and now.get("device") != want.get("device")
                          and not _ovs_bridge_of(final, name))
        recreate = bool(now and want and (now["type"] != want["type"] or moved_vlan))
        if now and (gone or recreate) and now["type"] in VIRTUAL:
            if now["type"] in model.OVS_BRIDGES:
                dev_del.append(["ovs-vsctl", "--if-exists", "del-br", name])
            elif now["type"] in ("ovs_bond", "ovs_patch_port") or _ovs_bridge_of(live, name):
                dev_del.append(["ovs-vsctl", "--if-exists", "del-port", name])
            else:
                dev_del.append(["ip", "link", "del", name])
        # A port that is still wanted, but not in the bridge or bond it is in now (after a boot that named the NICs in
        # another order, the bridge of the last config still holds the NIC of that name) leaves it too.
        elif now and now.get("parent") and goal.get(now["parent"], "kept") is not None and (
                released or gone or recreate or (want is not None and want.get("parent") != now["parent"])):
            if _ovs_bridge_of(live, name) and live[now["parent"]]["type"] in model.OVS_BRIDGES:
                detach.append(["ovs-vsctl", "--if-exists", "del-port", now["parent"], name])
            elif live.get(now["parent"], {}).get("type") in ("linux_bridge", "linux_bond"):
                detach.append(["ip", "link", "set", name, "nomaster"])
        if want is None:
            continue
        exists = now is not None and not recreate
        kind = want["type"]
        if not exists:
            if kind == "linux_bridge":
                masters.append(["ip", "link", "add", name, "type", "bridge"])
            elif kind == "linux_bond":
                masters.append(["ip", "link", "add", name, "type", "bond"] + _bond_args(want.get("bonding_options")))
            elif kind == "vlan" and not _ovs_bridge_of(final, name):
                create.append(["ip", "link", "add", "link", want["device"], "name", name, "type", "vlan", "id", str(want["vlan_id"])])
            elif kind == "linux_tap":
                masters.append(["ip", "tuntap", "add", "dev", name, "mode", "tap"])
            elif kind in model.OVS_BRIDGES:
                argv = ["ovs-vsctl", "--may-exist", "add-br", name]
                if kind == "ovs_user_bridge" or datapath == "netdev":
                    argv += ["--", "set", "bridge", name, "datapath_type=netdev"]
                if want.get("ovs_fail_mode"):
                    argv += ["--", "set", "bridge", name, "fail_mode=%s" % want["ovs_fail_mode"]]
                masters.append(argv + _ovs_settings(want, "bridge", name))
            elif kind == "ovs_patch_port":
                create.append(["ovs-vsctl", "--may-exist", "add-port", want["bridge_name"], name, "--", "set", "interface", name,
                               "type=patch", "options:peer=%s" % want["peer"]])
            elif kind == "interface" and not now:
                raise ValueError("interface %s does not exist" % name)
        elif kind in model.OVS_BRIDGES:
            if want.get("ovs_fail_mode") != now.get("ovs_fail_mode"):
                create.append(["ovs-vsctl", "set", "bridge", name, "fail_mode=%s" % want["ovs_fail_mode"]] if want.get("ovs_fail_mode")
                              else ["ovs-vsctl", "clear", "bridge", name, "fail_mode"])
            if _ovs_changed(now, want):
                create.append(["ovs-vsctl"] + _ovs_settings(want, "bridge", name, new=False)[1:])
        # membership
        bridge = _ovs_bridge_of(final, name)
        if bridge and not (exists and now.get("parent") == bridge):
            if kind == "ovs_bond":
                argv = ["ovs-vsctl", "--may-exist", "add-bond", bridge, name] + list(want.get("members", []))
                create.append(argv + _ovs_settings(want, "port", name))
            elif kind == "vlan":
                create.append(["ovs-vsctl", "--may-exist", "add-port", bridge, name, "tag=%d" % want["vlan_id"], "--", "set",
                               "interface", name, "type=internal"] + _ovs_settings(want, "port", name))
            else:
                attach.append(["ovs-vsctl", "--may-exist", "add-port", bridge, name])
        elif bridge and kind in ("ovs_bond", "vlan"):
            if kind == "vlan" and now.get("vlan_id") != want["vlan_id"]:
                create.append(["ovs-vsctl", "set", "port", name, "tag=%d" % want["vlan_id"]])
            if _ovs_changed(now, want):
                create.append(["ovs-vsctl"] + _ovs_settings(want, "port", name, new=False)[1:])
        parent = want.get("parent")
        if parent and goal.get(parent) and goal[parent] not in ("released",) and goal[parent]["type"] in ("linux_bridge", "linux_bond") \
                and not (exists and now.get("parent") == parent):
            if goal[parent]["type"] == "linux_bond":
                attach.append(["ip", "link", "set", name, "down"])
            attach.append(["ip", "link", "set", name, "master", parent])
        if kind == "ovs_bond" or kind == "ovs_patch_port":
            continue
        if want.get("mtu") and (not exists or now.get("mtu") != want["mtu"]):
            mtu.append(["ip", "link", "set", name, "mtu", str(want["mtu"])])
        if not exists or not now.get("up") or (parent and goal[parent]["type"] == "linux_bond" and not (exists and now.get("parent") == parent)):
            up.append(["ip", "link", "set", name, "up"])
        have_addrs = set(a["ip_netmask"] for a in (now or {}).get("addresses", [])) if exists else set()
        for address in want.get("addresses", []):
            if address["ip_netmask"] not in have_addrs:
                addr_add.append(["ip", "addr", "add", address["ip_netmask"], "dev", name])
        have_routes = dict((_route_key(r), r) for r in (now or {}).get("routes", [])) if exists else {}
        readdressed = any(a["ip_netmask"] not in have_addrs for a in want.get("addresses", []))
        for route in want.get("routes", []):
            if _route_key(route) not in have_routes or readdressed:
                route_add.append(_ip_route("replace", route, name))
    # members before their masters for MTU; masters up before members is harmless either way
    mtu.sort(key=lambda argv: 0 if (final.get(argv[3]) or {}).get("parent") else 1)
    return route_del + dev_del + detach + addr_del + masters + create + attach + mtu + up + addr_add + route_add


def _bond_args(options):
    args = []
    for token in (options or "").split():
        if "=" in token:
            key, value = token.split("=", 1)
            args += [key, value]
    return args


def predict(live, goal):
    """The flat live model once ``goal`` is applied (check mode's ``after``)."""
    result = dict((n, copy.deepcopy(d)) for n, d in live.items())
    for name, device in goal.items():
        if device is None:
            result.pop(name, None)
        elif device == "released":
            if name in result:
                result[name].pop("parent", None)
        else:
            merged = dict((k, copy.deepcopy(v)) for k, v in device.items() if k in LIVE_KEYS)
            if name in result and not merged.get("mtu"):
                merged["mtu"] = result[name].get("mtu")
            result[name] = merged
    for name, device in result.items():
        if "members" in device:
            device["members"] = sorted(m for m in device["members"] if m in result and result[m].get("parent") == name)
    for name, device in result.items():
        if device.get("parent") and device["parent"] in result and name not in result[device["parent"]].get("members", []):
            result[device["parent"]].setdefault("members", []).append(name)
            result[device["parent"]]["members"].sort()
    return result


def public(flat, names=None):
    """The nested model of a live flat model (restricted to ``names`` and their members when given)."""
    keep = {}
    for name, device in flat.items():
        clean = dict((k, copy.deepcopy(v)) for k, v in device.items() if k in LIVE_KEYS and v not in (None, [], ""))
        if clean.get("type") == "interface":
            clean.pop("members", None)
        keep[name] = clean
    if names is not None:
        wanted = set(names)
        grow = True
        while grow:
            grow = False
            for name in list(wanted):
                for member in keep.get(name, {}).get("members", []):
                    if member not in wanted:
                        wanted.add(member)
                        grow = True
        keep = dict((n, d) for n, d in keep.items() if n in wanted)
    return model.nest(keep)
