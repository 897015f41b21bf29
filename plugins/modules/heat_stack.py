#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: heat_stack
short_description: Create, update and delete a Heat stack idempotently, with a real check mode
version_added: 0.2.0
description:
  - Creates or updates stack O(name) from O(template), O(environment_files) (merged in order, then O(environment)
    on top) and O(parameters). Files a template reads with C(get_file) and nested templates given as resource
    types are read from disk and sent in Heat's C(files) map.
  - B(No-op detection.) The digest of template, files, environment and parameters is kept on the stack as the tag
    C(ooo-digest-<hex>). When it matches, the stored template is the same and the stack is in a clean
    C(*_COMPLETE) state, no update call is made and the task reports C(changed=false). File paths are made
    relative to the template's directory, so the same templates checked out elsewhere are still a no-op.
  - B(Check mode) asks Heat for an update preview and reports which resources would be added, updated, replaced
    or deleted (RV(changes)); for a new stack, the create preview lists the resources. Diff mode shows that list.
  - Waits with its own O(timeout) (also passed to Heat as the stack timeout). When a create, update or delete
    fails, the task fails naming each failed resource with its reason, in nested stacks too (RV(failures)).
    With O(rollback), Heat rolls a failed update back (a failed create is deleted).
  - A stack in C(*_IN_PROGRESS) is not touched; the task fails, or waits first with O(wait_in_progress). Unless no
    heat-engine runs that operation any more - every engine up started after it began (the one that ran it died;
    Heat's convergence engine then leaves the stack in progress until its timeout) - the run supersedes it with its
    own update or delete, and says so in RV(superseded). Telling this takes Heat's service list (an admin); without
    it, the stack is treated as in progress.
  - With O(wait=false) the task returns once Heat accepted the create, update or delete (the stack then shows
    C(*_IN_PROGRESS)); follow it with M(ooo.lifecycle.heat_stack_info) or a later run with O(wait_in_progress).
  - Bad input is reported before any write - a missing or unparsable template, a C(get_file) of a missing file,
    an environment with unknown sections, a parameter the template does not declare; the rest of Heat's
    validation happens in the create or update call, which Heat refuses before changing anything.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Uses Heat's create and update previews; no write call.
  diff_mode:
    support: full
    description: Lists the resources added, updated, replaced and deleted.
options:
  environment:
    description: An environment given inline (sections C(parameter_defaults), C(parameters), C(resource_registry), ...), applied
      after O(environment_files).
    type: dict
  environment_files:
    description: Environment files, merged in order.
    type: list
    elements: path
    default: []
  name:
    description: Stack name.
    type: str
    required: true
  parameters:
    description: Template parameters. Each must be declared by the template. Values of parameters the template marks
      C(hidden) are masked in all output.
    type: dict
    default: {}
  poll_interval:
    description: Seconds between two looks at a stack in progress.
    type: float
    default: 1.0
  rollback:
    description: Let Heat roll back a failed update (and delete a failed create). Without it the failed resources stay for
      inspection, as TripleO does.
    type: bool
    default: false
  state:
    description: Whether the stack should exist.
    type: str
    default: present
    choices: [present, absent]
  tags:
    description: Stack tags (the module adds its digest tag).
    type: list
    elements: str
    default: []
  template:
    description: Path of the Heat template. Required with O(state=present).
    type: path
  wait_in_progress:
    description: When the stack is in C(*_IN_PROGRESS), wait for it to settle (within O(timeout)) instead of failing.
    type: bool
    default: false
'''

EXAMPLES = r'''
- name: Deploy the plan
  ooo.lifecycle.heat_stack:
    cloud: undercloud
    name: overcloud
    template: "{{ playbook_dir }}/../files/heat/overcloud.yaml"
    environment_files:
      - "{{ playbook_dir }}/../files/heat/environments/lab.yaml"
    parameters:
      ControllerCount: 1
    timeout: 1800
  register: plan

- name: Use an output
  ansible.builtin.debug:
    var: plan.outputs.role_services
'''

RETURN = r'''
operation:
  description: C(create), C(update), C(delete) or C(none).
  returned: always
  type: str
superseded:
  description: Why the stack's operation in progress was superseded by this run's - no heat-engine up now was
    running when it began.
  returned: when the stack was found in progress with no engine running its operation
  type: str
retried:
  description:
    - The cause of a failed create or update that was sent again, once, as an update with the same body. Only Heat's
      yaql parser race is retried - a resource failing with "Bad expression Parse error" for an expression the API
      had parsed when it accepted the template (heat-engine shares one yaql parser between its threads).
  returned: when the operation was sent again
  type: list
  elements: str
changes:
  description: For an update (always in check mode, otherwise with diff), Heat's preview - resource names C(added),
    C(updated), C(replaced), C(deleted), and the C(unchanged) count. For a create, C(added) lists the resources.
  returned: when a create or update is previewed
  type: dict
failures:
  description: The failed resources (C(resource), C(stack), C(status), C(reason)), nested stacks included.
  returned: on failure of a create, update or delete
  type: list
  elements: dict
outputs:
  description: The stack outputs, C(output_key) -> value.
  returned: when the stack exists
  type: dict
stack:
  description: The stack - C(id), C(name), C(status), C(status_reason), C(outputs), C(parameters) (Heat masks hidden ones), C(tags).
  returned: when the stack exists
  type: dict
update_calls:
  description: Create or update calls made (0 on a no-op run).
  returned: always
  type: int
writes:
  description: Write calls made to Heat.
  returned: always
  type: int
'''

import math
import os
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._heat.stack import (
    DIGEST_TAG,
    SETTLED_OK,
    StackFailed,
    Stacks,
    create_preview_resources,
    digest,
    digest_tag,
    engine_parse_race,
    failures_from_events,
    hidden_values,
    load_environments,
    load_template,
    now_heat,
    same_template,
    stack_summary,
    summarize_preview,
    unknown_parameters,
)
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def prepared_diff(name, before_status, changes):
    lines = ["stack %s (%s)" % (name, before_status or "absent")]
    for kind, mark in (("added", "+"), ("updated", "~"), ("replaced", "!"), ("deleted", "-")):
        for resource in changes.get(kind) or []:
            lines.append("%s %s (%s)" % (mark, resource, kind))
    if changes.get("unchanged"):
        lines.append("  %d resources unchanged" % changes["unchanged"])
    return "\n".join(lines) + "\n"


def failures_of(heat, name, stack_id, since, stack):
    record = dict(stack_name=name, id=stack_id)
    return failures_from_events(heat.events_since(record, since)) if stack is not None else []


def fail_with_failures(heat, name, stack_id, since, verb, stack, failures=None):
    failures = failures_of(heat, name, stack_id, since, stack) if failures is None else failures
    status = stack["stack_status"] if stack else "gone"
    reason = (stack or {}).get("stack_status_reason") or ""
    detail = "; ".join("%s%s: %s" % ("%s/" % f["stack"] if f["stack"] and f["stack"] != name else "", f["resource"], f["reason"])
                       for f in failures[:10])
    message = "Failed to %s stack %s: %s%s" % (verb, name, status, (" - " + detail) if detail else (" - " + reason if reason else ""))
    raise StackFailed(message, failures=failures, stack=stack_summary(stack))


def settle(heat, stack, params, deadline):
    """A stack found in progress: fail, or wait for it with wait_in_progress. A stack whose operation no engine
    runs any more (its engine died; Heat's convergence engine leaves it in progress) is returned as it is, marked
    ``ooo_orphaned``: the run supersedes that operation with its own."""
    if not stack["stack_status"].endswith("_IN_PROGRESS"):
        return stack
    reason = heat.orphaned(stack)
    if reason:
        return dict(stack, ooo_orphaned=reason)
    if not params["wait_in_progress"]:
        raise ValidationError(["name: stack %s is %s (since %s); wait for it to finish, or set wait_in_progress: true"
                               % (stack["stack_name"], stack["stack_status"], stack.get("updated_time") or stack.get("creation_time"))])
    return heat.wait(stack["stack_name"], stack["id"], deadline, "wait for", orphan_every=5)


def load_input(module):
    """Template, files and environment from disk, checked; nothing is contacted when they are wrong."""
    params = module.params
    template, files = load_template(params["template"])
    environment, env_files = load_environments(params["environment_files"], params.get("environment"))
    files.update(env_files)
    unknown = unknown_parameters(template, params["parameters"])
    if unknown:
        declared = sorted((template.get("parameters") or {}).keys())
        raise ValidationError(["parameters: %s not declared by %s (it declares: %s); fix the name or pass it in parameter_defaults"
                               % (", ".join(unknown), params["template"], ", ".join(declared) or "none")])
    for value in hidden_values(template, params["parameters"]):
        module.no_log_values.add(value)
    return template, files, environment


def present(module, heat, deadline, loaded):
    params = module.params
    template, files, environment = loaded
    name = params["name"]
    base_dir = os.path.dirname(os.path.abspath(params["template"]))
    want = digest(template, files, environment, params["parameters"], base_dir)
    body = dict(template=template, files=files, environment=environment, parameters=params["parameters"],
                tags=",".join(list(params["tags"]) + [DIGEST_TAG + want]), timeout_mins=max(1, int(math.ceil(params["timeout"] / 60.0))),
                disable_rollback=not params["rollback"])
    out = dict(changed=False, operation="none", writes=0, update_calls=0)
    stack = heat.find(name)
    if stack is not None:
        stack = settle(heat, stack, params, deadline)
        if stack is not None and stack["stack_status"] == "DELETE_COMPLETE":
            stack = None

    if stack is None:
        out.update(changed=True, operation="create")
        if module.check_mode:
            preview = heat.preview_create(name, body)
            out["changes"] = dict(added=create_preview_resources(preview, name), updated=[], replaced=[], deleted=[], unchanged=0)
            out["diff"] = dict(prepared=prepared_diff(name, None, out["changes"]))
            return out
        since = now_heat()
        stack_id = heat.create(name, body)
        if not params["wait"]:
            return finish(out, heat, heat.find(name))
        stack = heat.wait(name, stack_id, deadline, "create")
        if stack is None or stack["stack_status"] != "CREATE_COMPLETE":
            failures = failures_of(heat, name, stack_id, since, stack)
            if stack is None or not engine_parse_race(failures, stack.get("stack_status_reason")):
                fail_with_failures(heat, name, stack_id, since, "create", stack, failures)
            # Heat's parser race (ENGINE_PARSE_RACE): the failed stack is updated with the same body, once.
            out["retried"] = [failures[0]["reason"] if failures else stack.get("stack_status_reason")]
            return finish(out, heat, again(heat, stack, body, deadline, "create"))
        return finish(out, heat, stack)

    if stack.get("ooo_orphaned"):
        out["superseded"] = stack["ooo_orphaned"]
    clean = stack["stack_status"] in SETTLED_OK
    if clean and digest_tag(stack.get("tags")) == want and same_template(heat.stored_template(stack), template, base_dir):
        return finish(out, heat, stack)

    out.update(changed=True, operation="update")
    update_body = dict(body)
    if module.check_mode or module._diff:
        out["changes"] = summarize_preview(heat.preview_update(stack, update_body))
        out["diff"] = dict(prepared=prepared_diff(name, stack["stack_status"], out["changes"]))
    if module.check_mode:
        return finish(out, heat, stack)
    since = now_heat()
    heat.update(stack, update_body)
    if not params["wait"]:
        return finish(out, heat, heat.find(name))
    after = heat.wait(name, stack["id"], deadline, "update")
    if after is None or after["stack_status"] != "UPDATE_COMPLETE":
        failures = failures_of(heat, name, stack["id"], since, after)
        if after is None or not engine_parse_race(failures, after.get("stack_status_reason")):
            fail_with_failures(heat, name, stack["id"], since, "update", after, failures)
        out["retried"] = [failures[0]["reason"] if failures else after.get("stack_status_reason")]
        after = again(heat, after, update_body, deadline, "update")
    return finish(out, heat, after)


def again(heat, stack, body, deadline, verb):
    """The operation sent once more after Heat's parser race (ENGINE_PARSE_RACE), as an update of the failed stack
    with the same body; a second failure of any kind fails the run with its causes."""
    name = stack["stack_name"]
    since = now_heat()
    heat.update(stack, dict(body))
    after = heat.wait(name, stack["id"], deadline, "update")
    if after is None or after["stack_status"] != "UPDATE_COMPLETE":
        fail_with_failures(heat, name, stack["id"], since, "%s (sent again after Heat's yaql parser race)" % verb, after)
    return after


def absent(module, heat, deadline):
    name = module.params["name"]
    out = dict(changed=False, operation="none", writes=0, update_calls=0)
    stack = heat.find(name)
    if stack is None:
        return out
    stack = settle(heat, stack, module.params, deadline)
    if stack is None or stack["stack_status"] == "DELETE_COMPLETE":
        return out
    if stack.get("ooo_orphaned"):
        out["superseded"] = stack["ooo_orphaned"]
    out.update(changed=True, operation="delete")
    out["diff"] = dict(prepared="stack %s (%s)\n- deleted\n" % (name, stack["stack_status"]))
    if module.check_mode:
        return out
    since = now_heat()
    heat.delete(stack)
    if not module.params["wait"]:
        out["writes"], out["update_calls"] = heat.writes, heat.update_calls
        return out
    after = heat.wait(name, stack["id"], deadline, "delete")
    if after is not None and after["stack_status"] != "DELETE_COMPLETE":
        fail_with_failures(heat, name, stack["id"], since, "delete", after)
    out["writes"], out["update_calls"] = heat.writes, heat.update_calls
    return out


def finish(out, heat, stack):
    summary = stack_summary(stack)
    out.update(stack=summary, outputs=summary["outputs"], writes=heat.writes, update_calls=heat.update_calls)
    return out


def run_module(module):
    deadline = time.monotonic() + module.params["timeout"]
    loaded = load_input(module) if module.params["state"] == "present" else None
    heat = Stacks(open_connection(module.params), timeout=module.params["timeout"], poll=module.params["poll_interval"])
    if module.params["state"] == "absent":
        result = absent(module, heat, deadline)
    else:
        result = present(module, heat, deadline, loaded)
    if not module._diff:
        result.pop("diff", None)
    return result


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            environment=dict(type="dict"),
            environment_files=dict(type="list", elements="path", default=[]),
            name=dict(type="str", required=True),
            parameters=dict(type="dict", default={}),
            poll_interval=dict(type="float", default=1.0),
            rollback=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            tags=dict(type="list", elements="str", default=[]),
            template=dict(type="path"),
            wait_in_progress=dict(type="bool", default=False),
        ),
        required_if=[("state", "present", ("template",))],
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
