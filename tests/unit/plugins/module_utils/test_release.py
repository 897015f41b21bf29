from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud.release import releases_running, upgrade_problems

RELEASES = ["2025.1", "2025.2", "2026.1", "2026.2", "2027.1", "2027.2"]
FACT = "/etc/ansible/facts.d/ooo.fact"
ALL = {"controller-0": "2026.2", "compute-0": "2026.2", "compute-2": "2026.2"}


def test_n_to_n_plus_one_and_a_resumed_upgrade_go_ahead():
    assert upgrade_problems(ALL, "2027.1", RELEASES, FACT) == []
    assert upgrade_problems(dict(ALL, **{"compute-0": "2027.1"}), "2027.1", RELEASES, FACT) == []
    assert upgrade_problems(dict((h, "2027.1") for h in ALL), "2027.1", RELEASES, FACT) == []


def test_each_refusal_names_the_machines_and_the_fix():
    assert upgrade_problems(ALL, "2030.1", RELEASES, FACT) == [
        "overcloud_upgrade_release: 2030.1 is not a known release (overcloud_releases: 2025.1, 2025.2, 2026.1, 2026.2, 2027.1, 2027.2)"]
    assert upgrade_problems(dict(ALL, **{"compute-2": "none"}), "2027.1", RELEASES, FACT) == [
        "no release fact (%s) on compute-2: deploy the overcloud first (playbooks/overcloud_deploy.yml)" % FACT]
    assert upgrade_problems(dict(ALL, **{"compute-2": "2026.1"}), "2027.1", RELEASES, FACT) == [
        "mixed releases (2026.1 on compute-2; 2026.2 on compute-0, controller-0): bring every machine to one release before a "
        "major upgrade"]
    assert upgrade_problems(dict((h, "1999.1") for h in ALL), "2027.1", RELEASES, FACT)[0].startswith("the machines run 1999.1, not a known")
    assert upgrade_problems(ALL, "2026.1", RELEASES, FACT) == ["2026.2 -> 2026.1 is a downgrade, which is not supported"]
    assert upgrade_problems(ALL, "2027.2", RELEASES, FACT) == [
        "2026.2 -> 2027.2 skips 2027.1: upgrade one release at a time (overcloud_upgrade_release=2027.1 first)"]


def test_the_release_each_machine_runs_from_its_local_fact():
    facts = {"controller-0": {"ooo": {"release": "2026.2"}}, "compute-0": {"ooo": {"release": 2027.1}}, "compute-2": {},
             "compute-1": None, "compute-3": {"ooo": {}}}
    assert releases_running(facts, "ooo") == {"controller-0": "2026.2", "compute-0": "2027.1", "compute-2": "none",
                                              "compute-1": "none", "compute-3": "none"}
