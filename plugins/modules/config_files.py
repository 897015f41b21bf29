#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: config_files
short_description: Write many configuration files and their directories in one call, each only when it changes
version_added: 0.3.0
description:
  - Creates O(directories) and writes O(files) on the host, in that order, in one module run. A deployment writes
    dozens of small files per machine; as one task with a loop, each file costs a module run (two for
    M(ansible.builtin.template)), which is most of a deployment rerun's time on a machine that changes nothing.
  - Each file is written atomically (a temporary file in its directory, then renamed over it), and only when its
    content differs; a file whose content is right but whose mode is not has its mode set. A directory is created
    when missing, and its mode set when it differs.
  - The contents are rendered by the caller (for example with the M(ansible.builtin.template) lookup); the module
    compares and writes bytes, so the same content always gives the same file.
  - Bad input (a relative path, a mode that is not octal, a file twice) fails before anything is written, naming the
    item and the fix.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reports which directories would be created and which files written, without writing.
  diff_mode:
    support: full
    description: Each file that changes, before and after; for O(secret_files), only its path and C(********).
options:
  directories:
    description: Directories (absolute paths) to create, parents included, before the files are written.
    type: list
    elements: path
    default: []
  directory_mode:
    description: The octal mode of O(directories), as a string (C("0700")).
    type: str
    default: "0755"
  files:
    description: The files. Their directories must exist, or be among O(directories).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      content:
        description: The whole content (text, written as UTF-8).
        type: str
        required: true
      mode:
        description: Octal mode, as a string (C("0644")).
        type: str
        default: "0644"
  secret_files:
    description:
      - Files whose contents hold secrets, as O(files). Their contents are never logged nor returned (masked wherever
        they would appear); the diff shows each changed one's path and C(********).
    type: list
    elements: dict
    default: []
    suboptions:
      path:
        description: Absolute path.
        type: path
        required: true
      content:
        description: The whole content (text, written as UTF-8).
        type: str
        required: true
      mode:
        description: Octal mode, as a string.
        type: str
        default: "0600"
'''

EXAMPLES = r'''
- name: Write the service configuration files
  ooo.lifecycle.config_files:
    directories: [/var/lib/config-data/ooo/keystone]
    directory_mode: "0700"
    files:
      - path: /var/lib/config-data/ooo/keystone/keystone.conf
        content: "{{ lookup('ansible.builtin.template', 'keystone.conf.j2') }}"
        mode: "0644"
'''

RETURN = r'''
written:
  description: The files written (or that would be, in check mode), content or mode.
  returned: always
  type: list
  elements: str
directories_created:
  description: The directories created (or that would be), or whose mode was set.
  returned: always
  type: list
  elements: str
'''

import os
import re
import stat

from ansible_collections.ooo.lifecycle.plugins.module_utils._files import write_atomic
from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule

MODE = re.compile(r"^0?[0-7]{3,4}$")


def problems_in(directories, directory_mode, files, secret_files=()):
    """Every problem of the input, each naming the item and the fix (empty when it is good)."""
    found = []
    items = [("directories[%d]" % index, dict(path=path, mode=directory_mode)) for index, path in enumerate(directories)]
    items += [("files[%d]" % index, item) for index, item in enumerate(files)]
    items += [("secret_files[%d]" % index, item) for index, item in enumerate(secret_files)]
    seen = set()
    for where, item in items:
        path = item.get("path")
        where = "%s (%s)" % (where, path)
        if not os.path.isabs(path or ""):
            found.append("%s: path must be absolute" % where)
        if not MODE.match(str(item.get("mode") or "")):
            found.append("%s: mode %r is not an octal mode; give a string such as \"0644\"" % (where, item.get("mode")))
        if not where.startswith("directories") and path in seen:
            found.append("%s: given twice; give each file once" % where)
        seen.add(path)
    return found


def plan_directory(path, mode):
    """What a directory needs: None, 'create', or 'mode'."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "create"
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError("%s exists and is not a directory; remove it or choose another path" % path)
    return "mode" if stat.S_IMODE(st.st_mode) != mode else None


def plan_file(path, data, mode):
    """What a file needs: None, 'write' (with its previous text or None), or 'mode'."""
    try:
        with open(path, "rb") as handle:
            before = handle.read()
        st = os.stat(path)
    except FileNotFoundError:
        return "write", None
    except IsADirectoryError:
        raise ValueError("%s is a directory; remove it or choose another path" % path)
    if before != data:
        return "write", before
    return ("mode" if stat.S_IMODE(st.st_mode) != mode else None), before


def file_list(mode, secret):
    """The argument spec of files and secret_files: the same items, the contents of the latter no_log."""
    return dict(type="list", elements="dict", default=[], no_log=False, options=dict(
        path=dict(type="path", required=True), content=dict(type="str", required=True, no_log=secret),
        mode=dict(type="str", default=mode)))


def main():
    module = OOOModule(
        argument_spec=dict(
            directories=dict(type="list", elements="path", default=[]),
            directory_mode=dict(type="str", default="0755"),
            files=file_list(mode="0644", secret=False),
            secret_files=file_list(mode="0600", secret=True),
        ),
        supports_check_mode=True,
    )
    directories = module.params["directories"]
    files = [dict(item, secret=False) for item in module.params["files"]]
    files += [dict(item, secret=True) for item in module.params["secret_files"]]
    directory_mode = module.params["directory_mode"]
    problems = problems_in(directories, directory_mode, module.params["files"], module.params["secret_files"])
    if problems:
        module.fail_json(msg="; ".join(problems) + ". Nothing was written.")

    # Plan everything first: a path in the way fails the run before the first write.
    dir_plan, file_plan = [], []
    try:
        for path in dict.fromkeys(directories):
            dir_plan.append((path, int(directory_mode, 8), plan_directory(path, int(directory_mode, 8))))
        creating = {path for path, _mode, action in dir_plan if action == "create"}
        for item in files:
            data = item["content"].encode("utf-8")
            mode = int(item["mode"], 8)
            parent = os.path.dirname(item["path"])
            if parent in creating or any(parent.startswith(d + os.sep) for d in creating):
                action, before = "write", None
            else:
                if not os.path.isdir(parent):
                    raise ValueError("%s: its directory %s does not exist; add it to directories" % (item["path"], parent))
                action, before = plan_file(item["path"], data, mode)
            file_plan.append((item["path"], data, mode, action, before, item["secret"]))
    except (OSError, ValueError) as error:
        module.fail_json(msg="%s. Nothing was written." % error)

    result = dict(changed=False, written=[], directories_created=[])
    diffs = []
    for path, mode, action in dir_plan:
        if action is None:
            continue
        result["directories_created"].append(path)
        diffs.append(dict(before_header=path, after_header=path,
                          before="" if action == "create" else "mode %04o\n" % stat.S_IMODE(os.stat(path).st_mode),
                          after="directory, mode %04o\n" % mode))
        if not module.check_mode:
            if action == "create":
                os.makedirs(path, mode=mode, exist_ok=True)
            os.chmod(path, mode)
    for path, data, mode, action, before, secret in file_plan:
        if action is None:
            continue
        result["written"].append(path)
        if secret:
            diffs.append(dict(before_header=path, after_header=path, before="" if before is None else "********\n",
                              after="********\n"))
        elif action == "mode":
            diffs.append(dict(before_header=path, after_header=path, before="mode %04o\n" % stat.S_IMODE(os.stat(path).st_mode),
                              after="mode %04o\n" % mode))
        else:
            diffs.append(dict(before_header=path, after_header=path,
                              before="" if before is None else before.decode("utf-8", "replace"),
                              after=data.decode("utf-8")))
        if not module.check_mode:
            if action == "mode":
                os.chmod(path, mode)
            else:
                write_atomic(path, data, mode)
    result["changed"] = bool(result["written"] or result["directories_created"])
    if module._diff and diffs:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
