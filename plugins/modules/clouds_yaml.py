#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: clouds_yaml
short_description: Manage one entry of clouds.yaml, with its secrets in secure.yaml
version_added: 0.3.0
description:
  - Writes one entry of an operator's C(clouds.yaml) and its secrets (the password) into C(secure.yaml) beside it,
    which openstacksdk, the C(openstack) client, os-client-config and shade merge into the entry of the same name.
    Every other entry, and every other top-level key of both files, is kept.
  - The entry given replaces the entry of that name (keys no longer given disappear); the secrets given replace its
    secure.yaml entry. Both files are written with mode 0600 (their directory 0700), atomically, and only when their
    content changes; a file whose content does not change is not written.
  - Bad input (an entry that is not a mapping, a secret inside O(entry), a file that is not clouds.yaml-shaped) fails
    before anything is written, naming the field and the fix.
  - The comments and layout of a file this module rewrites are not kept (it is written back as sorted YAML).
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reports what would change, and the diff, without writing.
  diff_mode:
    support: full
    description: The clouds.yaml entry before and after; secure.yaml's values are shown as C(********).
options:
  name:
    description: The entry's name (what O(ooo.lifecycle.image#module:cloud) and C(OS_CLOUD) refer to).
    type: str
    required: true
  state:
    description: C(present) writes the entry; C(absent) removes it from both files.
    type: str
    choices: [present, absent]
    default: present
  entry:
    description:
      - The entry without its secrets, for example C(auth) (C(auth_url), C(username), C(project_name), the domains),
        C(region_name), C(interface), C(identity_api_version), C(image_format).
      - Required with O(state=present).
    type: dict
  secrets:
    description:
      - "The entry's secrets, written to C(secure.yaml), for example C({auth: {password: ...}}). Never logged nor
        returned. Without them the entry's secure.yaml part is removed."
    type: dict
  path:
    description: The clouds.yaml file.
    type: path
    default: ~/.config/openstack/clouds.yaml
  secure_path:
    description: The secure.yaml file; by default C(secure.yaml) in the directory of O(path).
    type: path
'''

EXAMPLES = r'''
- name: The undercloud's entry, its password in secure.yaml
  ooo.lifecycle.clouds_yaml:
    name: undercloud
    entry:
      auth:
        auth_url: http://198.18.0.1:5000/v3
        username: admin
        project_name: admin
        user_domain_name: Default
        project_domain_name: Default
      region_name: regionOne
      identity_api_version: 3
    secrets:
      auth:
        password: "{{ undercloud_admin_password }}"

- name: Forget a cloud
  ooo.lifecycle.clouds_yaml:
    name: old-lab
    state: absent
'''

RETURN = r'''
path:
  description: The clouds.yaml file.
  returned: always
  type: str
secure_path:
  description: The secure.yaml file.
  returned: always
  type: str
written:
  description: The files written (or, in check mode, that would be).
  returned: always
  type: list
  elements: str
'''

import os

from ansible_collections.ooo.lifecycle.plugins.module_utils._files import read_bytes, write_atomic
from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack import clouds_file
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError, exit_with


def run(module):
    p = module.params
    path = p["path"]
    secure_path = p["secure_path"] or os.path.join(os.path.dirname(path), "secure.yaml")
    problems = clouds_file.validate(p["name"], p["entry"], p["secrets"])
    if p["state"] == "present" and p["entry"] is None:
        problems.append("entry: required with state present (the clouds.yaml entry without its secrets)")
    if problems:
        raise ValidationError(problems)
    raw = dict((f, read_bytes(f)) for f in (path, secure_path))
    texts = dict((f, None if data is None else data.decode("utf-8")) for f, data in raw.items())
    docs = dict((f, clouds_file.load(t, f)) for f, t in texts.items())
    new_clouds, new_secure = clouds_file.apply(docs[path], docs[secure_path], p["name"], p["entry"], p["secrets"], p["state"])
    new = {path: new_clouds, secure_path: new_secure}
    written = []
    for f in (path, secure_path):
        unchanged = new[f] == docs[f]
        mode_ok = texts[f] is None or (os.stat(f).st_mode & 0o777) == 0o600
        if texts[f] is None and not new[f]["clouds"] and set(new[f]) == {"clouds"}:
            continue  # nothing to keep in a file that does not exist
        if not unchanged or not mode_ok:
            written.append(f)
    if written and not module.check_mode:
        for f in written:
            if new[f] == docs[f] and texts[f] is not None:
                os.chmod(f, 0o600)
            else:
                write_atomic(f, clouds_file.dump(new[f]).encode("utf-8"), 0o600)
    before = docs[path]["clouds"].get(p["name"])
    after = new_clouds["clouds"].get(p["name"])
    before_secret = docs[secure_path]["clouds"].get(p["name"])
    after_secret = new_secure["clouds"].get(p["name"])
    diff = {"before": clouds_file.dump({"clouds": {p["name"]: before}}) if before is not None else "",
            "after": clouds_file.dump({"clouds": {p["name"]: after}}) if after is not None else "",
            "before_header": path, "after_header": path}
    if before_secret != after_secret:
        diff["before"] += "# secure.yaml: %s\n" % (clouds_file.masked(before_secret) if before_secret is not None else "absent")
        diff["after"] += "# secure.yaml: %s (changed)\n" % (clouds_file.masked(after_secret) if after_secret is not None else "absent")
    return dict(changed=bool(written), path=path, secure_path=secure_path, written=written, diff=diff)


def main():
    module = OOOModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", choices=["present", "absent"], default="present"),
            entry=dict(type="dict"),
            secrets=dict(type="dict", no_log=True),
            path=dict(type="path", default="~/.config/openstack/clouds.yaml"),
            secure_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    exit_with(module, run)


if __name__ == "__main__":
    main()
