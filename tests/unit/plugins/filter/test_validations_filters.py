from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.filter.validations import plan_container_images, registry_answer, validations_select

CATALOGUE = [{"name": "a", "groups": ["pre-deployment"]}, {"name": "b", "groups": ["post-deployment", "pre-upgrade"]},
             {"name": "c", "groups": ["pre-deployment", "post-deployment"]}]


def names(selected):
    return [v["name"] for v in selected]


def test_by_group_by_name_and_skipped():
    assert names(validations_select(CATALOGUE, ["post-deployment"])) == ["b", "c"]
    assert names(validations_select(CATALOGUE, ["pre-deployment"], skip=["a"])) == ["c"]
    assert names(validations_select(CATALOGUE, ["pre-upgrade"], only=["c", "a"])) == ["a", "c"], "only wins over groups, catalogue order"
    assert names(validations_select(CATALOGUE, ["nothing"])) == []


def test_each_image_once_in_plan_order():
    configs = {"Controller": {"step_1": {"mysql": {"image": "r/services:1"}, "vip": {"command": ["true"]}},
                              "step_3": {"keystone": {"image": "r/services:1"}}},
               "Compute": {"step_4": {"agent": {"image": "r/agent:1"}}, "step_5": {}}}
    assert plan_container_images(configs) == ["r/services:1", "r/agent:1"]
    assert plan_container_images({}) == []


def test_registry_answer_names_the_image_and_why():
    assert registry_answer({"item": "r/a:1", "status": 404}) == "r/a:1 (not in the registry)"
    assert "the registry refused the pull user" in registry_answer({"item": "r/a:1", "status": 401})
    assert registry_answer({"item": "r/a:1", "status": -1, "msg": "certificate verify failed"}) == \
        "r/a:1 (registry not reached: certificate verify failed)"
    assert registry_answer({"item": "r/a:1", "status": 500}) == "r/a:1 (HTTP 500)"
