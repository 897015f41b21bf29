# -*- coding: utf-8 -*-
"""state: absent of the undercloud removes only what carries the role's marker."""
from pathlib import Path

import pytest
import yaml

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.filter.undercloud import (
    DIR_MARKER, MARKER, RABBIT_TAG, undercloud_dirs, undercloud_removal)

SERVICES = ["keystone", "ironic", "glance", "heat"]


def test_only_marked_things_are_removed_and_the_rest_is_named():
    plan = undercloud_removal(
        ["keystone\t" + MARKER, "ironic\t", "glance\t" + MARKER, "mysql\t", "heat\tsomeone else's"],
        ["user\ttags", "heat\t[ooo-lifecycle]", "guest\t[administrator]"],
        undercloud_dirs(["/etc/keystone", "/etc/ironic", "/etc/heat"], [True, False, False], [True, True, False]),
        SERVICES)
    assert plan["databases"] == ["keystone", "glance"]
    assert plan["rabbit_users"] == ["heat"] and plan["dirs"] == ["/etc/keystone"]
    kept = " | ".join(plan["kept"])
    assert "database ironic: not created by this role" in kept and "database heat" in kept and "someone else's" in kept
    assert "directory /etc/ironic: not created by this role" in kept
    # Not the role's to judge at all: mysql, guest; a directory that does not exist is not reported.
    assert "mysql" not in kept and "guest" not in kept and "/etc/heat" not in kept


def test_a_rabbit_user_without_the_tag_is_kept():
    plan = undercloud_removal([], ["heat\t[]"], [], SERVICES)
    assert plan["rabbit_users"] == [] and plan["kept"] == ["RabbitMQ user heat: not created by this role (no ooo-lifecycle tag)"]
    assert undercloud_removal([], ["heat\t[monitoring, ooo-lifecycle]"], [], SERVICES)["rabbit_users"] == ["heat"]


def test_bad_input_is_refused():
    with pytest.raises(AnsibleFilterError):
        undercloud_removal("keystone", [], [], SERVICES)


def test_the_role_writes_the_markers_the_filter_looks_for():
    role_vars = yaml.safe_load((Path(__file__).parents[4] / "roles" / "undercloud" / "vars" / "main.yml").read_text())
    assert role_vars["__undercloud_db_marker"] == MARKER
    assert role_vars["__undercloud_rabbit_tag"] == RABBIT_TAG
    assert role_vars["__undercloud_dir_marker"] == DIR_MARKER
