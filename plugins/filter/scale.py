# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud import scale


def _outputs(stack_outputs):
    if not isinstance(stack_outputs, dict):
        raise AnsibleFilterError("scale filters: the input must be the plan stack's outputs (heat_stack_info's outputs)")
    return stack_outputs


def scale_problems(stack_outputs, role_nodes, role, count=None, remove=None):
    """The problems of a scale request ([] when it is good); see module_utils/_overcloud/scale.py."""
    outputs = _outputs(stack_outputs)
    return scale.problems(outputs.get("role_counts") or {}, role_nodes or {}, role, count, remove, outputs.get("role_services") or {})


def scale_roles(stack_outputs, role, count=None, remove=None, roles=None):
    """The plan's roles with the scaled role's new count: from ``roles`` (the operator's plan_roles) when given, else the
    roles as deployed (the stack's role_data output)."""
    outputs = _outputs(stack_outputs)
    if roles is None:
        roles = outputs.get("role_data")
    if not roles:
        raise AnsibleFilterError("the plan stack has no role_data output (it was deployed by an older version): run "
                                 "playbooks/overcloud_deploy.yml once, or give plan_roles")
    return scale.new_roles(roles, outputs.get("role_counts") or {}, role, count, remove)


class FilterModule(object):
    def filters(self):
        return {"scale_problems": scale_problems, "scale_roles": scale_roles}
