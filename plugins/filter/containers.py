# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.health import problems


def container_problems(containers, wanted=None, config_id_prefix=None, host=None):
    """What is wrong with container_startup_info's containers; see module_utils/_containers/health.py."""
    return problems(containers or {}, wanted, config_id_prefix, host)


def container_host_problems(result, config_id_prefix=None):
    """The problems of one machine's container_startup_info result (from a loop over machines), named 'host/NAME';
    a machine that could not be read is one problem, with the reason."""
    if result.get("failed") or result.get("unreachable") or "containers" not in result:
        return ["%s: %s" % (result.get("item"), result.get("msg") or "cannot read its containers")]
    return problems(result.get("containers") or {}, None, config_id_prefix, result.get("item"))


def ooo_duplicates(items):
    """The items that occur more than once, each once, in the order of their second occurrence."""
    seen, dups = set(), []
    for item in items or []:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


def container_step_conflicts(paths, steps):
    """'step N: A and B' for each step with more than one startup config among ``paths`` (a step_N directory or a
    container-startup-config-step_N.json)."""
    out = []
    for step in steps:
        found = [p for p in paths if re.search(r"[/_-]step_%s(\.json)?$" % re.escape(str(step)), p)]
        if len(found) > 1:
            out.append("step %s: %s" % (step, " and ".join(found)))
    return out


class FilterModule(object):
    def filters(self):
        return {"container_problems": container_problems, "container_host_problems": container_host_problems,
                "ooo_duplicates": ooo_duplicates, "container_step_conflicts": container_step_conflicts}
