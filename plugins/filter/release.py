# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud.release import releases_running as _releases_running
from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud.release import upgrade_problems as _upgrade_problems


def upgrade_problems(running, target, releases, fact_file):
    """The reasons to refuse a major upgrade ([] when it may go ahead); see module_utils/_overcloud/release.py."""
    if not isinstance(running, dict) or not isinstance(releases, list):
        raise AnsibleFilterError("upgrade_problems: give the releases running (machine -> release) and the known releases (a list)")
    return _upgrade_problems(running, target, releases, fact_file)


def overcloud_releases_running(hostvars, hosts, fact_key):
    """{machine: release} from the local fact ``fact_key`` of each of ``hosts``; 'none' where it is missing."""
    if not isinstance(hosts, list):
        raise AnsibleFilterError("overcloud_releases_running: give hostvars, the machines (a list) and the fact's key")
    return _releases_running(dict((h, hostvars[h].get("ansible_local")) for h in hosts), fact_key)


class FilterModule(object):
    def filters(self):
        return {"upgrade_problems": upgrade_problems, "overcloud_releases_running": overcloud_releases_running}
