"""plan_quarantine: what to change so that exactly the outliers are quarantined (pure; the module's apply runs it)."""
from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.modules.baremetal_hardware_validation import (
    REASON_PREFIX, plan_quarantine, quarantine_reason)

TRAIT = "CUSTOM_OOO_BLACK_SHEEP"


def verdict(outlier, judged=True, metrics=("memory_mb",), profile="compute"):
    return {"outlier": outlier, "judged": judged, "profile": profile,
            "reasons": [{"metric": m} for m in metrics] if outlier else []}


def entry(maintenance=False, reason=None, traits=()):
    return {"uuid": "u", "maintenance": maintenance, "maintenance_reason": reason, "traits": list(traits)}


def test_an_outlier_is_put_in_maintenance_with_a_reason_naming_its_metrics():
    result = {"nodes": {"n1": verdict(True, metrics=("disk_gb", "cpus", "disk_gb")), "n2": verdict(False)}}
    actions = plan_quarantine({"n1": entry(), "n2": entry()}, result, "maintenance", TRAIT)
    assert actions == [("n1", "quarantine", "%s: black sheep of profile compute (cpus, disk_gb)" % REASON_PREFIX)]


def test_a_quarantine_already_in_place_is_not_written_again():
    v = verdict(True)
    result = {"nodes": {"n1": v}}
    assert plan_quarantine({"n1": entry(True, quarantine_reason(v))}, result, "maintenance", TRAIT) == []
    assert plan_quarantine({"n1": entry(traits=[TRAIT])}, result, "trait", TRAIT) == []


def test_maintenance_for_another_reason_is_replaced_by_ours():
    result = {"nodes": {"n1": verdict(True)}}
    actions = plan_quarantine({"n1": entry(True, "operator: fan broken")}, result, "maintenance", TRAIT)
    assert [a[:2] for a in actions] == [("n1", "quarantine")]


def test_a_node_judged_normal_again_is_released_only_from_our_quarantine():
    result = {"nodes": {"ours": verdict(False), "operator": verdict(False), "traited": verdict(False)}}
    entries = {"ours": entry(True, REASON_PREFIX + ": black sheep of profile compute (cpus)"),
               "operator": entry(True, "operator: fan broken"),
               "traited": entry(traits=[TRAIT, "CUSTOM_OTHER"])}
    assert plan_quarantine(entries, result, "maintenance", TRAIT) == [
        ("ours", "release", "maintenance"), ("traited", "release", "trait")]


def test_a_node_not_judged_is_left_alone():
    result = {"nodes": {"n1": verdict(False, judged=False)}}
    assert plan_quarantine({"n1": entry(True, REASON_PREFIX + ": x", traits=[TRAIT])}, result, "maintenance", TRAIT) == []


def test_trait_method_adds_the_trait_and_the_order_is_by_name():
    result = {"nodes": {"b": verdict(True), "a": verdict(True)}}
    assert plan_quarantine({"a": entry(), "b": entry()}, result, "trait", TRAIT) == [
        ("a", "quarantine", TRAIT), ("b", "quarantine", TRAIT)]


def test_one_failed_change_does_not_stop_the_others():
    from ansible_collections.ooo.lifecycle.plugins.modules.baremetal_hardware_validation import run_each
    applied = []

    def one(action):
        if action[0] == "n2":
            raise RuntimeError("Failed to set maintenance on node n2: HTTP 409 node locked")
        applied.append(action[0])
    actions = [("n1", "quarantine", "r"), ("n2", "quarantine", "r"), ("n3", "release", "maintenance")]
    done, failures = run_each(actions, one, concurrency=2)
    assert sorted(applied) == ["n1", "n3"] and [a[0] for a in done] == ["n1", "n3"]
    assert failures == ["Failed to set maintenance on node n2: HTTP 409 node locked"]
    assert run_each([], one, 4) == ([], [])
