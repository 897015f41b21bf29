# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""One generic waiter over a table of readiness predicates."""

from __future__ import annotations

import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError, WaitTimeout
from ansible_collections.ooo.lifecycle.plugins.module_utils._retry import passing


class WaitFailed(OOOError):
    """The resource reached a state from which it will not become ready."""


def wait_for(fetch, ready, failed=None, timeout=600, interval=1.0, what="resource", clock=time.monotonic, sleep=time.sleep,
             transient=passing):
    """Poll ``fetch()`` until ``ready(obj)`` is true.

    ``failed(obj)`` returning a non-empty string stops the wait early with that
    reason.  Returns the last object fetched.  An error of ``fetch()`` that
    ``transient(exc)`` calls passing (the service restarting, a proxy with no
    backend) is one more poll, until the deadline; any other is raised.
    ``clock`` and ``sleep`` are injectable so the loop itself is unit-tested
    without real waiting.
    """
    deadline = clock() + timeout
    last = None
    while True:
        try:
            last = fetch()
        except Exception as exc:  # pylint: disable=broad-except
            if not transient(exc) or clock() >= deadline:
                raise
            sleep(interval)
            continue
        if ready(last):
            return last
        if failed is not None:
            reason = failed(last)
            if reason:
                raise WaitFailed("Failed to wait for %s: %s" % (what, reason))
        if clock() >= deadline:
            raise WaitTimeout("Failed to wait for %s: not ready after %ss (last state: %s)" % (what, timeout, describe(last)))
        sleep(interval)


def describe(obj):
    """A short description of a polled object for timeout messages."""
    for attr in ("status", "provision_state", "stack_status", "state"):
        value = getattr(obj, attr, None)
        if value is None and isinstance(obj, dict):
            value = obj.get(attr)
        if value is not None:
            return "%s=%s" % (attr, value)
    return repr(obj)[:200]
