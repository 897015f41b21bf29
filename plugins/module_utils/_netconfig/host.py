# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The I/O of the network_config module: read the host, run the plan, check, roll back, persist."""

from __future__ import annotations

import json
import os
import shlex
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import live, model, persist
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import (  # noqa: F401 (OOOError re-exported)
    CommandError, OOOError, ValidationError)

OVS_TYPES = model.OVS_BRIDGES + ("ovs_bond", "ovs_patch_port")


def persisted_after(current, wanted, state):
    """Pure: the flat model the persistent files hold after ``state`` is applied with ``wanted``."""
    if state == "overridden":
        result = dict(wanted)
    elif state == "deleted":
        names = set(wanted) or set(current)
        todo = list(names)
        while todo:
            for member in current.get(todo.pop(), {}).get("members", []):
                if member not in names:
                    names.add(member)
                    todo.append(member)
        result = dict((n, d) for n, d in current.items() if n not in names)
    else:
        result = dict(current)
        for name, device in wanted.items():
            old = current.get(name)
            if state == "merged" and old and old["type"] == device["type"]:
                merged = dict(old)
                for key, value in device.items():
                    if key in ("addresses", "routes") and old.get(key):
                        known = [json.dumps(v, sort_keys=True) for v in value]
                        merged[key] = [v for v in old[key] if json.dumps(v, sort_keys=True) not in known] + value
                    elif key == "members":
                        merged[key] = sorted(set(old.get(key, [])) | set(value))
                    else:
                        merged[key] = value
                result[name] = merged
            else:
                result[name] = device
    result = dict((n, dict(d)) for n, d in result.items())
    for device in result.values():
        device.pop("parent", None)
    for name, device in result.items():
        device_members = [m for m in device.get("members", []) if m in result]
        if "members" in device:
            device["members"] = sorted(device_members)
        for member in device_members:
            result[member]["parent"] = name
    return result


class NetworkConfig(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.commands = []

    # -------------------------------------------------------------- reading

    def run_cmd(self, argv, check=True):
        rc, out, err = self.module.run_command(argv)
        if check and rc != 0:
            raise CommandError("Failed to run %s: %s" % (shlex.join(argv), (err or out).strip()), cmd=shlex.join(argv), rc=rc,
                               stdout=out, stderr=err)
        return rc, out, err

    def json_of(self, argv):
        _rc, out, _err = self.run_cmd(argv)
        return json.loads(out or "[]")

    def ovs_state(self):
        if not self.module.get_bin_path("ovs-vsctl"):
            return None
        rc, _out, _err = self.run_cmd(["ovs-vsctl", "--timeout=5", "show"], check=False)
        if rc != 0:
            return None
        state = {}
        for table, columns in (("Bridge", "_uuid,name,ports,datapath_type,fail_mode,external_ids"),
                               ("Port", "_uuid,name,interfaces,tag,external_ids"),
                               ("Interface", "_uuid,name,type,options")):
            _rc, out, _err = self.run_cmd(["ovs-vsctl", "--timeout=5", "-f", "json", "-d", "json", "--columns=" + columns,
                                           "list", table])
            state[table] = live.ovs_rows(out)
        return state

    def read_live(self):
        links = self.json_of(["ip", "-j", "-d", "link", "show"])
        addrs = self.json_of(["ip", "-j", "addr", "show"])
        routes = self.json_of(["ip", "-j", "route", "show", "table", "all"]) + \
            self.json_of(["ip", "-j", "-6", "route", "show", "table", "all"])
        ovs = self.ovs_state()
        flat = live.gather(links, addrs, routes, ovs, user_bridge_default=self.p["ovs_datapath_type"] == "netdev")
        return flat, links, ovs is not None

    def persistent_files(self):
        """{relative path: content} of the module's own files under root for the provider."""
        provider = self.p["provider"]
        if provider == "none":
            return {}
        directory = os.path.join(self.p["root"], persist.DIRS[provider])
        files = {}
        if os.path.isdir(directory):
            for entry in sorted(os.listdir(directory)):
                path = os.path.join(directory, entry)
                if not os.path.isfile(path):
                    continue
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
                rel = "%s/%s" % (persist.DIRS[provider], entry)
                if persist.ours(provider, rel, text):
                    files[rel] = text
        return files

    # -------------------------------------------------------------- writing

    def write_files(self, new, old):
        for rel, text in new.items():
            if old.get(rel) == text:
                continue
            path = os.path.join(self.p["root"], rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = path + ".ooo-tmp"
            with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(tmp, 0o600 if self.p["provider"] == "nmkeyfile" else 0o644)
            os.replace(tmp, path)
        for rel in old:
            if rel not in new:
                os.remove(os.path.join(self.p["root"], rel))

    def ping(self, peer, timeout):
        deadline = time.monotonic() + timeout
        while True:
            rc, _out, _err = self.run_cmd(["ping", "-c", "1", "-W", "1", "-n", peer], check=False)
            if rc == 0:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)

    # -------------------------------------------------------------- states

    def wanted(self, mapping=None):
        return model.normalize(self.p["config"] if self.p["config"] is not None else [], mapping)

    def run(self):
        state = self.p["state"]
        if state == "rendered":
            # Offline: names map; a MAC cannot be resolved without the host, so its alias stays.
            offline = dict((k, str(v)) for k, v in self.p["interface_mapping"].items() if not model.MAC_RE.match(str(v)))
            objects = self.wanted(offline or None)
            provider = self.p["provider"] if self.p["provider"] != "none" else "ifupdown"
            files = persist.render(provider, model.flatten(objects))
            return dict(changed=False, before=[], after=objects, commands=[], rendered=files, files_removed=[],
                        interface_mapping=offline)
        if state == "parsed":
            if self.p["provider"] == "none":
                raise ValidationError(["provider: parsed needs the provider whose files to read (ifupdown, ifcfg or nmkeyfile)"])
            files = self.p["running_config"] if self.p["running_config"] is not None else self.persistent_files()
            parsed = model.nest(persist.parse(self.p["provider"], dict((k, str(v)) for k, v in files.items())))
            return dict(changed=False, before=[], after=parsed, parsed=parsed, commands=[], rendered={}, files_removed=[],
                        interface_mapping={})
        current, links, have_ovs = self.read_live()
        if state == "gathered":
            gathered = live.public(current)
            return dict(changed=False, before=gathered, after=gathered, gathered=gathered, commands=[], rendered={},
                        files_removed=[], interface_mapping={})
        virtual = set(n for n, d in current.items() if d["type"] != "interface")
        nics = []
        for link in links:
            if link["ifname"] in live.IGNORED:
                continue
            physical = link.get("link_type") == "ether" and link["ifname"] not in virtual and \
                link.get("linkinfo", {}).get("info_kind") not in ("bridge", "bond", "vlan", "tun", "openvswitch")
            nics.append({"name": link["ifname"], "mac": link.get("address"), "physical": physical,
                         "active": physical and "UP" in link.get("flags", []) and "LOWER_UP" in link.get("flags", [])})
        mapping = model.nic_mapping(nics, self.p["interface_mapping"])
        objects = self.wanted(mapping)
        wanted = model.flatten(objects)
        made_here = set(d["name"] for d in wanted.values() if d["type"] != "interface")
        problems = model.check_nics(objects, mapping, set(current) | made_here)
        if not have_ovs and any(d["type"] in OVS_TYPES or d.get("parent") in wanted and wanted[d["parent"]]["type"] in OVS_TYPES
                                for d in wanted.values()) and state != "deleted":
            problems.append("the config has Open vSwitch objects but Open vSwitch is not running here (ovs-vsctl show failed); "
                            "start ovsdb-server and ovs-vswitchd first")
        if problems:
            raise ValidationError(problems)
        old_files = self.persistent_files()
        provider = self.p["provider"]
        persisted = persist.parse(provider, old_files) if provider != "none" else {}
        goal = live.target(current, wanted, state, persisted)
        try:
            argvs = live.plan(current, goal, self.p["ovs_datapath_type"])
        except ValueError as exc:
            raise ValidationError([str(exc)])
        predicted = live.predict(current, goal)
        new_files = persist.render(provider, persisted_after(persisted, wanted, state)) if provider != "none" else {}
        written = dict((k, v) for k, v in new_files.items() if old_files.get(k) != v)
        removed = sorted(k for k in old_files if k not in new_files)
        scope = sorted(set(goal) | set(wanted))
        before = live.public(current, [n for n in scope if n in current])
        result = dict(before=before, commands=[shlex.join(a) for a in argvs], rendered=written, files_removed=removed,
                      interface_mapping=dict((k, v) for k, v in mapping.items() if k != v))
        changed = bool(argvs or written or removed)
        if self.module._diff:
            result["diff"] = [dict(before_header="network config", after_header="network config",
                                   before=_yaml(before), after=_yaml(live.public(predicted, [n for n in scope if n in predicted]))),
                              dict(before_header="persistent files", after_header="persistent files",
                                   before=_files_text(old_files), after=_files_text(new_files))]
        if self.module.check_mode or not changed:
            result.update(changed=changed, after=live.public(predicted, [n for n in scope if n in predicted]))
            return result
        ran = []
        failure = None
        for argv in argvs:
            rc, out, err = self.run_cmd(argv, check=False)
            ran.append(shlex.join(argv))
            if rc != 0:
                failure = "command %r failed (rc %d): %s" % (shlex.join(argv), rc, (err or out).strip())
                break
        connectivity = {}
        if failure is None:
            peers = self.p["connectivity_check"]
            if peers is None:
                peers = sorted(set(r["next_hop"] for d in wanted.values() for r in d.get("routes", [])
                                   if r.get("default") and r.get("next_hop"))) if state != "deleted" else []
            for peer in peers:
                connectivity[peer] = self.ping(peer, self.p["connectivity_timeout"])
            unreachable = [p for p, ok in connectivity.items() if not ok]
            if unreachable:
                failure = "connectivity check failed: %s did not answer a ping within %ss" % (
                    ", ".join(unreachable), self.p["connectivity_timeout"])
        if failure is not None:
            details = dict(commands=ran, connectivity=connectivity, before=before)
            if not self.p["rollback"]:
                raise OOOError("Failed to apply network config: %s (no rollback: rollback=false)" % failure, **details)
            rolled, rb_failure = self.roll_back(current, scope)
            details["rollback_commands"] = rolled
            state_text = "rolled back to the previous configuration" if rb_failure is None else \
                "ROLLBACK INCOMPLETE: %s" % rb_failure
            raise OOOError("Failed to apply network config: %s; %s (persistent files untouched)" % (failure, state_text),
                           **details)
        self.write_files(new_files, old_files)
        after_flat, _links, _ovs = self.read_live()
        result.update(changed=True, commands=ran, connectivity=connectivity,
                      after=live.public(after_flat, [n for n in scope if n in after_flat]))
        return result

    def roll_back(self, snapshot, scope):
        now, _links, _ovs = self.read_live()
        goal = {}
        for name in scope:
            if name in snapshot:
                goal[name] = dict((k, v) for k, v in snapshot[name].items() if k in live.LIVE_KEYS)
            elif name in now:
                goal[name] = None
        for name, device in list(goal.items()):
            for member in (device or {}).get("members", []):
                if member not in goal and member in snapshot:
                    goal[member] = dict((k, v) for k, v in snapshot[member].items() if k in live.LIVE_KEYS)
        ran = []
        failure = None
        try:
            argvs = live.plan(now, goal, self.p["ovs_datapath_type"])
        except ValueError as exc:
            return ran, str(exc)
        for argv in argvs:
            rc, out, err = self.run_cmd(argv, check=False)
            ran.append(shlex.join(argv))
            if rc != 0 and failure is None:
                failure = "%r failed: %s" % (shlex.join(argv), (err or out).strip())
        return ran, failure


def _yaml(objects):
    return json.dumps(objects, indent=2, sort_keys=True) + "\n"


def _files_text(files):
    return "".join("### %s\n%s\n" % (k, files[k]) for k in sorted(files))
