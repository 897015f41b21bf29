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
