# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: the guard of a major upgrade - every machine on the release just before the target, or on the target
already (an interrupted upgrade resumes); anything else refused with the machines and the fix."""

from __future__ import annotations


def _on(running):
    """'2026.1 on compute-2; 2026.2 on compute-0, controller-0': each release with its machines."""
    return "; ".join("%s on %s" % (release, ", ".join(sorted(h for h, r in running.items() if r == release)))
                     for release in sorted(set(running.values())))


def upgrade_problems(running, target, releases, fact_file):
    """The reasons to refuse upgrading the machines of ``running`` ({machine: release, 'none' without a fact}) to
    ``target``, given the known ``releases`` in order ([] when the upgrade may go ahead)."""
    target, releases = str(target), [str(r) for r in releases]
    running = dict((h, str(r)) for h, r in running.items())
    start = sorted(set(r for r in running.values() if r != target))
    if target not in releases:
        return ["overcloud_upgrade_release: %s is not a known release (overcloud_releases: %s)" % (target, ", ".join(releases))]
    if "none" in start:
        return ["no release fact (%s) on %s: deploy the overcloud first (playbooks/overcloud_deploy.yml)"
                % (fact_file, ", ".join(sorted(h for h, r in running.items() if r == "none")))]
    if len(start) > 1:
        return ["mixed releases (%s): bring every machine to one release before a major upgrade" % _on(running)]
    if not start:
        return []
    current = start[0]
    if current not in releases:
        return ["the machines run %s, not a known release (overcloud_releases: %s)" % (current, ", ".join(releases))]
    here, there = releases.index(current), releases.index(target)
    if there <= here:
        return ["%s -> %s is a downgrade, which is not supported" % (current, target)]
    if there > here + 1:
        return ["%s -> %s skips %s: upgrade one release at a time (overcloud_upgrade_release=%s first)"
                % (current, target, ", ".join(releases[here + 1:there]), releases[here + 1])]
    return []


def releases_running(local_facts, fact_key):
    """{machine: release} from each machine's local facts (``ansible_local``); 'none' where the fact is missing (a
    machine not deployed yet, or powered off)."""
    return dict((host, str(((facts or {}).get(fact_key) or {}).get("release") or "none")) for host, facts in local_facts.items())
