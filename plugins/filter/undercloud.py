# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

# What the undercloud role writes on what it creates (docs/undercloud.md): the comment of each database, the tag of
# its RabbitMQ user, and a file of this name in each directory it made.
MARKER = "ooo.lifecycle undercloud"
RABBIT_TAG = "ooo-lifecycle"
DIR_MARKER = ".ooo-lifecycle-undercloud"


def _row(line):
    """'name<TAB>rest' (or a list) as [name, rest]."""
    if isinstance(line, (list, tuple)):
        cells = [str(c) for c in line]
    else:
        cells = str(line).split("\t", 1) if "\t" in str(line) else str(line).split(None, 1)
    return (cells + ["", ""])[:2]


def undercloud_removal(databases, rabbit_users, dirs, services):
    """What ``state: absent`` removes: only what carries the role's marker.

    ``databases`` are the lines of ``SELECT SCHEMA_NAME, SCHEMA_COMMENT`` (name TAB comment), ``rabbit_users`` the
    lines of ``rabbitmqctl -q list_users`` (name TAB [tags]), ``dirs`` is [{path, marked, exists}] and ``services``
    the service names whose database and user are the role's to make. Returns {databases, rabbit_users, dirs: what
    to remove; kept: one line per thing left, and why}.
    """
    if not isinstance(databases, list) or not isinstance(rabbit_users, list) or not isinstance(dirs, list):
        raise AnsibleFilterError("undercloud_removal: give the databases' lines (name TAB comment), RabbitMQ's users' lines "
                                 "(name TAB [tags]) and the directories [{path, marked, exists}]")
    services = set(services or [])
    out = {"databases": [], "rabbit_users": [], "dirs": [], "kept": []}
    for line in databases:
        name, comment = _row(line)
        if name not in services:
            continue
        if comment.strip() == MARKER:
            out["databases"].append(name)
        else:
            out["kept"].append("database %s: not created by this role (its comment is %r, not %r); drop it by hand if it "
                               "is the undercloud's" % (name, comment.strip(), MARKER))
    for line in rabbit_users:
        name, tags = _row(line)
        if name not in services:
            continue
        if RABBIT_TAG in tags.replace(",", " ").replace("[", " ").replace("]", " ").split():
            out["rabbit_users"].append(name)
        else:
            out["kept"].append("RabbitMQ user %s: not created by this role (no %s tag)" % (name, RABBIT_TAG))
    for item in dirs:
        if not item.get("exists", True):
            continue
        if item.get("marked"):
            out["dirs"].append(item["path"])
        else:
            out["kept"].append("directory %s: not created by this role (no %s in it); remove it by hand if it is the "
                               "undercloud's" % (item["path"], DIR_MARKER))
    return out


def undercloud_dirs(paths, marked, exists):
    """[{path, marked, exists}] from three parallel lists (the role's directories and two stat results)."""
    return [{"path": p, "marked": bool(m), "exists": bool(e)} for p, m, e in zip(paths or [], marked or [], exists or [])]


class FilterModule(object):
    def filters(self):
        return {"undercloud_removal": undercloud_removal, "undercloud_dirs": undercloud_dirs}
