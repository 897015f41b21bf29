# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the lab's extra clouds (playbooks/lab_clouds.yml): their passwords kept across runs, their tenants."""

from __future__ import annotations

import secrets
import string

from ansible.errors import AnsibleFilterError

ALPHABET = string.ascii_letters + string.digits


def lab_cloud_passwords(secure, names, length=24):
    """{name: password} for each cloud of ``names``: the password ``secure`` (secure.yaml's content, parsed, or None)
    holds for it under clouds.NAME.auth.password, else a new random one of ``length`` letters and digits."""
    if secure is not None and not isinstance(secure, dict):
        raise AnsibleFilterError("lab_cloud_passwords: the input must be secure.yaml's content (a mapping) or None")
    clouds = (secure or {}).get("clouds") or {}
    out = {}
    for name in names:
        stored = (((clouds.get(name) or {}).get("auth")) or {}).get("password")
        out[name] = stored if stored else "".join(secrets.choice(ALPHABET) for dummy in range(int(length)))
    return out


def lab_tenants(projects, passwords, role="member", description="Lab tenant of the multi-cloud playbooks"):
    """identity_catalog's projects and users for the lab's tenants: one project per name, and a user of the same name
    with ``role`` in it and its password from ``passwords``."""
    missing = [p for p in projects if p not in (passwords or {})]
    if missing:
        raise AnsibleFilterError("lab_tenants: no password for %s" % ", ".join(missing))
    return {"projects": [{"name": p, "description": description} for p in projects],
            "users": [{"name": p, "password": passwords[p], "roles": [{"role": role, "project": p}]} for p in projects]}


class FilterModule(object):
    def filters(self):
        return {"lab_cloud_passwords": lab_cloud_passwords, "lab_tenants": lab_tenants}
