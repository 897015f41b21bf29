# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: one canonical paunch definition as the Docker Engine API's create request (POST /containers/create).

podman takes the definition as `podman run` flags (startup.run_argv); the Docker engine takes a JSON body. Both are
built from the same canonical definition and carry the same labels, so the hash, the plan and the labels are
runtime-independent; only this translation differs. What `docker run` does on the client side is done here too: env
files are read into the environment (the engine does not read them), sizes become bytes, durations nanoseconds.
"""

from __future__ import annotations

import re
import shlex

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import is_secret_key

_SIZE_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]+)?)\s*([bkmgt]?)b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_DURATION_RE = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ns|us|ms|s|m|h)")
_NS = {"ns": 1, "us": 1000, "ms": 10 ** 6, "s": 10 ** 9, "m": 60 * 10 ** 9, "h": 3600 * 10 ** 9}


def size_bytes(value):
    """512m -> 536870912; an integer is bytes already; -1 (unlimited swap) stays -1."""
    if isinstance(value, int):
        return value
    match = _SIZE_RE.match(str(value))
    if not match:
        if str(value).strip() == "-1":
            return -1
        raise ValueError("%r is not a size such as 512m or 1g" % value)
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def duration_ns(value):
    """30 or '30' (seconds), '30s', '1m30s', '500ms' -> nanoseconds, as the engine wants them."""
    if isinstance(value, (int, float)):
        return int(value * 10 ** 9)
    text = str(value).strip()
    if re.match(r"^[0-9]+(\.[0-9]+)?$", text):
        return int(float(text) * 10 ** 9)
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError("%r is not a duration such as 30, 30s, 1m30s or 500ms" % value)
    return sum(int(float(n) * _NS[u]) for n, u in parts)


def read_env_file(text):
    """KEY=VALUE lines as docker's --env-file reads them: '#' comments and blank lines skipped, no quote removal; a bare
    KEY (no '=') is dropped here (docker would copy it from the client's environment, which a module has no reason to
    forward)."""
    out = {}
    for line in text.splitlines():
        line = line.lstrip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _sep, value = line.partition("=")
        out[key.rstrip()] = value
    return out


def _ulimit(text):
    name, _sep, values = str(text).partition("=")
    soft, _sep, hard = values.partition(":")
    return {"Name": name, "Soft": int(soft), "Hard": int(hard or soft)}


def _restart(text):
    name, _sep, count = text.partition(":")
    return {"Name": name, "MaximumRetryCount": int(count or 0)}


def _healthcheck(hc, check_interval=None):
    test = hc["test"]
    out = {"Test": ["CMD-SHELL", test] if isinstance(test, str) else ["CMD"] + [str(t) for t in test]}
    interval = hc.get("interval", check_interval)
    for key, field, value in (("interval", "Interval", interval), ("timeout", "Timeout", hc.get("timeout")),
                              ("start_period", "StartPeriod", hc.get("start_period"))):
        if value is not None:
            out[field] = duration_ns(value)
    if "retries" in hc:
        out["Retries"] = int(hc["retries"])
    return out


def create_body(canon, labels, env_files=None):
    """The create request's body for one canonical definition. labels: every label the container carries (the
    module's and the definition's). env_files: {path: text} of its env files, read on the managed host."""
    env = {}
    for path in canon.get("env_file") or []:
        env.update(read_env_file((env_files or {}).get(path, "")))
    env.update(canon.get("environment") or {})
    body = {"Image": canon["image"], "Labels": dict(labels)}
    if env:
        body["Env"] = ["%s=%s" % (k, v) for k, v in sorted(env.items())]
    if canon.get("command"):
        body["Cmd"] = [str(c) for c in canon["command"]]
    if canon.get("entrypoint"):
        body["Entrypoint"] = shlex.split(canon["entrypoint"])
    for key, field in (("user", "User"), ("hostname", "Hostname"), ("workdir", "WorkingDir"), ("stop_signal", "StopSignal")):
        if canon.get(key):
            body[field] = str(canon[key])
    if "stop_grace_period" in canon:
        body["StopTimeout"] = int(canon["stop_grace_period"])
    if canon.get("tty"):
        body["Tty"] = True
    if canon.get("interactive"):
        body["OpenStdin"] = True
    if canon.get("healthcheck"):
        body["Healthcheck"] = _healthcheck(canon["healthcheck"], canon.get("check_interval"))
    host = {}
    if canon.get("volumes"):
        host["Binds"] = list(canon["volumes"])
    for key, field in (("net", "NetworkMode"), ("pid", "PidMode"), ("ipc", "IpcMode"), ("uts", "UTSMode"),
                       ("cpuset_cpus", "CpusetCpus")):
        if canon.get(key):
            host[field] = str(canon[key])
    if canon.get("privileged"):
        host["Privileged"] = True
    for key, field in (("cap_add", "CapAdd"), ("cap_drop", "CapDrop"), ("security_opt", "SecurityOpt"),
                       ("volumes_from", "VolumesFrom"), ("extra_hosts", "ExtraHosts"), ("group_add", "GroupAdd")):
        if canon.get(key):
            host[field] = [str(v) for v in canon[key]]
    if canon.get("ulimit"):
        host["Ulimits"] = [_ulimit(u) for u in canon["ulimit"]]
    if canon.get("restart"):
        host["RestartPolicy"] = _restart(canon["restart"])
    if "mem_limit" in canon:
        host["Memory"] = size_bytes(canon["mem_limit"])
    if "memswap_limit" in canon:
        host["MemorySwap"] = size_bytes(canon["memswap_limit"])
    for key, field in (("cpu_shares", "CpuShares"), ("mem_swappiness", "MemorySwappiness"), ("pids_limit", "PidsLimit")):
        if key in canon:
            host[field] = int(canon[key])
    if canon.get("log_tag"):
        host["LogConfig"] = {"Type": "json-file", "Config": {"tag": str(canon["log_tag"])}}
    if host:
        body["HostConfig"] = host
    return body


def shown_body(body):
    """The body as the module reports it: secret environment values as '***' (the engine gets the real ones)."""
    if not body.get("Env"):
        return body
    env = []
    for item in body["Env"]:
        key, _sep, _value = item.partition("=")
        env.append("%s=***" % key if is_secret_key(key) else item)
    return dict(body, Env=env)


def problems(canon):
    """What the engine would refuse in a definition that podman takes, named by key (sizes, durations, ulimits)."""
    out = []
    for key in ("mem_limit", "memswap_limit"):
        if key in canon:
            try:
                size_bytes(canon[key])
            except ValueError as exc:
                out.append("%s: %s" % (key, exc))
    hc = canon.get("healthcheck") or {}
    for key in ("interval", "timeout", "start_period"):
        if key in hc:
            try:
                duration_ns(hc[key])
            except ValueError as exc:
                out.append("healthcheck.%s: %s" % (key, exc))
    if "check_interval" in canon:
        try:
            duration_ns(canon["check_interval"])
        except ValueError as exc:
            out.append("check_interval: %s" % exc)
    for limit in canon.get("ulimit") or []:
        try:
            _ulimit(limit)
        except ValueError:
            out.append("ulimit: %r must be NAME=SOFT[:HARD] with integer limits" % limit)
    return out
