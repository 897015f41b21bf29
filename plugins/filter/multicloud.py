# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.clouds import server_rows, summary_rows, summary_table


def multicloud_summary(probed, images=None, servers=None):
    if not isinstance(probed, list):
        raise AnsibleFilterError("multicloud_summary: the input must be the clouds list of ooo.lifecycle.clouds_info")
    return summary_rows(probed, images, servers)


def multicloud_table(rows):
    if not isinstance(rows, list):
        raise AnsibleFilterError("multicloud_table: the input must be the list multicloud_summary returns")
    return summary_table(rows)


def multicloud_target(probed):
    """A probed cloud as a ``cloud`` dict of the image module: its label, entry name and region."""
    if not isinstance(probed, dict) or "cloud" not in probed:
        raise AnsibleFilterError("multicloud_target: the input must be one cloud of ooo.lifecycle.clouds_info")
    target = {"name": probed.get("name") or probed["cloud"], "cloud": probed["cloud"]}
    if probed.get("region_name"):
        target["region_name"] = probed["region_name"]
    return target


def multicloud_server_rows(boots, port_results=None, state="present"):
    """One row per cloud: its server's public IPv4 address and its source, 'deleted', or the failure."""
    if not isinstance(boots, list):
        raise AnsibleFilterError("multicloud_server_rows: the input must be the results of the server task (a list)")
    return server_rows(boots, port_results or [], state)


class FilterModule(object):
    def filters(self):
        return {"multicloud_summary": multicloud_summary, "multicloud_table": multicloud_table, "multicloud_target": multicloud_target,
                "multicloud_server_rows": multicloud_server_rows}
