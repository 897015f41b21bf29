# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Supervised background processes without systemd: pid files, logs, readiness.

Pure decisions (``fingerprint``, ``decide``) are separate from the I/O in
``ProcessService`` so they are unit-tested directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import socket
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import CommandError, OOOError, failed


def fingerprint(argv, environment, config_hash):
    """Pure: a stable hash of everything that requires a restart when it changes."""
    data = json.dumps({"argv": list(argv), "env": dict(sorted((environment or {}).items())), "config": config_hash or ""},
                      sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def input_problems(params, which, user_exists, isdir):
    """Pure (the host is asked through the three functions given): every problem of the options, each naming the
    option and the fix, found before anything is started or stopped."""
    problems = []
    starting = params.get("state", "started") in ("started", "restarted")
    argv = params.get("argv")
    if starting and argv is not None and not argv:
        problems.append("argv: empty; give the program to run and its arguments, e.g. [/usr/sbin/mydaemon, --foreground]")
    elif starting and argv and not which(argv[0]):
        problems.append("argv: %s is not an executable file, nor a program on PATH; install it or give its full path" % argv[0])
    url = params.get("ready_url")
    if url is not None and not re.match(r"^https?://[^/\s]+", url):
        problems.append("ready_url: %r is not an http:// or https:// URL" % url)
    port = params.get("ready_port")
    if port is not None and not 0 < port < 65536:
        problems.append("ready_port: %s is not a TCP port (1 to 65535)" % port)
    if params.get("ready_timeout") is not None and params["ready_timeout"] < 1:
        problems.append("ready_timeout: %s; give the seconds to wait for readiness, 1 or more" % params["ready_timeout"])
    if params.get("stop_timeout") is not None and params["stop_timeout"] < 0:
        problems.append("stop_timeout: %s; give the seconds to wait before SIGKILL, 0 or more" % params["stop_timeout"])
    user = params.get("user")
    if starting and user and not user_exists(user):
        problems.append("user: %s is not a user of this host; create it first or fix the name" % user)
    chdir = params.get("chdir")
    if starting and chdir and not isdir(chdir):
        problems.append("chdir: %s is not a directory" % chdir)
    return problems


def decide(state, running, stored, wanted):
    """Pure: the actions ('stop', 'start') that bring the service to ``state``."""
    if state == "stopped":
        return ["stop"] if running else []
    if state == "restarted":
        return ["stop", "start"] if running else ["start"]
    if not running:
        return ["start"]
    if stored != wanted:
        return ["stop", "start"]
    return []


def _stat_fields(pid):
    """The fields of /proc/PID/stat after the command name (field 3 onwards), or None."""
    try:
        with open("/proc/%d/stat" % pid) as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except (IOError, OSError, IndexError):
        return None


def pid_alive(pid):
    """True when ``pid`` is a live process (not a zombie)."""
    fields = _stat_fields(pid)
    return fields is not None and fields[0] not in ("Z", "X")


def start_time(pid):
    """The start time of ``pid`` in clock ticks since boot (None when gone): with the pid, it names one process."""
    fields = _stat_fields(pid)
    return fields[19] if fields is not None and len(fields) > 19 else None


def read_pid(pidfile):
    try:
        with open(pidfile) as handle:
            return int(handle.read().strip() or 0) or None
    except (IOError, OSError, ValueError):
        return None


class ProcessService(object):
    """One service: start with start-stop-daemon, stop by process group."""

    def __init__(self, module, params):
        self.module = module
        self.p = params
        self.name = params["name"]
        self.pidfile = params["pidfile"] or "/run/ooo-undercloud/%s.pid" % self.name
        self.logfile = params["logfile"] or "/var/log/ooo-undercloud/%s.log" % self.name
        self.hashfile = self.pidfile + ".fingerprint"
        self.startfile = self.pidfile + ".started"

    def running_pid(self):
        """The pid of our process, or None: a stale pid file whose pid was reused by another process does not count."""
        pid = read_pid(self.pidfile)
        if not pid or not pid_alive(pid):
            return None
        try:
            with open(self.startfile) as handle:
                recorded = handle.read().strip()
        except (IOError, OSError):
            recorded = None
        if recorded and recorded != start_time(pid):
            return None
        return pid

    def stored_fingerprint(self):
        try:
            with open(self.hashfile) as handle:
                return handle.read().strip()
        except (IOError, OSError):
            return None

    def start_command(self):
        argv = list(self.p["argv"])
        if not os.path.isabs(argv[0]):
            # start-stop-daemon wants a path; look the command up like a shell would.
            argv[0] = self.module.get_bin_path(argv[0], required=False) or argv[0]
        cmd = ["start-stop-daemon", "--start", "--background", "--make-pidfile", "--pidfile", self.pidfile,
               "--output", self.logfile, "--startas", argv[0]]
        if self.p["chdir"]:
            cmd += ["--chdir", self.p["chdir"]]
        if self.p["user"]:
            cmd += ["--chuid", self.p["user"]]
        return cmd + ["--"] + list(argv[1:])

    def start(self, wanted):
        # A stale pid file would make start-stop-daemon see "already running" in whatever process reused the pid.
        self._forget()
        for path in (self.pidfile, self.logfile):
            directory = os.path.dirname(path)
            if not os.path.isdir(directory):
                os.makedirs(directory, 0o755)
        cmd = self.start_command()
        env = dict(self.p["environment"] or {})
        rc, out, err = self.module.run_command(cmd, environ_update=env)
        if rc != 0:
            raise CommandError(failed("start", "service", self.name, err.strip() or out.strip()), cmd, rc, out, err)
        pid = read_pid(self.pidfile)
        if pid:
            with open(self.startfile, "w") as handle:
                handle.write("%s\n" % start_time(pid))
        self.wait_ready()
        # Recorded only once the service is ready: a start that never became ready is started again by the next run,
        # not reported unchanged because its fingerprint matches.
        with open(self.hashfile, "w") as handle:
            handle.write(wanted + "\n")

    def stop(self):
        pid = self.running_pid()
        if pid is None:
            self._forget()
            return
        try:
            # start-stop-daemon made a new session for the daemon: its process group holds the whole service.
            group = os.getpgid(pid)
        except OSError:
            group = None
        for sig, grace in ((signal.SIGTERM, self.p["stop_timeout"]), (signal.SIGKILL, 10)):
            try:
                if group is None or group <= 1 or group == os.getpgrp():
                    raise OSError("no process group")
                os.killpg(group, sig)
            except OSError:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                if not pid_alive(pid):
                    break
                time.sleep(0.2)
            if not pid_alive(pid):
                break
        self._forget()

    def _forget(self):
        for path in (self.pidfile, self.hashfile, self.startfile):
            if os.path.exists(path):
                os.unlink(path)

    def log_tail(self, lines=30):
        try:
            with open(self.logfile, "rb") as handle:
                handle.seek(0, os.SEEK_END)
                size = handle.tell()
                handle.seek(max(0, size - 8192))
                return handle.read().decode("utf-8", "replace").splitlines()[-lines:]
        except (IOError, OSError):
            return []

    def wait_ready(self):
        """Wait until the process listens on its port or its URL answers."""
        port = self.p["ready_port"]
        url = self.p["ready_url"]
        deadline = time.monotonic() + self.p["ready_timeout"]
        time.sleep(0.3)
        while True:
            pid = self.running_pid()
            if pid is None:
                raise OOOError(failed("start", "service", self.name, "the process exited; last lines of %s follow" % self.logfile),
                               log=self.log_tail())
            if self._ready(port, url):
                return
            if time.monotonic() >= deadline:
                raise OOOError(failed("start", "service", self.name, "not ready after %ss (port %s, url %s); last lines of %s follow"
                                      % (self.p["ready_timeout"], port, url, self.logfile)), log=self.log_tail())
            time.sleep(0.5)

    def _ready(self, port, url):
        if port:
            try:
                sock = socket.create_connection((self.p["ready_host"], port), timeout=2)
                sock.close()
            except (IOError, OSError):
                return False
        if url:
            from ansible.module_utils.urls import open_url
            from ansible.module_utils.six.moves.urllib.error import HTTPError
            try:
                open_url(url, timeout=5, validate_certs=False)
            except HTTPError as exc:
                return exc.code < 500
            except Exception:  # pylint: disable=broad-except
                return False
        return True
