from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.filter.containers import container_step_conflicts, ooo_duplicates


def test_duplicates_are_named_once_in_order():
    assert ooo_duplicates(["mysql", "keystone", "mysql", "glance", "keystone", "mysql"]) == ["mysql", "keystone"]
    assert ooo_duplicates(["a", "b"]) == [] and ooo_duplicates(None) == []


def test_a_step_with_two_startup_configs_is_named_with_both():
    paths = ["/d/step_1", "/d/container-startup-config-step_1.json", "/d/step_2", "/d/step_12",
             "/d/hashed-container-startup-config-step_3.json"]
    assert container_step_conflicts(paths, [1, 2, 3, 12]) == ["step 1: /d/step_1 and /d/container-startup-config-step_1.json"]
    assert container_step_conflicts(["/d/step_2", "/d/step_2.json"], [2]) == ["step 2: /d/step_2 and /d/step_2.json"]
