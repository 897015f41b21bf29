from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.states import route


@pytest.mark.parametrize("current, target, inspected, verbs", [
    ("enroll", "manageable", False, ["manage"]),
    ("enroll", "available", False, ["manage", "provide"]),
    ("enroll", "active", False, ["manage", "provide", "active"]),
    ("enroll", "inspected", False, ["manage", "inspect"]),
    ("manageable", "inspected", True, []),
    ("available", "inspected", True, ["manage"]),
    ("available", "available", False, []),
    ("active", "available", False, ["deleted"]),
    ("active", "undeployed", False, ["deleted"]),
    ("active", "manageable", False, ["deleted", "manage"]),
    ("deploy failed", "active", False, ["active"]),
    ("deploy failed", "available", False, ["deleted"]),
    ("clean failed", "available", False, ["manage", "provide"]),
    ("inspect failed", "manageable", False, ["manage"]),
    ("error", "available", False, ["deleted"]),
    ("active", "active", False, []),
])
def test_route(current, target, inspected, verbs):
    assert route(current, target, inspected=inspected) == verbs


def test_no_route_and_unknown_target():
    assert route("deploying", "available") is None
    with pytest.raises(ValueError, match="unknown target 'on'"):
        route("enroll", "on")


def test_an_agent_that_fell_silent_is_told_from_one_that_never_called_back():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.states import agent_silence
    began = 1796574800.0  # 2026-12-06T16:33:20Z
    during = {"agent_last_heartbeat": "2026-12-06T16:33:50.123456"}
    text = agent_silence(during, began, began + 90, "power off")
    assert text.startswith("its agent called back, then fell silent 59 s before the timeout (power state: power off)")
    assert "lost power" in text
    # A heartbeat from an earlier deployment, none at all, or one Ironic wrote oddly: it never called back.
    for info in ({"agent_last_heartbeat": "2026-12-06T16:00:00"}, {}, None, {"agent_last_heartbeat": "yesterday"}):
        assert agent_silence(info, began, began + 90, "power on").startswith("its agent never called back"), info
    assert "unknown" in agent_silence({"agent_last_heartbeat": "2026-12-06T16:34:00+00:00"}, began, began + 60, None)
