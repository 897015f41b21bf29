# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: a scale request of one overcloud role checked against the deployed plan, and the plan's new roles.

The deployed plan is read from the plan stack's outputs: role_counts (role -> count), role_services (role -> its
services) and role_data (the roles as deployed: name, count, services, networks, hostname_format). The deployment's
node record (overcloud_nodes_file) gives each role's machines, the first being the role's bootstrap machine.
"""

from __future__ import annotations

import re

# A role running one of these services has a bootstrap machine (its first) that must stay: it holds the public VIP.
BOOTSTRAP_SERVICES = ("vip",)


def problems(counts, role_nodes, role, count=None, remove=None, role_services=None):
    """Every problem of a scale request at once, each naming the variable and the fix ([] when it is good).

    counts: {role: count} of the deployed plan ({} when there is none); role_nodes: {role: [machine, ...]};
    role: the role to scale; count: the new count (scale out) or None; remove: machines to take out (scale in).
    """
    remove = list(remove or [])
    role_services = role_services or {}
    out = []
    if not counts:
        out.append("no deployed plan stack: run playbooks/overcloud_deploy.yml first")
    elif role not in counts:
        out.append("overcloud_scale_role: %s is not a role of the plan; its roles are %s"
                   % (role or "(unset)", ", ".join(sorted(counts))))
    if count is not None and remove:
        out.append("give overcloud_scale_count (scale out) or overcloud_scale_remove (scale in), not both")
    elif count is None and not remove:
        out.append("nothing to do: give overcloud_scale_count=N (scale out) or overcloud_scale_remove=[machine, ...] (scale in)")
    current = counts.get(role) if counts else None
    if count is not None and (not re.match(r"^[0-9]+$", str(count)) or (current is not None and int(count) < int(current))):
        out.append("overcloud_scale_count: %s must be a whole number at least the current count %s (to scale in, name the "
                   "machines in overcloud_scale_remove)" % (count, current if current is not None else "?"))
    machines = list((role_nodes or {}).get(role) or [])
    for name in remove:
        if name not in machines:
            out.append("overcloud_scale_remove: %s is not a deployed %s machine; the role has %s"
                       % (name, role or "?", ", ".join(machines) or "none"))
    bootstrap_role = any(s in (role_services.get(role) or []) for s in BOOTSTRAP_SERVICES)
    if bootstrap_role and machines and machines[0] in remove:
        out.append("overcloud_scale_remove: %s is the bootstrap machine of %s (it holds the public VIP); it cannot be "
                   "removed - remove the role's other machines" % (machines[0], role))
    if len(set(remove)) != len(remove):
        out.append("overcloud_scale_remove: %s names a machine twice" % ", ".join(remove))
    return out


def new_roles(roles, counts, role, count=None, remove=None):
    """The plan's roles (in their order) with the scaled role's new count; every other role keeps its deployed count."""
    remove = list(remove or [])
    new_count = int(count) if count is not None else int(counts[role]) - len(remove)
    out = []
    for item in roles:
        current = counts.get(item["name"], item.get("count"))
        out.append(dict(item, count=new_count if item["name"] == role else current))
    return out
