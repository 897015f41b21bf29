# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Container processes podman no longer knows: found, reaped, and what they hold named.

When podman loses its record of a container whose processes still run (its call killed between dropping the record
and stopping the container), the container's conmon and the service under it go on holding the container's
resources, such as a port on the host network; a new container of that name then restarts in a loop on "Address
already in use". Such a conmon is found by its argv (``-c ID -n NAME``): its name is one this config manages and
its ID is none podman lists.
"""

from __future__ import annotations

import os
import signal
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils import _preflight
from ansible_collections.ooo.lifecycle.plugins.module_utils._process import pid_alive


def conmon_fields(argv):
    """Pure: {"id", "name"} from a conmon argv; None when argv is not conmon's or lacks either."""
    if not argv or os.path.basename(argv[0]) != "conmon":
        return None
    fields = {}
    flags = {"-c": "id", "--cid": "id", "-n": "name", "--name": "name"}
    for index, arg in enumerate(argv[1:-1], start=1):
        key = flags.get(arg)
        if key and key not in fields:
            fields[key] = argv[index + 1]
    return fields if "id" in fields and "name" in fields else None


def descendants(procs, root):
    """Pure: root and every process under it, children before their parents (the order to kill them in)."""
    children = {}
    for pid, (ppid, _argv, _where) in procs.items():
        children.setdefault(ppid, []).append(pid)
    order, stack = [], [root]
    while stack:
        pid = stack.pop()
        order.append(pid)
        stack.extend(sorted(children.get(pid, [])))
    return list(reversed(order))


def find(procs, names, known_ids, here):
    """Pure: the conmons of containers named in ``names`` whose ID podman does not list.

    ``procs`` maps pid -> (ppid, argv, where), ``where`` being (mount namespace, uid): only a conmon where ``here``
    is (the same mount namespace, so the same podman storage, and the same user) can be one of this podman's; the
    conmons of a nested podman (a machine that is a container of this host) or of another user's are never touched.
    ``known_ids`` holds the full IDs podman lists. Returns, by name and pid, [{"name", "id", "conmon", "pids"}] with
    ``pids`` the conmon and its descendants, children first.
    """
    known = set(known_ids)
    found = []
    for pid in sorted(procs):
        fields = conmon_fields(procs[pid][1])
        if fields is None or fields["name"] not in names or procs[pid][2] != here:
            continue
        if any(k == fields["id"] or k.startswith(fields["id"]) or fields["id"].startswith(k) for k in known if k):
            continue
        found.append({"name": fields["name"], "id": fields["id"], "conmon": pid, "pids": descendants(procs, pid)})
    return sorted(found, key=lambda o: (o["name"], o["conmon"]))


def where(pid="self"):
    """(mount namespace, uid) of a process, None when it cannot be read."""
    try:
        return (os.readlink("/proc/%s/ns/mnt" % pid), os.stat("/proc/%s" % pid).st_uid)
    except OSError:
        return None


def read_procs():
    """pid -> (ppid, argv, where) of every process of this host (one read of /proc; a process that ends meanwhile is
    left out)."""
    procs = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as handle:
                stat = handle.read()
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                argv = [a.decode("utf-8", "replace") for a in handle.read().split(b"\0") if a]
        except (IOError, OSError):
            continue
        # The command name (field 2) is in parentheses and may hold spaces: the fields after it start past the last ')'.
        procs[int(entry)] = (int(stat[stat.rindex(")") + 2:].split()[1]), argv, where(entry))
    return procs


def held_ports(pids):
    """Pure over /proc reads: the listening sockets the given processes hold, as "host:port" strings."""
    current = _preflight.listeners()
    owners = _preflight.socket_owners([inode for _h, _p, inode in current])
    wanted = set(pids)
    held = set()
    for host, port, inode in current:
        if wanted & set(owners.get(inode, [])):
            held.add("%s:%d" % (("[%s]" % host) if ":" in host else host, port))
    return sorted(held)


def describe(orphan):
    """One line naming an orphan, the process it runs and the ports it holds."""
    main = orphan["pids"][-2] if len(orphan["pids"]) > 1 else orphan["conmon"]
    text = "container %s (ID %s, which podman no longer lists): conmon pid %d, pid %d (%s)" % (
        orphan["name"], orphan["id"][:12], orphan["conmon"], main, _preflight.process_name(main))
    if orphan.get("ports"):
        text += ", holding port %s" % ", ".join(orphan["ports"])
    return text


def kill_argv(orphan):
    return ["kill", "-KILL"] + [str(pid) for pid in orphan["pids"]]


def reap(orphan, timeout=10.0):
    """SIGKILL the orphan's processes, children first; None once every one is gone, else why not (naming what holds what)."""
    for pid in orphan["pids"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        except OSError as exc:
            return "%s: kill %d failed (%s); stop it by hand" % (describe(orphan), pid, exc.strerror)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = [pid for pid in orphan["pids"] if pid_alive(pid)]
        if not left:
            return None
        time.sleep(0.1)
    return "%s: still running %ss after SIGKILL (pids %s); stop it by hand" % (
        describe(orphan), timeout, ", ".join(str(pid) for pid in left))
