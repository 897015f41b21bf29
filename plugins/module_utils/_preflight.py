# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Host pre-flight checks: who listens on a port, whether a path is writable."""

from __future__ import annotations

import os
import socket
import struct
import tempfile

from ansible_collections.ooo.lifecycle.plugins.module_utils._process import pid_alive, read_pid

LISTEN = "0A"


def decode_address(hex_address):
    """Pure: '0100007F:1F90' -> ('127.0.0.1', 8080); IPv6 too."""
    address, port = hex_address.split(":")
    if len(address) == 8:
        host = socket.inet_ntop(socket.AF_INET, struct.pack("<I", int(address, 16)))
    else:
        words = [struct.pack("<I", int(address[i:i + 8], 16)) for i in range(0, 32, 8)]
        host = socket.inet_ntop(socket.AF_INET6, b"".join(words))
    return host, int(port, 16)


def parse_proc_net_tcp(text):
    """Pure: the listening sockets of a /proc/net/tcp{,6} text as (host, port, inode)."""
    listeners = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 10 or fields[3] != LISTEN:
            continue
        host, port = decode_address(fields[1])
        listeners.append((host, port, int(fields[9])))
    return listeners


def overlaps(bind_host, listen_host):
    """Pure: would binding ``bind_host`` collide with a socket bound to ``listen_host``."""
    wildcard = ("0.0.0.0", "::")
    return bind_host in wildcard or listen_host in wildcard or bind_host == listen_host


def writable_problem(path):
    """Why ``path`` cannot be written (None when it can): it, or its first existing ancestor, must allow writing."""
    if os.path.isdir(path):
        return "%s is a directory; give a file path" % path
    if os.path.exists(path):
        return None if os.access(path, os.W_OK) else "%s exists and is not writable" % path
    parent = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(parent):
        parent = os.path.dirname(parent)
    if not os.path.isdir(parent):
        return "%s cannot be created: %s is not a directory" % (path, parent)
    if not os.access(parent, os.W_OK):
        return "%s cannot be created: directory %s is not writable" % (path, parent)
    # Permission bits do not tell everything (read-only mounts, /proc, /sys): try it.
    try:
        handle, probe = tempfile.mkstemp(prefix=".ooo-preflight-", dir=parent)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        return "%s cannot be created: directory %s does not accept new files (%s)" % (path, parent, exc.strerror)
    return None


def listeners():
    found = []
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(name) as handle:
                found.extend(parse_proc_net_tcp(handle.read()))
        except (IOError, OSError):
            continue
    return found


def socket_owners(inodes):
    """Map socket inode -> list of pids holding it."""
    wanted = {"socket:[%d]" % inode: inode for inode in inodes}
    owners = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fd_dir = "/proc/%s/fd" % entry
        try:
            for fd in os.listdir(fd_dir):
                target = os.readlink(os.path.join(fd_dir, fd))
                if target in wanted:
                    owners.setdefault(wanted[target], []).append(int(entry))
        except (IOError, OSError):
            continue
    return owners


def process_name(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()[:120]
    except (IOError, OSError):
        return "?"


def process_group(pid):
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def port_problems(ports):
    """Every requested port held by a process that is not the service itself (found through its pid file)."""
    problems = []
    current = listeners()
    owners = socket_owners([inode for _h, _p, inode in current])
    for item in ports:
        own_group = None
        if item.get("pidfile"):
            pid = read_pid(item["pidfile"])
            if pid and pid_alive(pid):
                own_group = process_group(pid)
        for host, port, inode in current:
            if port != item["port"] or not overlaps(item["host"], host):
                continue
            pids = owners.get(inode, [])
            if own_group is not None and any(process_group(p) == own_group for p in pids):
                continue
            who = ", ".join("pid %d (%s)" % (p, process_name(p)) for p in pids[:3]) or "another process"
            fix = "stop that process or choose another port"
            if item.get("setting"):
                fix += " with %s" % item["setting"]
            problems.append("port %d (%s) on %s is in use by %s; %s" % (item["port"], item["name"], host, who, fix))
            break
    return problems
