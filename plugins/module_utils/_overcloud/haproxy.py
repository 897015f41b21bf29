# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: HAProxy's servers from the CSV of its admin socket's ``show stat``, and those not UP."""

from __future__ import annotations


def servers(stat):
    """[{listen, server, status, check}] of the server rows (not FRONTEND/BACKEND), columns found by the header."""
    lines = [line for line in (stat or "").splitlines() if line.strip()]
    header = next((line for line in lines if line.startswith("#")), None)
    if header is None:
        return []
    names = [n.strip() for n in header.lstrip("#").split(",")]
    col = dict((n, i) for i, n in enumerate(names))
    out = []
    for line in lines:
        if line.startswith("#"):
            continue
        row = line.split(",")
        if len(row) < len(names) or row[col["svname"]] in ("FRONTEND", "BACKEND"):
            continue
        out.append({"listen": row[col["pxname"]], "server": row[col["svname"]], "status": row[col["status"]],
                    "check": row[col["check_status"]] if "check_status" in col else ""})
    return out


def not_up(stat):
    """A description of every server that is not UP, such as 'compute_api/compute-2 is DOWN (L4CON)'."""
    return ["%s/%s is %s%s" % (s["listen"], s["server"], s["status"] or "unknown", " (%s)" % s["check"] if s["check"] else "")
            for s in servers(stat) if s["status"] != "UP"]


def others_not_up(stat, listens, server):
    """Like not_up, for the servers of the ``listens`` other than ``server`` (a machine about to be drained): each must
    be UP for the drained one's requests to have somewhere to go."""
    wanted = set(listens or [])
    return ["%s/%s is %s%s" % (s["listen"], s["server"], s["status"] or "unknown", " (%s)" % s["check"] if s["check"] else "")
            for s in servers(stat) if s["listen"] in wanted and s["server"] != server and s["status"] != "UP"]


def api_urls(apis, vip, groups):
    """The URL of each API the VIP serves whose backends are in one of ``groups``: http://VIP:PORT/CHECK (the health
    check path), in the order of ``apis`` ([{name, port, check, group}])."""
    return ["http://%s:%s%s" % (vip, api["port"], api["check"]) for api in apis if api["group"] in groups]
