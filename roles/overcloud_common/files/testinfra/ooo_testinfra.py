# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The step validation's testinfra run, as a pytest plugin (-p ooo_testinfra): what the role passes in, and what
it reads back. A plugin rather than a conftest.py, so that it also serves the operator's check directories.

roles/overcloud_common/tasks/testinfra.yml runs pytest on the controller with testinfra's ansible backend, one
machine per run (--hosts ansible://NAME), over this directory and the operator's own check directories. The checks
reach the machine through the inventory's connection (ssh on a fleet, the lab's nsenter plugin here).

In: OOO_TESTINFRA, a JSON object - host, role, step, config_id, config_path, checks (overcloud_step_checks' entries of
this step and role).
Out: one line on stdout, 'OOO-TESTINFRA-REPORT: {...}' - how many checks ran, and each one that failed: its name and
what it said (which names the fix).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

REPORT_PREFIX = "OOO-TESTINFRA-REPORT: "
_RESULTS = {"checks": 0, "failed": []}


def _collection_on_path():
    """Make `ansible_collections.ooo.lifecycle` importable: the directory holding `ansible_collections` above this
    file (as Ansible found the collection), else one of Ansible's collection paths."""
    here = os.path.abspath(__file__)
    parts = here.split(os.sep)
    if "ansible_collections" in parts:
        root = os.sep.join(parts[:len(parts) - 1 - parts[::-1].index("ansible_collections")])
        if root and root not in sys.path:
            sys.path.insert(0, root)
        return
    from ansible import constants  # pylint: disable=import-outside-toplevel
    for path in constants.COLLECTIONS_PATHS:
        if os.path.isdir(os.path.join(path, "ansible_collections", "ooo", "lifecycle")) and path not in sys.path:
            sys.path.insert(0, path)
            return


_collection_on_path()


# The inventory's nsenter connection (the lab's machines), which testinfra has no backend for: its ansible backend
# would run every command of a check through a whole `ansible` process (measured: 5.9 s of CPU for one port check,
# the port listing taking three commands). The backend below runs each command as the connection plugin does
# (plugins/connection/nsenter.py: the same process lookup, start-time check, namespaces and environment), a few
# milliseconds a command; `host.ansible` still runs modules through the inventory's connection. Any other connection
# (ssh on a fleet) is testinfra's own choice, unchanged.
NSENTER = ("ooo.lifecycle.nsenter", "nsenter")


def _nsenter_backend():
    from testinfra.backend import base  # pylint: disable=import-outside-toplevel
    from ansible_collections.ooo.lifecycle.plugins.connection import nsenter  # pylint: disable=import-outside-toplevel

    class NsenterBackend(base.BaseBackend):
        """Commands in the namespaces of a local container's main process."""

        NAME = "ooo_nsenter"

        def __init__(self, container, hostvars, *args, **kwargs):
            self.container = container
            self.podman = hostvars.get("ansible_podman_executable") or "podman"
            self.path = hostvars.get("ansible_nsenter_path") or nsenter.DEFAULT_PATH
            super().__init__(container, *args, **kwargs)

        def run(self, command, *args, **kwargs):
            cmd = self.get_command(command, *args)
            argv, env = nsenter.nsenter_command(nsenter.container_pid(self.container, self.podman),
                                                ["/bin/sh", "-c", cmd], self.path)
            proc = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, env=env, check=False)
            return self.result(proc.returncode, self.encode(cmd), proc.stdout, proc.stderr)

    return NsenterBackend


def _serve_nsenter_hosts():
    try:
        import testinfra.host  # pylint: disable=import-outside-toplevel
        from testinfra.utils import ansible_runner  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    original = ansible_runner.get_ansible_host
    backend = _nsenter_backend()

    def get_ansible_host(config, inventory, host, *args, **kwargs):
        hostvars = (inventory or {}).get("_meta", {}).get("hostvars", {}).get(host, {})
        if hostvars.get("ansible_connection") in NSENTER:
            container = hostvars.get("ansible_nsenter_container") or hostvars.get("ansible_host") or host
            return testinfra.host.Host(backend(container, hostvars))
        return original(config, inventory, host, *args, **kwargs)

    ansible_runner.get_ansible_host = get_ansible_host


_serve_nsenter_hosts()


@pytest.fixture(scope="session")
def ooo():
    """What the role passed: host, role, step, config_id, config_path, checks."""
    return json.loads(os.environ.get("OOO_TESTINFRA") or "{}")


def _check_name(item):
    """The test's name and its own parameters' ids, without testinfra's host (there is one host per run)."""
    name = item.originalname or item.name
    params = getattr(item, "callspec", None)
    if not params:
        return name
    host = json.loads(os.environ.get("OOO_TESTINFRA") or "{}").get("host") or ""
    label = re.sub(r"^[a-z]+://%s-?" % re.escape(host), "", params.id) if host else params.id
    return "%s[%s]" % (name, label) if label else name


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" or (report.when == "setup" and report.failed):
        _RESULTS["checks"] += 1
        if report.failed:
            message = str(call.excinfo.value) if call.excinfo else report.longreprtext
            first = message.strip().splitlines()[0] if message.strip() else call.excinfo.typename
            _RESULTS["failed"].append({"check": "%s: %s" % (os.path.basename(str(item.fspath)), _check_name(item)),
                                       "message": first[:1000]})


def pytest_collectreport(report):
    if report.failed:
        _RESULTS["failed"].append({"check": "%s (cannot be loaded)" % report.nodeid,
                                   "message": (report.longreprtext.strip().splitlines() or ["?"])[-1][:1000]})


def pytest_terminal_summary(terminalreporter):
    terminalreporter.write_line(REPORT_PREFIX + json.dumps(_RESULTS, sort_keys=True))
