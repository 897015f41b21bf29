#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: process_service
short_description: Run a service as a supervised background process on hosts without systemd
version_added: 0.1.0
description:
  - Starts a long-running command detached from Ansible with C(start-stop-daemon),
    records its pid file and sends its output to a log file.
  - Keeps a fingerprint of the command line, the environment and O(config_hash)
    beside the pid file; when any of them changes the service is restarted,
    otherwise a running service is left alone, so a second run changes nothing.
  - Waits until the service listens on O(ready_port) and answers on O(ready_url);
    when it exits or does not become ready, fails with the end of its log.
  - Stops the whole process group (SIGTERM, then SIGKILL).
  - Bad input is reported, every problem at once, before anything is started or stopped - an empty O(argv), a
    program that is neither an executable file nor on C(PATH), an unknown O(user), a missing O(chdir), a
    O(ready_url) that is not http(s), a port or timeout out of range. In check mode only the options themselves
    are checked (earlier tasks may install the program).
  - Use it where PID 1 is not systemd (containers, CI machines); with systemd use units.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reports the actions that would be taken.
  diff_mode:
    support: none
    description: Nothing to diff.
options:
  argv:
    description: The command and its arguments. Required when O(state) is not C(stopped).
    type: list
    elements: str
  chdir:
    description: Working directory of the process.
    type: path
  config_hash:
    description:
      - Any string that changes when the service's configuration changes, for
        example the checksum of its configuration files. A change restarts the service.
    type: str
  environment:
    description: Extra environment variables for the process.
    type: dict
  logfile:
    description: Where the process's standard output and error go.
    type: path
  name:
    description: Name of the service.
    type: str
    required: true
  pidfile:
    description: The pid file. Defaults to C(/run/ooo-undercloud/<name>.pid).
    type: path
  ready_host:
    description: Address used for the O(ready_port) check.
    type: str
    default: 127.0.0.1
  ready_port:
    description: A TCP port the service must accept connections on before it counts as started.
    type: int
  ready_timeout:
    description: Seconds to wait for readiness.
    type: int
    default: 120
  ready_url:
    description: A URL that must answer (any status below 500) before the service counts as started.
    type: str
  state:
    description: C(started) keeps it running (restarting it on change), C(restarted) always restarts, C(stopped) stops it.
    type: str
    default: started
    choices: [started, stopped, restarted]
  stop_timeout:
    description: Seconds to wait after SIGTERM before SIGKILL.
    type: int
    default: 20
  user:
    description: User (and optionally C(user:group)) to run the process as.
    type: str
'''

EXAMPLES = r'''
- name: Run Ironic as a background process
  ooo.lifecycle.process_service:
    name: ironic
    argv: [/opt/ooo-undercloud/venv/bin/ironic, --config-file, /etc/ironic/ironic.conf]
    config_hash: "{{ ironic_conf.checksum }}"
    ready_url: http://127.0.0.1:6385/
'''

RETURN = r'''
actions:
  description: What was done, or in check mode would be done, in order.
  returned: always
  type: list
  elements: str
  sample: [stop, start]
pid:
  description: The pid of the running process, when it runs.
  returned: always
  type: int
  sample: 4242
pidfile:
  description: The pid file.
  returned: always
  type: str
logfile:
  description: The log file.
  returned: always
  type: str
'''

import os
import pwd
import shutil

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError, exit_with
from ansible_collections.ooo.lifecycle.plugins.module_utils._process import ProcessService, decide, fingerprint, input_problems


def _user_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _which(program):
    # shutil.which takes a path too: it is then checked as an executable file, not looked up on PATH.
    return shutil.which(program) is not None


def run_module(module):
    params = module.params
    # In check mode the program, its user and its directory may be made by the tasks before this one, which did not
    # run: only the options themselves are checked.
    if module.check_mode:
        problems = input_problems(params, lambda program: True, lambda user: True, lambda path: True)
    else:
        problems = input_problems(params, _which, _user_exists, os.path.isdir)
    if problems:
        raise ValidationError(problems)
    service = ProcessService(module, params)
    wanted = fingerprint(params["argv"] or [], params["environment"], params["config_hash"])
    actions = decide(params["state"], service.running_pid() is not None, service.stored_fingerprint(), wanted)
    if not module.check_mode:
        for action in actions:
            if action == "stop":
                service.stop()
            else:
                service.start(wanted)
    return dict(changed=bool(actions), actions=actions, pid=service.running_pid(), pidfile=service.pidfile, logfile=service.logfile)


def main():
    module = OOOModule(
        argument_spec=dict(
            argv=dict(type="list", elements="str"),
            chdir=dict(type="path"),
            config_hash=dict(type="str"),
            environment=dict(type="dict"),
            logfile=dict(type="path"),
            name=dict(type="str", required=True),
            pidfile=dict(type="path"),
            ready_host=dict(type="str", default="127.0.0.1"),
            ready_port=dict(type="int"),
            ready_timeout=dict(type="int", default=120),
            ready_url=dict(type="str"),
            state=dict(type="str", default="started", choices=["started", "stopped", "restarted"]),
            stop_timeout=dict(type="int", default=20),
            user=dict(type="str"),
        ),
        required_if=[("state", "started", ["argv"]), ("state", "restarted", ["argv"])],
        supports_check_mode=True,
    )
    exit_with(module, run_module)


if __name__ == "__main__":
    main()
