# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""paunch semantics, pure: validate a startup config, hash each definition, build podman argv, plan the actions.

A startup config maps container names to definitions in the paunch/TripleO format. Every container
this collection creates carries the labels config_id, managed_by, container_name, config_data (the
canonical definition, for diffs) and ooo.config_hash (the hash of the definition and of the content of
the configuration it bind-mounts). A container is recreated only when that hash changes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import is_secret_key

HASH_LABEL = "ooo.config_hash"
FILES_LABEL = "ooo.files_hash"
DATA_LABEL = "config_data"

# key: (accepted python types, human type name)
KEYS = {
    "image": ((str,), "string"),
    "command": ((str, list), "string or list"),
    "entrypoint": ((str,), "string"),
    "environment": ((list, dict), "list of KEY=VALUE or mapping"),
    "env_file": ((str, list), "path or list of paths"),
    "volumes": ((list,), "list of SRC:DEST[:OPTIONS]"),
    "net": ((str,), "string (host, none, or a network)"),
    "pid": ((str,), "string"),
    "ipc": ((str,), "string"),
    "uts": ((str,), "string"),
    "privileged": ((bool,), "boolean"),
    "user": ((str,), "string"),
    "cap_add": ((list,), "list"),
    "cap_drop": ((list,), "list"),
    "security_opt": ((list,), "list"),
    "ulimit": ((list,), "list of NAME=SOFT[:HARD]"),
    "healthcheck": ((dict,), "mapping with test, interval, timeout, retries, start_period"),
    "restart": ((str,), "no, always, unless-stopped or on-failure[:N]"),
    "start_order": ((int,), "integer"),
    "detach": ((bool,), "boolean"),
    "remove": ((bool,), "boolean"),
    "depends_on": ((list,), "list of container names"),
    "labels": ((dict,), "mapping"),
    "hostname": ((str,), "string"),
    "workdir": ((str,), "string"),
    "tty": ((bool,), "boolean"),
    "stop_signal": ((str,), "string"),
    "stop_grace_period": ((int,), "integer (seconds)"),
    "mem_limit": ((str, int), "size such as 512m"),
    "cpu_shares": ((int,), "integer"),
    "cpuset_cpus": ((str,), "string such as 0-1"),
    "log_tag": ((str,), "string"),
    "exit_codes": ((list,), "list of integers"),
    "interactive": ((bool,), "boolean"),
    "volumes_from": ((list,), "list of container names"),
    "extra_hosts": ((list,), "list of HOST:IP"),
    "group_add": ((list,), "list of groups"),
    "check_interval": ((int, str), "seconds (paunch's healthcheck timer interval)"),
    "mem_swappiness": ((int,), "integer"),
    "memswap_limit": ((str, int), "size such as 1g"),
    "pids_limit": ((int,), "integer"),
    "cgroups": ((str,), "enabled, disabled, no-conmon or split (podman's --cgroups)"),
}
CGROUPS_MODES = ("enabled", "disabled", "no-conmon", "split")
HEALTHCHECK_KEYS = ("test", "interval", "timeout", "retries", "start_period")
RESTART_RE = re.compile(r"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$")
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
RESERVED_LABELS = ("config_id", "managed_by", "container_name", DATA_LABEL, HASH_LABEL, FILES_LABEL)


def _parse(path):
    with open(path) as handle:
        text = handle.read()
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        import yaml  # PyYAML comes with ansible-core
    except ImportError:
        raise ValueError("%s: not JSON, and PyYAML is not available to read YAML" % path)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError("%s: neither JSON nor YAML (%s)" % (path, str(exc).splitlines()[0]))


def load_config_path(path):
    """A startup config from a file (the whole mapping) or a directory (one file per container, named after it)."""
    if os.path.isdir(path):
        config = {}
        files = sorted(os.listdir(path))
        # TripleO writes NAME.json and hashed-NAME.json (with the config hash in its environment) side by side;
        # like paunch, the hashed files win when there are any.
        hashed = [f for f in files if f.startswith("hashed-")]
        for fname in hashed or files:
            stem, ext = os.path.splitext(fname[len("hashed-"):] if hashed else fname)
            if ext not in (".json", ".yaml", ".yml"):
                continue
            if stem in config:
                raise ValueError("%s: container %s is defined twice (%s)" % (path, stem, fname))
            config[stem] = _parse(os.path.join(path, fname))
        return config
    if not os.path.exists(path):
        raise ValueError("%s does not exist" % path)
    data = _parse(path)
    if not isinstance(data, dict):
        raise ValueError("%s: expected a mapping of container name to definition" % path)
    return data


def validate(config):
    """All problems of a startup config at once, each naming the container and the key."""
    problems = []
    if not isinstance(config, dict):
        return ["config: expected a mapping of container name to definition, got %s" % type(config).__name__]
    names = set(config)
    for name in sorted(config):
        spec = config[name]
        where = "container %s" % name
        if not NAME_RE.match(str(name)):
            problems.append("%s: invalid name; use letters, digits, '_', '.', '-'" % where)
        if not isinstance(spec, dict):
            problems.append("%s: expected a mapping, got %s" % (where, type(spec).__name__))
            continue
        for key in sorted(set(spec) - set(KEYS)):
            problems.append("%s: unknown key %r; supported keys: %s" % (where, key, ", ".join(sorted(KEYS))))
        if not spec.get("image"):
            problems.append("%s: image is required" % where)
        for key, value in sorted(spec.items()):
            if key not in KEYS or value is None:
                continue
            types, label = KEYS[key]
            if isinstance(value, bool) and bool not in types:
                problems.append("%s: %s must be a %s, got a boolean" % (where, key, label))
            elif not isinstance(value, types):
                problems.append("%s: %s must be a %s, got %s" % (where, key, label, type(value).__name__))
        if isinstance(spec.get("volumes"), list):
            for vol in spec["volumes"]:
                if not isinstance(vol, str) or ":" not in vol or not vol.split(":")[0] or not vol.split(":")[1].startswith("/"):
                    problems.append("%s: volumes entry %r must be SRC:DEST[:OPTIONS] with an absolute DEST" % (where, vol))
        if isinstance(spec.get("environment"), list):
            for item in spec["environment"]:
                if not isinstance(item, str) or "=" not in item:
                    problems.append("%s: environment entry %r must be KEY=VALUE" % (where, item))
        if isinstance(spec.get("restart"), str) and not RESTART_RE.match(spec["restart"]):
            problems.append("%s: restart %r must be no, always, unless-stopped or on-failure[:N]" % (where, spec["restart"]))
        if isinstance(spec.get("cgroups"), str) and spec["cgroups"] not in CGROUPS_MODES:
            problems.append("%s: cgroups %r must be one of %s" % (where, spec["cgroups"], ", ".join(CGROUPS_MODES)))
        if isinstance(spec.get("healthcheck"), dict):
            hc = spec["healthcheck"]
            for key in sorted(set(hc) - set(HEALTHCHECK_KEYS)):
                problems.append("%s: healthcheck has unknown key %r; supported: %s" % (where, key, ", ".join(HEALTHCHECK_KEYS)))
            if not hc.get("test"):
                problems.append("%s: healthcheck.test is required (a command string or list)" % where)
        if isinstance(spec.get("exit_codes"), list) and not all(isinstance(c, int) and not isinstance(c, bool) for c in spec["exit_codes"]):
            problems.append("%s: exit_codes must be a list of integers" % where)
        if isinstance(spec.get("depends_on"), list):
            for dep in spec["depends_on"]:
                if dep not in names:
                    problems.append("%s: depends_on %r is not a container of this config" % (where, dep))
                elif isinstance(config.get(dep), dict) and _order(config[dep]) >= _order(spec) and dep != name:
                    problems.append("%s: depends_on %r, which starts at order %d, not before this container's %d; "
                                    "give it a lower start_order" % (where, dep, _order(config[dep]), _order(spec)))
        if isinstance(spec.get("labels"), dict):
            for key in spec["labels"]:
                if key in RESERVED_LABELS:
                    problems.append("%s: label %r is set by the module; remove it from labels" % (where, key))
    return problems


def _order(spec):
    value = spec.get("start_order", 0)
    return value if isinstance(value, int) else 0


def environment_dict(value):
    if isinstance(value, dict):
        return dict((str(k), "" if v is None else (str(v).lower() if isinstance(v, bool) else str(v))) for k, v in value.items())
    out = {}
    for item in value or []:
        key, _sep, val = str(item).partition("=")
        out[key] = val
    return out


def canonical(spec):
    """The definition with defaults applied and equivalent spellings made equal (dict environment, list command)."""
    out = {}
    for key, value in spec.items():
        if value is None or value == [] or value == {}:
            continue
        out[key] = value
    if "environment" in out:
        out["environment"] = environment_dict(out["environment"])
    if isinstance(out.get("env_file"), str):
        out["env_file"] = [out["env_file"]]
    if isinstance(out.get("command"), str):
        out["command"] = out["command"].split()
    for key in ("cap_add", "cap_drop"):
        if key in out:
            out[key] = sorted(str(c).upper() for c in out[key])
    if isinstance(out.get("healthcheck"), dict) and isinstance(out["healthcheck"].get("test"), list):
        test = out["healthcheck"]["test"]
        if test and test[0] in ("CMD", "CMD-SHELL"):
            out["healthcheck"] = dict(out["healthcheck"], test=" ".join(test[1:]) if test[0] == "CMD-SHELL" else test[1:])
    out.setdefault("detach", True)
    out.setdefault("start_order", 0)
    if out.get("restart") == "no":
        del out["restart"]
    return out


def host_paths(spec, prefixes):
    """Bind-mount sources (and env files) whose content belongs in the hash: those under one of prefixes."""
    paths = []
    for vol in spec.get("volumes") or []:
        src = vol.split(":")[0]
        if src.startswith("/") and any(src == p or src.startswith(p.rstrip("/") + "/") for p in prefixes):
            paths.append(src)
    env_files = spec.get("env_file") or []
    paths += [env_files] if isinstance(env_files, str) else list(env_files)
    return sorted(set(paths))


def content_digest(paths):
    """sha256 over the names and bytes of the given files and directories (recursively); missing paths count as such."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(("\0path:%s\0" % path).encode())
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs.sort()
                for fname in sorted(files):
                    full = os.path.join(root, fname)
                    digest.update(("\0file:%s\0" % os.path.relpath(full, path)).encode())
                    _feed(digest, full)
        elif os.path.exists(path):
            _feed(digest, path)
        else:
            digest.update(b"\0missing\0")
    return digest.hexdigest()


def _feed(digest, path):
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        digest.update(("\0unreadable:%s\0" % exc.strerror).encode())


def config_hash(canon, files_digest):
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256((text + "\0" + (files_digest or "")).encode()).hexdigest()


def label_data(canon):
    """The definition as the config_data label shows it: secret environment values (DB_PASSWORD...) as '***'. The
    hash label still covers them, so a changed secret still recreates the container."""
    env = canon.get("environment")
    if not env:
        return canon
    return dict(canon, environment=dict((k, "***" if is_secret_key(k) else v) for k, v in env.items()))


def changed_keys(old, new):
    """Keys whose values differ between two canonical definitions."""
    keys = set(old or {}) | set(new or {})
    return sorted(k for k in keys if (old or {}).get(k) != (new or {}).get(k))


def _duration(value):
    return "%ss" % value if isinstance(value, (int, float)) else str(value)


def container_labels(name, canon, config_id, managed_by, digest_hash, files_hash=""):
    """Every label a container carries, on either runtime: the definition's own and the module's."""
    labels = dict(canon.get("labels") or {})
    labels.update({"config_id": config_id, "managed_by": managed_by, "container_name": name, HASH_LABEL: digest_hash,
                   FILES_LABEL: files_hash, DATA_LABEL: json.dumps(label_data(canon), sort_keys=True, separators=(",", ":"))})
    return labels


def run_argv(name, canon, config_id, managed_by, digest_hash, files_hash="", podman="podman"):
    """`podman run` argv for one container (detached unless detach is false)."""
    argv = [podman, "run", "--name", name]
    if canon.get("detach", True):
        argv.append("--detach")
    labels = container_labels(name, canon, config_id, managed_by, digest_hash, files_hash)
    for key in sorted(labels):
        argv += ["--label", "%s=%s" % (key, labels[key])]
    simple = (("net", "--network"), ("pid", "--pid"), ("ipc", "--ipc"), ("uts", "--uts"), ("user", "--user"),
              ("hostname", "--hostname"), ("workdir", "--workdir"), ("stop_signal", "--stop-signal"),
              ("stop_grace_period", "--stop-timeout"), ("mem_limit", "--memory"), ("cpu_shares", "--cpu-shares"),
              ("cpuset_cpus", "--cpuset-cpus"), ("restart", "--restart"), ("mem_swappiness", "--memory-swappiness"),
              ("memswap_limit", "--memory-swap"), ("pids_limit", "--pids-limit"), ("cgroups", "--cgroups"))
    for key, flag in simple:
        if key in canon:
            argv += [flag, str(canon[key])]
    if canon.get("privileged"):
        argv.append("--privileged")
    if canon.get("tty"):
        argv.append("--tty")
    if canon.get("interactive"):
        argv.append("--interactive")
    for other in canon.get("volumes_from") or []:
        argv += ["--volumes-from", str(other)]
    for host in canon.get("extra_hosts") or []:
        argv += ["--add-host", str(host)]
    for group in canon.get("group_add") or []:
        argv += ["--group-add", str(group)]
    if canon.get("log_tag"):
        argv += ["--log-opt", "tag=%s" % canon["log_tag"]]
    for cap in canon.get("cap_add") or []:
        argv += ["--cap-add", cap]
    for cap in canon.get("cap_drop") or []:
        argv += ["--cap-drop", cap]
    for opt in canon.get("security_opt") or []:
        argv += ["--security-opt", str(opt)]
    for limit in canon.get("ulimit") or []:
        argv += ["--ulimit", str(limit)]
    for env_file in canon.get("env_file") or []:
        argv += ["--env-file", env_file]
    for key, value in sorted((canon.get("environment") or {}).items()):
        argv += ["--env", "%s=%s" % (key, value)]
    for vol in canon.get("volumes") or []:
        argv += ["--volume", vol]
    hc = canon.get("healthcheck")
    if hc:
        test = hc["test"]
        argv += ["--health-cmd", test if isinstance(test, str) else json.dumps(test)]
        for key, flag in (("interval", "--health-interval"), ("timeout", "--health-timeout"),
                          ("start_period", "--health-start-period")):
            if key in hc:
                argv += [flag, _duration(hc[key])]
        if "interval" not in hc and canon.get("check_interval"):
            argv += ["--health-interval", _duration(canon["check_interval"])]
        if "retries" in hc:
            argv += ["--health-retries", str(hc["retries"])]
    if canon.get("entrypoint"):
        argv += ["--entrypoint", canon["entrypoint"]]
    argv.append(canon["image"])
    argv += [str(c) for c in canon.get("command") or []]
    return argv


def plan(config, existing, config_id, managed_by, prefixes, digest=content_digest, cleanup=True, oneshot_done=None):
    """Decide, per container, what to do.

    existing: {name: {"labels": {...}, "running": bool, "state": str, "exit_code": int|None}} for every container of the
    host whose name is in the config or whose config_id label is ours (read in one podman call).
    oneshot_done: {name: hash} of one-shot containers that completed and were removed (remove: true).
    Returns (actions, problems): actions is a list of dicts with name, action (create, recreate, start,
    run, none, remove), order, hash, changed_keys.
    """
    oneshot_done = oneshot_done or {}
    actions, problems = [], []
    for name in sorted(config, key=lambda n: (_order(config[n]), n)):
        canon = canonical(config[name])
        files = host_paths(canon, prefixes)
        files_hash = digest(files) if files else ""
        wanted = config_hash(canon, files_hash)
        current = existing.get(name)
        entry = {"name": name, "order": canon["start_order"], "hash": wanted, "files_hash": files_hash, "detach": canon["detach"],
                 "canonical": canon, "hashed_paths": files}
        if current is not None:
            labels = current.get("labels") or {}
            if labels.get("managed_by") != managed_by or labels.get("config_id") != config_id:
                problems.append("container %s: a container of that name exists, managed by %s with config_id %s; "
                                "this module only touches containers with managed_by=%s and config_id=%s - rename it or remove "
                                "that container" % (name, labels.get("managed_by") or "nobody", labels.get("config_id") or "none",
                                                    managed_by, config_id))
                continue
            try:
                old = json.loads(labels.get(DATA_LABEL) or "{}")
            except ValueError:
                old = {}
            if labels.get(HASH_LABEL) != wanted:
                keys = changed_keys(old, label_data(canon))
                if labels.get(FILES_LABEL, "") != files_hash:
                    keys.append("(content of %s)" % ", ".join(files) if files else "(bind-mounted content)")
                elif not keys and label_data(canon) != canon:
                    keys = ["environment (a secret value)"]
                entry.update(action="recreate", changed_keys=keys or ["(hash label)"])
            elif canon["detach"] and not current.get("running") and (
                    canon.get("healthcheck") or not (current.get("state") in ("exited", "stopped") and current.get("exit_code") == 0)):
                # Crashed, never started, or a service (it has a healthcheck) that was stopped, exit 0 included: start
                # it, as TripleO's container_manage does. One without a healthcheck that finished cleanly (exit 0) did
                # its job and is left alone, as paunch did.
                entry.update(action="start", changed_keys=[])
            elif not canon["detach"] and current.get("exit_code") not in (canon.get("exit_codes") or [0]):
                entry.update(action="recreate", changed_keys=["(failed before, exit code %s)" % current.get("exit_code")])
            else:
                entry.update(action="none", changed_keys=[])
        elif not canon["detach"] and canon.get("remove") and oneshot_done.get(name) == wanted:
            entry.update(action="none", changed_keys=[])
        else:
            entry.update(action="create" if canon["detach"] else "run", changed_keys=sorted(canon))
        actions.append(entry)
    if cleanup:
        for name in sorted(existing):
            labels = existing[name].get("labels") or {}
            if name not in config and labels.get("config_id") == config_id and labels.get("managed_by") == managed_by:
                actions.append({"name": name, "order": None, "action": "remove", "changed_keys": [], "hash": labels.get(HASH_LABEL)})
    return actions, problems


def sequence(actions):
    """The planned entries in the order apply takes them: removals first (a renamed service frees its ports), then
    each start order in turn, by name within an order. Check mode reports its commands in this same order."""
    todo = [a for a in actions if a["action"] != "none"]
    return [a for a in todo if a["action"] == "remove"] + [a for a in todo if a["action"] != "remove"]


def images_to_pull(actions, pull, present):
    """`pull` argv for each image a create/recreate/run needs, by the pull policy: always, never, or missing (present
    is {image: bool}, read with `podman image exists`)."""
    images = sorted(set(a["canonical"]["image"] for a in actions if a["action"] in ("create", "recreate", "run")))
    if pull == "never":
        return []
    return [image for image in images if pull == "always" or not present.get(image)]


def entry_commands(entry, config_id, managed_by, podman="podman"):
    """The writes apply makes for one planned entry, in order, as (kind, argv) pairs.

    kind is "rm" (the old container, or an orphan), "run", "start", or "rm-after": a one-shot with remove, removed once
    it exited with an allowed code. Check mode reports exactly these argv; apply runs exactly these (it stops at the
    first that fails)."""
    name, action = entry["name"], entry["action"]
    rm = [podman, "rm", "--force", name]
    if action == "remove":
        return [("rm", rm)]
    if action == "start":
        return [("start", [podman, "start", name])]
    if action not in ("create", "recreate", "run"):
        return []
    canon = entry["canonical"]
    steps = [("rm", rm)] if action == "recreate" else []
    steps.append(("run", run_argv(name, canon, config_id, managed_by, entry["hash"], entry.get("files_hash", ""), podman=podman)))
    if not canon["detach"] and canon.get("remove"):
        steps.append(("rm-after", rm))
    return steps
