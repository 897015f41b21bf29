# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import time

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import report


def overcloud_deploy_summary(hostvars, hosts, steps, start_at_step, started=None, roles=None, endpoints=None, validations=None,
                             sanity=None):
    """The deployment's summary from each machine's ``overcloud_step_times``: see module_utils/_overcloud/report.py."""
    if not isinstance(hosts, list) or not isinstance(steps, list):
        raise AnsibleFilterError("overcloud_deploy_summary: give hostvars, the deployed machines (a list) and the steps (a list)")
    now = time.time()
    step_times = dict((h, hostvars[h].get("overcloud_step_times") or {}) for h in hosts)
    return report.deploy_summary(steps, step_times, start_at_step, float(started or now), now, roles or {}, endpoints or {},
                                 validations or [], sanity or [])


def overcloud_summary_lines(summary):
    """The lines the deployment prints of its summary."""
    if not isinstance(summary, dict) or "steps" not in summary:
        raise AnsibleFilterError("overcloud_summary_lines: give the summary overcloud_deploy_summary made")
    return report.summary_lines(summary)


class FilterModule(object):
    def filters(self):
        return {"overcloud_deploy_summary": overcloud_deploy_summary, "overcloud_summary_lines": overcloud_summary_lines}
