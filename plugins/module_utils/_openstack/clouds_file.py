# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: one entry of clouds.yaml and its secrets in secure.yaml, read, changed and written back.

openstacksdk (and os-client-config and shade before it) reads ``secure.yaml`` beside ``clouds.yaml`` and merges
each entry into the entry of the same name, so a password never has to sit in ``clouds.yaml``. These helpers
validate an entry, compute the new content of both files (other entries and other top-level keys kept), and
describe the change without showing a secret.
"""

from __future__ import annotations

import copy

# The secret keys of an entry's auth section belong in secure.yaml: the same list the connection masks.
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import SECRET_AUTH_KEYS, ValidationError


def load(text, path):
    """The document of a clouds.yaml or secure.yaml text: a mapping whose ``clouds`` is a mapping ({} when empty)."""
    import yaml  # PyYAML comes with ansible-core

    try:
        data = yaml.safe_load(text) if text and text.strip() else {}
    except yaml.YAMLError as exc:
        raise ValidationError(["%s: not valid YAML (%s); fix or move the file" % (path, str(exc).splitlines()[0])])
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ValidationError(["%s: expected a mapping with a 'clouds' key, got %s; fix or move the file" % (path, type(data).__name__)])
    clouds = data.get("clouds")
    if clouds is None:
        clouds = {}
    if not isinstance(clouds, dict):
        raise ValidationError(["%s: 'clouds' must be a mapping of entry name to entry, got %s; fix the file" % (path, type(clouds).__name__)])
    data = dict(data, clouds=clouds)
    return data


def dump(data):
    import yaml

    return yaml.safe_dump(data, default_flow_style=False, sort_keys=True, indent=2)


def validate(name, entry, secrets):
    """Every problem of the requested entry at once, naming the field and the fix."""
    problems = []
    if not isinstance(name, str) or not name.strip():
        problems.append("name: give the clouds.yaml entry's name (a non-empty string)")
    if entry is None:
        return problems
    if not isinstance(entry, dict):
        return problems + ["entry: expected a mapping (the clouds.yaml entry), got %s" % type(entry).__name__]
    auth = entry.get("auth")
    if auth is not None and not isinstance(auth, dict):
        problems.append("entry.auth: expected a mapping, got %s" % type(auth).__name__)
    elif isinstance(auth, dict):
        for key in SECRET_AUTH_KEYS:
            if key in auth:
                problems.append("entry.auth.%s: a secret does not belong in clouds.yaml; pass it as secrets.auth.%s "
                                "(written to secure.yaml, mode 0600)" % (key, key))
        if not auth.get("auth_url") and entry.get("auth_type") not in ("none", "admin_token", "noauth"):
            problems.append("entry.auth.auth_url: required (the Keystone URL, such as http://198.18.0.1:5000/v3)")
    elif entry.get("auth_type") not in ("none", "noauth"):
        problems.append("entry.auth: required (auth_url, username, project_name and domains)")
    if secrets is not None and not isinstance(secrets, dict):
        problems.append("secrets: expected a mapping such as {auth: {password: ...}}, got %s" % type(secrets).__name__)
    return problems


def apply(clouds_doc, secure_doc, name, entry, secrets, state):
    """The new documents of both files: ``entry`` replaces the entry ``name`` of clouds.yaml and ``secrets`` its entry
    in secure.yaml (no secrets: the secure.yaml entry is removed); state absent removes the entry from both."""
    clouds_doc, secure_doc = copy.deepcopy(clouds_doc), copy.deepcopy(secure_doc)
    if state == "absent":
        clouds_doc["clouds"].pop(name, None)
        secure_doc["clouds"].pop(name, None)
        return clouds_doc, secure_doc
    clouds_doc["clouds"][name] = copy.deepcopy(entry)
    if secrets:
        secure_doc["clouds"][name] = copy.deepcopy(secrets)
    else:
        secure_doc["clouds"].pop(name, None)
    return clouds_doc, secure_doc


def masked(value):
    """A copy of a secure.yaml entry with every leaf shown as '********'."""
    if isinstance(value, dict):
        return dict((k, masked(v)) for k, v in value.items())
    return "********"
