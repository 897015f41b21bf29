from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._identity import catalog_view, describe, plan, validate


def desired(**over):
    base = dict(domains=[], projects=[{"name": "service", "domain": "Default"}], roles=["service"], region="regionOne",
                update_password="always",
                users=[{"name": "ironic", "domain": "Default", "password": "s3cret",
                        "roles": [{"role": "admin", "project": "service", "project_domain": "Default", "domain": None}]}],
                services=[{"name": "ironic", "type": "baremetal", "endpoints": {"public": "http://198.18.0.1:6385"}}])
    base.update(over)
    return base


def empty():
    return dict(domains={"Default"}, projects=set(), roles={"admin"}, users={}, assignments=set(), services={}, endpoints={},
                regions=set())


def converged():
    return dict(domains={"Default"}, projects={("service", "Default")}, roles={"admin", "service"},
                users={("ironic", "Default"): {"password_ok": True}},
                assignments={("ironic", "Default", "admin", "project", "service", "Default")},
                services={"ironic": {"type": "baremetal"}},
                endpoints={("ironic", "public", "regionOne"): "http://198.18.0.1:6385"}, regions={"regionOne"})


def test_plan_from_empty_creates_everything_in_order():
    kinds = [a[0] for a in plan(desired(), empty())]
    assert kinds == ["create_region", "create_project", "create_role", "create_user", "grant_role", "create_service", "create_endpoint"]


def test_plan_on_converged_state_is_empty():
    assert plan(desired(), converged()) == []


def test_wrong_password_is_reset_and_never_described():
    current = converged()
    current["users"][("ironic", "Default")]["password_ok"] = False
    actions = plan(desired(), current)
    assert [a[0] for a in actions] == ["update_password"]
    assert "s3cret" not in describe(actions[0])


def test_changed_endpoint_url_is_updated():
    current = converged()
    current["endpoints"][("ironic", "public", "regionOne")] = "http://127.0.0.1:6385"
    actions = plan(desired(), current)
    assert actions == [("update_endpoint", ("ironic", "public", "regionOne"), {"url": "http://198.18.0.1:6385"})]


def test_validate_reports_every_problem_with_item_and_field():
    bad = desired(users=[{"name": "x", "domain": "nowhere", "roles": [{"role": "ghost", "project": None, "domain": None}]}],
                  services=[{"name": "s", "type": "", "endpoints": {"publik": "http://a", "public": "ftp://b"}}])
    problems = validate(bad)
    text = "\n".join(problems)
    assert "user x: domain nowhere" in text
    assert "user x: roles[0] needs exactly one of project or domain" in text
    assert "role ghost is not listed" in text
    assert "service s: type is required" in text
    assert "endpoints.publik is not an interface" in text
    assert "endpoints.public must be an http(s) URL" in text
    assert len(problems) == 6


def test_validate_accepts_good_input():
    assert validate(desired()) == []


def test_duplicates_are_reported():
    d = desired(services=[{"name": "a", "type": "t", "endpoints": {}}, {"name": "a", "type": "t", "endpoints": {}}])
    assert validate(d) == ["service a is listed twice; keep one entry"]


def test_catalog_view_before_and_after():
    before, after = catalog_view(desired(), empty())
    assert before == ""
    assert after.splitlines() == [
        "project service (domain Default)", "role service", "user ironic (domain Default)",
        "role admin to user ironic (domain Default) on project service (domain Default)",
        "service ironic (baremetal)", "endpoint ironic public in regionOne: http://198.18.0.1:6385"]
    assert catalog_view(desired(), converged()) == (after, after), "converged: nothing differs"


def test_catalog_view_shows_what_changes_and_never_a_password():
    current = converged()
    current["users"][("ironic", "Default")]["password_ok"] = False
    current["endpoints"][("ironic", "public", "regionOne")] = "http://127.0.0.1:6385"
    before, after = catalog_view(desired(), current)
    assert "user ironic (domain Default), password outdated" in before.splitlines()
    assert "user ironic (domain Default), password reset" in after.splitlines()
    assert "endpoint ironic public in regionOne: http://127.0.0.1:6385" in before.splitlines()
    assert "endpoint ironic public in regionOne: http://198.18.0.1:6385" in after.splitlines()
    assert "s3cret" not in before + after
