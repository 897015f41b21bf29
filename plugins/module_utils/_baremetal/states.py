# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Ironic's provision-state graph, as pure data and functions.

``route(current, target)`` gives the provision verbs that take a node from a
stable (or failed) state to the requested target; transitional states are
waited out by the caller (``is_transitional``).
"""

from __future__ import annotations

import datetime
from collections import deque

TARGETS = ("manageable", "inspected", "available", "active", "undeployed")

# Stable or failed state -> {verb: state the verb leads to once its transition ends}.
EDGES = {
    "enroll": {"manage": "manageable"},
    "manageable": {"provide": "available", "inspect": "manageable"},
    "available": {"manage": "manageable", "active": "active"},
    "active": {"deleted": "available"},
    "deploy failed": {"deleted": "available", "active": "active"},
    "clean failed": {"manage": "manageable"},
    "inspect failed": {"manage": "manageable"},
    "error": {"deleted": "available"},
    "rescue failed": {"unrescue": "active"},
    "adopt failed": {"manage": "manageable"},
}
# States in which Ironic waits for the node's agent (the ramdisk) to call back.
AGENT_WAIT = ("wait call-back", "clean wait", "service wait", "rescue wait")
# Of those, the ones an abort takes to a failed state that the verbs here start again from.
ABORTABLE = ("wait call-back", "clean wait")
FAILED = ("deploy failed", "clean failed", "inspect failed", "error", "rescue failed", "adopt failed")
STABLE = tuple(k for k in EDGES if k not in FAILED)
# Transitional states end by themselves; "wait" states wait for something outside Ironic.
TRANSITIONAL = ("verifying", "cleaning", "clean wait", "deploying", "wait call-back", "deploy wait", "deleting", "inspecting",
                "inspect wait", "adopting", "rescuing", "rescue wait", "unrescuing", "servicing", "service wait")


def is_transitional(state):
    return state in TRANSITIONAL


def _shortest(current, goal):
    """Breadth-first search over EDGES from ``current`` to the stable state ``goal``; verbs or None."""
    if current == goal:
        return []
    seen = {current}
    queue = deque([(current, [])])
    while queue:
        state, verbs = queue.popleft()
        for verb, nxt in sorted(EDGES.get(state, {}).items()):
            if nxt in seen:
                continue
            if nxt == goal:
                return verbs + [verb]
            seen.add(nxt)
            queue.append((nxt, verbs + [verb]))
    return None


def route(current, target, inspected=False):
    """Pure: the verbs from ``current`` to ``target``; None when there is no way.

    ``inspected`` tells whether the node already holds an inspection result
    (target ``inspected`` is then reached at ``manageable``). ``undeployed``
    means available after an undeploy: from ``active`` it is ``deleted``.
    """
    if target not in TARGETS:
        raise ValueError("unknown target %r; use one of %s" % (target, ", ".join(TARGETS)))
    if target == "inspected":
        verbs = _shortest(current, "manageable")
        if verbs is None:
            return None
        return verbs if inspected else verbs + ["inspect"]
    goal = "available" if target == "undeployed" else target
    return _shortest(current, goal)


def expected_state(verb, before):
    """Pure: the stable state a verb leads to from ``before``."""
    return EDGES.get(before, {}).get(verb)


def agent_silence(driver_internal_info, since, now, power_state):
    """Pure: why a node waiting for its agent waits in vain, from what Ironic recorded.

    ``since`` and ``now`` are Unix times (the wait began, it timed out); Ironic records the agent's last heartbeat
    in ``driver_internal_info['agent_last_heartbeat']`` (ISO 8601, UTC). An agent that called back during this wait
    and then fell silent lost its machine (a power cut, the ramdisk stopped); one that never did could not boot or
    reach Ironic's API.
    """
    stamp = (driver_internal_info or {}).get("agent_last_heartbeat")
    last = None
    if isinstance(stamp, str) and stamp:
        try:
            parsed = datetime.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=datetime.timezone.utc)
            last = parsed.timestamp()
        except ValueError:
            last = None
    if last is not None and last >= since:
        return ("its agent called back, then fell silent %d s before the timeout (power state: %s): the machine lost "
                "power or its ramdisk stopped" % (max(0, now - last), power_state or "unknown"))
    return ("its agent never called back: the machine did not boot the deploy ramdisk, or the ramdisk cannot reach "
            "Ironic's API (see the node's BMC and console)")
