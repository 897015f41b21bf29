#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: registry_login
short_description: Trust and log in to a container image registry, for podman and docker, without running either
version_added: 0.3.0
description:
  - Makes a host's container engines pull from (and push to) a registry that serves TLS with a certificate of a
    private CA and asks for a user and password, as the undercloud's registry does.
  - Writes the registry's CA certificate as C(ca.crt) in the registry's directory under each of O(certs_dirs) (podman's
    C(/etc/containers/certs.d), docker's C(/etc/docker/certs.d)), so that the engines verify the registry's
    certificate; the credential into each of O(auth_files) (podman's C(auth.json), docker's C(config.json), the same
    C(auths) format), keeping every other entry and key of those files; and, with O(registries_conf), a
    C(registries.conf.d) drop-in that says the registry is not insecure, which overrides an older image's
    C(insecure = true) for it.
  - Idempotent, without a podman or docker process, and without the network (nothing is asked of the registry). Every
    file is written atomically and only when its content or mode changes; credential files are mode 0600.
  - Bad input (a registry that is not C(HOST[:PORT]), a user without a password, a CA that is not a PEM certificate, a
    credential file that is not JSON) fails before anything is written, naming the field and the fix.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reports what would be written, without writing.
  diff_mode:
    support: full
    description: The files and what changes in them; the credential is shown as C(********).
options:
  registry:
    description: The registry, C(HOST[:PORT]) as it appears in image references (C(198.18.0.1:8787)).
    type: str
    required: true
  username:
    description: The user; with O(password). Without both, the credential files are not touched.
    type: str
  password:
    description: The user's password. Never logged nor returned.
    type: str
  ca_cert:
    description: The CA certificate (PEM) that signed the registry's certificate. Without it, the CA files are not touched.
    type: str
  auth_files:
    description: The credential files to hold the login (podman's and docker's for the user the module runs as).
    type: list
    elements: path
    default: [~/.config/containers/auth.json, ~/.docker/config.json]
  certs_dirs:
    description: The directories whose C(REGISTRY/ca.crt) the engines read.
    type: list
    elements: path
    default: [/etc/containers/certs.d, /etc/docker/certs.d]
  registries_conf:
    description:
      - A C(registries.conf.d) drop-in to write, saying the registry is not insecure (TLS verified), such as
        C(/etc/containers/registries.conf.d/50-ooo-registry.conf). Not written when not given.
    type: path
  state:
    description: C(present) writes all of the above; C(absent) removes the registry's entry, CA and drop-in.
    type: str
    choices: [present, absent]
    default: present
'''

EXAMPLES = r'''
- name: The machines pull from the undercloud's registry, verifying its certificate
  ooo.lifecycle.registry_login:
    registry: 198.18.0.1:8787
    username: ooo-pull
    password: "{{ registry_pull_password }}"
    ca_cert: "{{ lookup('ansible.builtin.file', '/etc/ooo-undercloud/pki/ca.crt') }}"
    registries_conf: /etc/containers/registries.conf.d/50-ooo-registry.conf
'''

RETURN = r'''
written:
  description: The files written or removed (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
'''

import base64
import json
import os
import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._files import read_bytes, write_atomic
from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError, exit_with

REGISTRY = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)(:[0-9]{1,5})?$")
PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s+[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----")
MASK = "********"


def validate(params):
    """The problems of the options, each naming the field and the fix (none: the list is empty)."""
    problems = []
    registry = params["registry"] or ""
    if not REGISTRY.match(registry):
        problems.append("registry: %r is not HOST[:PORT] (for example 198.18.0.1:8787; no scheme, no path)" % registry)
    if params["state"] == "present":
        if bool(params["username"]) != bool(params["password"]):
            problems.append("username and password: give both (a login) or neither (trust the CA only)")
        if params["username"] and ":" in params["username"]:
            problems.append("username: %r holds ':', which the auth entry cannot carry; choose another user" % params["username"])
        if params["ca_cert"] is not None and not PEM.search(params["ca_cert"]):
            problems.append("ca_cert: not a PEM certificate (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)")
    return problems


def auth_entry(username, password):
    """The `auths` entry of podman's auth.json and docker's config.json."""
    return {"auth": base64.b64encode(("%s:%s" % (username, password)).encode("utf-8")).decode("ascii")}


def with_login(document, registry, entry):
    """The credential file's document with the registry's entry set (entry) or removed (None); other keys are kept."""
    new = dict(document)
    auths = dict(new.get("auths") or {})
    if entry is None:
        auths.pop(registry, None)
    else:
        auths[registry] = dict(auths.get(registry) or {}, **entry)
        for stale in ("identitytoken", "registrytoken"):
            auths[registry].pop(stale, None)
    new["auths"] = auths
    return new


def dropin(registry):
    """The registries.conf.d drop-in: this registry is reached over TLS, verified."""
    return ('# Written by ooo.lifecycle.registry_login: the registry serves TLS with a certificate of its CA (certs.d).\n'
            '[[registry]]\nlocation = "%s"\ninsecure = false\n' % registry)


def _whole_file(path, data, mode=0o644):
    """The change that makes path hold data with mode (data None: no file), as a list of none or one."""
    old = read_bytes(path)
    if old == data and (data is None or (os.stat(path).st_mode & 0o777) == mode):
        return []
    shown = ["absent" if text is None else text.decode("utf-8", "replace") for text in (old, data)]
    return [(path, data, mode, shown[0], shown[1])]


def plan(params):
    """What to write: [(path, bytes or None to remove, mode, shown_before, shown_after)], after reading every file
    (a credential file that is not JSON fails here, before anything is written)."""
    registry, present = params["registry"], params["state"] == "present"
    changes = []
    login = present and params["username"]
    if login or not present:
        entry = auth_entry(params["username"], params["password"]) if login else None
        shown = dict(entry, auth=MASK) if entry else None
        for path in params["auth_files"]:
            text = read_bytes(path)
            if text is None and entry is None:
                continue  # no file, nothing to remove
            try:
                document = json.loads(text) if text and text.strip() else {}
            except ValueError as exc:
                raise ValidationError(["auth_files: %s is not JSON (%s); mend or remove it" % (path, exc)]) from exc
            if not isinstance(document, dict) or not isinstance(document.get("auths", {}), dict):
                raise ValidationError(["auth_files: %s is not a credential file ({\"auths\": {...}}); mend or remove it" % path])
            new = with_login(document, registry, entry)
            old_entry = (document.get("auths") or {}).get(registry)
            mode_ok = text is None or (os.stat(path).st_mode & 0o777) == 0o600
            if new != document or not mode_ok:
                before = "absent" if old_entry is None else json.dumps(dict(old_entry, auth=MASK) if "auth" in old_entry else old_entry)
                changes.append((path, (json.dumps(new, indent=2, sort_keys=True) + "\n").encode("utf-8"), 0o600,
                                "auths[%s]: %s" % (registry, before), "auths[%s]: %s" % (registry, json.dumps(shown) if shown else "absent")))
    if params["ca_cert"] is not None or not present:
        data = (params["ca_cert"].strip() + "\n").encode("ascii") if present else None
        for directory in params["certs_dirs"]:
            changes.extend(_whole_file(os.path.join(directory, registry, "ca.crt"), data))
    if params["registries_conf"]:
        changes.extend(_whole_file(params["registries_conf"], dropin(registry).encode("utf-8") if present else None))
    return changes


def run(module):
    params = dict(module.params)
    problems = validate(params)
    if problems:
        raise ValidationError(problems)
    if params["password"]:
        module.no_log_values.add(auth_entry(params["username"], params["password"])["auth"])
    changes = plan(params)
    if not module.check_mode:
        for path, data, mode, dummy, dummy2 in changes:
            if data is None:
                os.unlink(path)
            else:
                write_atomic(path, data, mode)
    diff = {"before": "".join("%s: %s\n" % (c[0], c[3]) for c in changes),
            "after": "".join("%s: %s\n" % (c[0], c[4]) for c in changes)}
    return dict(changed=bool(changes), written=[c[0] for c in changes], diff=diff)


def main():
    module = OOOModule(
        argument_spec=dict(
            registry=dict(type="str", required=True),
            username=dict(type="str"),
            password=dict(type="str", no_log=True),
            ca_cert=dict(type="str"),
            auth_files=dict(type="list", elements="path", default=["~/.config/containers/auth.json", "~/.docker/config.json"]),
            certs_dirs=dict(type="list", elements="path", default=["/etc/containers/certs.d", "/etc/docker/certs.d"]),
            registries_conf=dict(type="path"),
            state=dict(type="str", choices=["present", "absent"], default="present"),
        ),
        supports_check_mode=True,
    )
    exit_with(module, run)


if __name__ == "__main__":
    main()
