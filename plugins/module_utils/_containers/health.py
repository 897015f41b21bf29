# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: what is wrong with a machine's deployed containers, as container_startup_info reports them.

A container is fine when it runs and is healthy (or has no healthcheck), or when it is a one-shot that exited 0. A
stopped service (a detached container with a healthcheck) is a problem even if it exited 0.
"""

from __future__ import annotations


def _fine(container, wanted):
    if container.get("state") == "running":
        return container.get("health") in ("healthy", "none")
    spec = wanted or {}
    stopped_service = spec.get("detach", True) and "healthcheck" in spec
    return container.get("state") == "exited" and container.get("exit_code", 1) == 0 and not stopped_service


def problems(containers, wanted=None, config_id_prefix=None, host=None):
    """'NAME is missing' for each wanted container that does not exist, 'NAME is STATE (health|exit N)' for each
    one that is not fine; only containers whose config_id starts with config_id_prefix, when given; each prefixed
    with 'host/' when host is given."""
    wanted = wanted or {}
    prefix = "%s/" % host if host else ""
    out = ["%s%s is missing" % (prefix, name) for name in wanted if name not in containers]
    for name, container in containers.items():
        if config_id_prefix and not str(container.get("config_id") or "").startswith(config_id_prefix):
            continue
        if _fine(container, wanted.get(name)):
            continue
        state = container.get("state") or "unknown"
        detail = container.get("health") if state == "running" else "exit %s" % container.get("exit_code", "?")
        out.append("%s%s is %s (%s)" % (prefix, name, state, detail))
    return out
