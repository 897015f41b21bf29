from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import WaitTimeout
from ansible_collections.ooo.lifecycle.plugins.module_utils._waiters import WaitFailed, wait_for


class Clock(object):
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_returns_when_ready():
    states = iter(["BUILD", "BUILD", "ACTIVE"])
    clock = Clock()
    got = wait_for(lambda: {"status": next(states)}, lambda o: o["status"] == "ACTIVE", clock=clock, sleep=clock.sleep, interval=2)
    assert got == {"status": "ACTIVE"}
    assert clock.now == 4


def test_failed_state_stops_early():
    clock = Clock()
    with pytest.raises(WaitFailed, match="stack s: CREATE_FAILED"):
        wait_for(lambda: {"status": "CREATE_FAILED"}, lambda o: False, failed=lambda o: o["status"] if o["status"].endswith("FAILED") else "",
                 what="stack s", clock=clock, sleep=clock.sleep)


def test_timeout_names_last_state():
    clock = Clock()
    with pytest.raises(WaitTimeout, match="status=BUILD"):
        wait_for(lambda: {"status": "BUILD"}, lambda o: False, timeout=5, interval=1, clock=clock, sleep=clock.sleep)
