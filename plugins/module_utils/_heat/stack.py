# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Heat stacks: load a template with its files and environments, decide, preview, apply, explain failures.

No-op detection: the canonical digest of (template, files, environment,
parameters) is kept on the stack as the tag ``ooo-digest-<hex>``.  A stack
whose tag matches, whose stored template equals ours and whose status is a
clean ``*_COMPLETE`` needs nothing; no update call is made.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError, OOOError, ValidationError, failed
from ansible_collections.ooo.lifecycle.plugins.module_utils._retry import passing

try:
    from openstack.orchestration.util import environment_format, template_format, template_utils
    HAS_HEAT_UTILS = True
except ImportError:  # the module reports the missing openstacksdk
    HAS_HEAT_UTILS = False

DIGEST_TAG = "ooo-digest-"
SETTLED_OK = ("CREATE_COMPLETE", "UPDATE_COMPLETE", "RESUME_COMPLETE", "CHECK_COMPLETE", "SNAPSHOT_COMPLETE", "ADOPT_COMPLETE")
ENV_SECTIONS = ("parameter_defaults", "parameters", "resource_registry", "encrypted_param_names", "event_sinks",
                "parameter_merge_strategies")


class StackFailed(OOOError):
    """A create, update or delete ended in a failed state; ``failures`` names the resources."""


# -- loading (pure but for reading files) ------------------------------------

def _file_url(path):
    return "file://" + os.path.abspath(path)


def load_template(path):
    """(template dict, files map) with every get_file and nested template resolved from disk."""
    if not os.path.isfile(path):
        raise ValidationError(["template: %s does not exist; give the path of the stack's Heat template" % path])
    with open(path) as handle:
        text = handle.read()
    try:
        template_format.parse(text)
    except ValueError as exc:
        raise ValidationError(["template: %s is not a valid Heat template: %s" % (path, " ".join(str(exc).split()))])
    try:
        files, template = template_utils.get_template_contents(template_file=os.path.abspath(path))
    except Exception as exc:  # pylint: disable=broad-except
        raise ValidationError(["template: %s references a file that cannot be read (get_file or a nested template type): %s"
                               % (path, _file_cause(exc))])
    return template, files


def _file_cause(exc):
    text = str(exc)
    marker = "Could not fetch contents for "
    if marker in text:
        return "%s does not exist" % text.split(marker, 1)[1].replace("file://", "")
    return " ".join(text.split())


def load_environments(paths, inline=None):
    """(environment dict, files map) from environment files in order, then ``inline`` (a dict) on top."""
    for path in paths or []:
        if not os.path.isfile(path):
            raise ValidationError(["environment_files: %s does not exist" % path])
        with open(path) as handle:
            try:
                environment_format.parse(handle.read())
            except ValueError as exc:
                raise ValidationError(["environment_files: %s is not a valid Heat environment: %s (sections allowed: %s)"
                                       % (path, " ".join(str(exc).split()), ", ".join(ENV_SECTIONS))])
    try:
        files, env = template_utils.process_multiple_environments_and_files(env_paths=[os.path.abspath(p) for p in paths or []])
    except Exception as exc:  # pylint: disable=broad-except
        raise ValidationError(["environment_files: a file an environment refers to cannot be read: %s" % _file_cause(exc)])
    if inline:
        unknown = sorted(set(inline) - set(ENV_SECTIONS))
        if unknown:
            raise ValidationError(["environment: unknown section(s) %s; allowed: %s" % (", ".join(unknown), ", ".join(ENV_SECTIONS))])
        env = template_utils.deep_update(env, inline)
    return env, files


def unknown_parameters(template, parameters):
    """Pure: names given in ``parameters`` that the template does not declare."""
    declared = set((template.get("parameters") or {}).keys())
    return sorted(set(parameters or {}) - declared)


def hidden_values(template, parameters):
    """Pure: the values given for parameters the template marks hidden (to be masked in output)."""
    out = []
    for name, spec in (template.get("parameters") or {}).items():
        if isinstance(spec, dict) and spec.get("hidden") and name in (parameters or {}):
            out.append(str(parameters[name]))
    return out


def digest(template, files, environment, parameters, base_dir):
    """Pure: canonical digest of everything that makes the stack; file URLs are made relative to ``base_dir``."""
    blob = json.dumps(dict(template=template, files=files, environment=environment, parameters=parameters or {}),
                      sort_keys=True, separators=(",", ":"), default=str)
    blob = blob.replace("file://" + os.path.abspath(base_dir).rstrip("/") + "/", "file://./")
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:40]


def same_template(stored, ours, base_dir):
    """Pure: whether Heat's stored template is ours, a file URL counting as the same when it names the same
    file relative to the template's directory (the same templates checked out elsewhere)."""
    prefix = "file://" + os.path.abspath(base_dir).rstrip("/") + "/"
    if isinstance(ours, dict):
        return isinstance(stored, dict) and set(stored) == set(ours) and all(same_template(stored[k], ours[k], base_dir) for k in ours)
    if isinstance(ours, list):
        return isinstance(stored, list) and len(stored) == len(ours) and all(same_template(a, b, base_dir) for a, b in zip(stored, ours))
    if isinstance(ours, str) and ours.startswith(prefix) and isinstance(stored, str) and stored.startswith("file://"):
        return stored.endswith("/" + ours[len(prefix):])
    return stored == ours


def digest_tag(tags):
    """Pure: the digest carried in a stack's tags, or None."""
    for tag in tags or []:
        if tag.startswith(DIGEST_TAG):
            return tag[len(DIGEST_TAG):]
    return None


def summarize_preview(preview):
    """Pure: Heat's update preview as {added, updated, replaced, deleted: [names], unchanged: count}."""
    changes = preview.get("resource_changes") or {}
    out = {}
    for kind in ("added", "updated", "replaced", "deleted"):
        out[kind] = sorted(_preview_name(r) for r in changes.get(kind) or [])
    out["unchanged"] = len(changes.get("unchanged") or [])
    return out


def _preview_name(resource):
    name = resource.get("resource_name") or resource.get("resource_identity", {}).get("resource_name") or "?"
    parent = resource.get("parent_resource")
    return "%s/%s" % (parent, name) if parent else name


def create_preview_resources(preview, name):
    """Pure: names of the resources a create preview lists; nested ones as ``<nested stack>/<resource>``.

    Heat names nested stacks ``<parent stack>-<resource>-...``; the parent's prefix is dropped.
    """
    names = []

    def walk(items):
        for item in items or []:
            if isinstance(item, list):
                walk(item)
            elif isinstance(item, dict) and item.get("resource_name"):
                stack = item.get("stack_name") or name
                if stack != name and stack.startswith(name + "-"):
                    names.append("%s/%s" % (stack[len(name) + 1:], item["resource_name"]))
                else:
                    names.append(item["resource_name"])
    walk(preview.get("resources"))
    return sorted(names)


def failures_from_events(events):
    """Pure: the failed resources of an operation's events, newest first, one per resource and stack."""
    seen, out = set(), []
    for event in events:
        status = event.get("resource_status") or ""
        if not status.endswith("_FAILED"):
            continue
        stack = link_stack(event)
        if event.get("resource_name") == stack:
            continue  # the stack's own event; its reason is the stack's status_reason
        key = (stack, event.get("resource_name"))
        if key in seen:
            continue
        seen.add(key)
        out.append(dict(resource=event.get("resource_name"), stack=stack, status=status,
                        reason=event.get("resource_status_reason")))
    # The causes first: resources Heat merely cancelled because another failed go last.
    out.sort(key=lambda f: "cancelled" in (f["reason"] or ""))
    return out


# Heat's engine shares one yaql parser between its threads; two resources resolving yaql at once can corrupt its
# lexer, and a resource fails with this for an expression that parses (measured: the plan's container_configs, once in
# a few hundred updates). The API had already parsed every expression of the template when it accepted the request,
# so such a failure is the race, never the template: the operation is sent again (docs/reliability.md).
ENGINE_PARSE_RACE = "Bad expression Parse error"


def engine_parse_race(failures, reason=""):
    """Pure: whether an operation failed only on Heat's yaql parser race (every cause is that error)."""
    causes = [f.get("reason") or "" for f in failures if "cancelled" not in (f.get("reason") or "")]
    causes = causes or [reason or ""]
    return all(ENGINE_PARSE_RACE in cause for cause in causes)


def link_stack(item):
    for link in item.get("links") or []:
        if link.get("rel") == "stack":
            parts = link.get("href", "").rstrip("/").split("/")
            if len(parts) >= 2:
                return parts[-2]
    return None


# -- the cloud side ---------------------------------------------------------

class Stacks(object):
    """Heat calls through openstacksdk's orchestration proxy session, counting writes."""

    def __init__(self, conn, timeout=600, poll=1.0):
        self.conn = conn
        self.timeout = timeout
        self.poll = poll
        self.writes = 0
        self.update_calls = 0

    def _request(self, method, url, verb, name, expect=(200,), write=False, **kwargs):
        if write:
            self.writes += 1
        try:
            resp = getattr(self.conn.orchestration, method)(url, raise_exc=False, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError(failed(verb, "stack", name, str(exc)))
        if resp.status_code not in expect:
            raise APIError(failed(verb, "stack", name, "HTTP %s: %s" % (resp.status_code, _heat_error(resp))), status_code=resp.status_code)
        return resp

    def find(self, name):
        """The stack record, or None (deleted stacks count as absent)."""
        resp = self._request("get", "/stacks/%s" % name, "read", name, expect=(200, 404))
        if resp.status_code == 404:
            return None
        stack = resp.json()["stack"]
        if stack.get("stack_status") == "DELETE_COMPLETE":
            return None
        return stack

    def path(self, stack):
        return "/stacks/%s/%s" % (stack["stack_name"], stack["id"])

    def stored_template(self, stack):
        return self._request("get", self.path(stack) + "/template", "read the template of", stack["stack_name"]).json()

    def preview_create(self, name, body):
        resp = self._request("post", "/stacks/preview", "preview", name, json=dict(body, stack_name=name))
        return resp.json().get("stack", {})

    def preview_update(self, stack, body):
        resp = self._request("put", self.path(stack) + "/preview", "preview the update of", stack["stack_name"], json=body)
        return resp.json()

    def create(self, name, body):
        self.update_calls += 1
        resp = self._request("post", "/stacks", "create", name, expect=(201,), json=dict(body, stack_name=name), write=True)
        return resp.json()["stack"]["id"]

    def update(self, stack, body):
        self.update_calls += 1
        self._request("put", self.path(stack), "update", stack["stack_name"], expect=(202,), json=body, write=True)

    def delete(self, stack):
        self._request("delete", self.path(stack), "delete", stack["stack_name"], expect=(204, 404), write=True)

    def events_since(self, stack, since):
        return [e for e in self.events(stack, 200) if (e.get("event_time") or "") >= since]

    def events(self, stack, limit):
        """The newest ``limit`` events of the stack and its nested stacks, newest first."""
        resp = self._request("get", self.path(stack) + "/events", "read the events of", stack["stack_name"],
                             params={"nested_depth": 5, "sort_dir": "desc", "sort_keys": "event_time", "limit": limit})
        return resp.json().get("events", [])

    def orphaned(self, stack):
        """Why no engine runs the stack's operation in progress (``orphaned_reason``), or None - also when the
        service list cannot be read (it takes an admin)."""
        try:
            resp = self._request("get", "/services", "list the engines for", stack["stack_name"], expect=(200, 403))
        except APIError:
            return None
        if resp.status_code != 200:
            return None
        return orphaned_reason(stack, resp.json().get("services", []))

    def wait(self, name, stack_id, deadline, what, orphan_every=None):
        """Poll until the stack leaves *_IN_PROGRESS; return the last record (None once it is gone).

        With ``orphan_every`` (seconds), the engines are also read that often, and a stack whose operation no engine
        runs is returned while still in progress, with the reason under ``ooo_orphaned``."""
        path = "/stacks/%s/%s" % (name, stack_id)
        next_check = time.monotonic()
        while True:
            try:
                resp = self._request("get", path, "read", name, expect=(200, 404))
            except APIError as exc:
                # Heat's API restarting, or its proxy without a backend: the stack goes on; so does the wait.
                if not passing(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(self.poll)
                continue
            stack = resp.json()["stack"] if resp.status_code == 200 else None
            if stack is None or not stack["stack_status"].endswith("_IN_PROGRESS"):
                return stack
            if orphan_every is not None and time.monotonic() >= next_check:
                next_check = time.monotonic() + orphan_every
                reason = self.orphaned(stack)
                if reason:
                    return dict(stack, ooo_orphaned=reason)
            if time.monotonic() >= deadline:
                raise StackFailed(failed(what, "stack", name, "still %s after %ss; Heat goes on, look again with "
                                         "ooo.lifecycle.heat_stack_info or raise timeout" % (stack["stack_status"], self.timeout)),
                                  stack_status=stack["stack_status"])
            time.sleep(self.poll)


def _heat_time(text):
    """Pure: a time as Heat writes it (2026-12-06T13:48:19Z, or 2026-12-06T13:48:56.000000), naive UTC; None if none."""
    if not text:
        return None
    return datetime.datetime.strptime(str(text).rstrip("Z").split(".", maxsplit=1)[0], "%Y-%m-%dT%H:%M:%S")


def orphaned_reason(stack, services):
    """Pure: why no heat-engine can be running the stack's operation in progress, or None.

    Heat's convergence engine (its default) does not reset a stack whose engine died mid-operation, as the legacy
    engine does at start: the stack stays *_IN_PROGRESS until its timeout, with nothing working on it. It is
    orphaned when every engine up now started after the operation began (Heat's service list: an engine that is
    killed is reported down once its heartbeat is older than its report interval). With no engine up at all,
    nothing could run a new operation either: not orphaned, the caller waits as before.
    """
    if not stack or not stack.get("stack_status", "").endswith("_IN_PROGRESS"):
        return None
    began = _heat_time(stack.get("updated_time") or stack.get("creation_time"))
    engines = [s for s in services or [] if s.get("binary", "heat-engine") == "heat-engine"]
    up = [s for s in engines if s.get("status") == "up"]
    if began is None or not up:
        return None
    if any((_heat_time(s.get("created_at")) or began) <= began for s in up):
        return None
    started = sorted({s.get("created_at", "?").split(".", maxsplit=1)[0] for s in up})
    return ("%s since %s, and no heat-engine up now was running then (the engines up started at %s; the one that "
            "ran it died)" % (stack["stack_status"], stack.get("updated_time") or stack.get("creation_time"), ", ".join(started)))


def now_heat():
    """The current UTC time as Heat writes event times, a second early to be safe."""
    return (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")


def outputs_dict(stack):
    """Pure: a stack's outputs as {key: value}, and errors as {key: message}."""
    values, errors = {}, {}
    for output in stack.get("outputs") or []:
        values[output["output_key"]] = output.get("output_value")
        if output.get("output_error"):
            errors[output["output_key"]] = output["output_error"]
    return values, errors


def stack_summary(stack):
    """Pure: the stack fields results show."""
    if stack is None:
        return None
    outputs, errors = outputs_dict(stack)
    out = dict(id=stack.get("id"), name=stack.get("stack_name"), status=stack.get("stack_status"),
               status_reason=stack.get("stack_status_reason"), created=stack.get("creation_time"), updated=stack.get("updated_time"),
               tags=[t for t in (stack.get("tags") or []) if not t.startswith(DIGEST_TAG)], outputs=outputs)
    if errors:
        out["output_errors"] = errors
    if "parameters" in stack:
        out["parameters"] = dict((k, v) for k, v in stack["parameters"].items() if not k.startswith("OS::"))
    return out


def _heat_error(resp):
    try:
        data = resp.json()
        err = data.get("error") or {}
        message = err.get("message") or data.get("explanation") or resp.text
        if err.get("type") and err["type"] not in ("HTTPBadRequest",):
            message = "%s: %s" % (err["type"], message)
        return " ".join(str(message).split())[:800]
    except ValueError:
        return " ".join((resp.text or "").split())[:800]
