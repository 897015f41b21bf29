# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The built-in checks of a deployment step, on one machine (testinfra, through the inventory's connection).

- Every container of the step's startup config exists and runs healthy; a one-shot exited 0; a stopped service (one
  with a healthcheck) is a problem even if it exited 0. Read with one call of ooo.lifecycle.container_startup_info
  (healthchecks run now) and judged by the same function as the validations' containers-healthy check.
- The step's extra checks (overcloud_step_checks): a port listens, a file exists (with its mode and owner, when
  given), a URL answers with one of the wanted statuses.
"""

from __future__ import annotations

import json
import time

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.health import problems


def _checks(kind):
    import os  # pylint: disable=import-outside-toplevel
    data = json.loads(os.environ.get("OOO_TESTINFRA") or "{}")
    found = [c for c in data.get("checks") or [] if kind in c]
    return found, [str(c.get("name") or c[kind]) for c in found]


def _call(host, module, args):
    """One module run on the machine; a failed one returns its result (with msg) instead of raising."""
    try:
        return host.ansible(module, args, check=False)
    except host.ansible.AnsibleException as exc:
        return exc.result


def test_containers_of_the_step_run_healthy(host, ooo):
    config = host.file(ooo["config_path"])
    wanted = json.loads(config.content_string) if config.exists else {}
    info = _call(host, "ooo.lifecycle.container_startup_info", "config_id=%s check_health=true" % ooo["config_id"])
    assert "containers" in info, "cannot read the containers of %s: %s; check that podman answers on the machine" % (
        ooo["config_id"], info.get("msg"))
    found = problems(info["containers"], wanted)
    assert not found, "%s; read its logs (podman logs NAME), fix the cause, then run the deployment again" % "; ".join(found)


PORTS, PORT_IDS = _checks("port")
FILES, FILE_IDS = _checks("file")
URLS, URL_IDS = _checks("url")


def _listening(host, check):
    if check.get("host"):
        return host.socket("tcp://%s:%s" % (check["host"], check["port"])).is_listening
    # Any address: the services here bind named addresses (the internal API network's), not the wildcard.
    return any(s.rsplit(":", 1)[-1] == str(check["port"]) for s in host.socket.get_listening_sockets() if s.startswith("tcp://"))


@pytest.mark.parametrize("check", PORTS, ids=PORT_IDS)
def test_port_listens(host, check):
    deadline = time.monotonic() + int(check.get("timeout", 10))
    while not _listening(host, check):
        assert time.monotonic() < deadline, "port %s is not listening%s; the service that owns it did not start, or binds another address" % (
            check["port"], " on %s" % check["host"] if check.get("host") else "")
        time.sleep(1)


@pytest.mark.parametrize("check", FILES, ids=FILE_IDS)
def test_file_exists(host, check):
    found = host.file(check["file"])
    assert found.exists, "file %s is missing; the step's configuration did not write it" % check["file"]
    if "mode" in check:
        want = int(str(check["mode"]), 8)
        assert found.mode == want, "file %s has mode %o, not %o" % (check["file"], found.mode, want)
    if "owner" in check:
        assert found.user == check["owner"], "file %s is owned by %s, not %s" % (check["file"], found.user, check["owner"])


@pytest.mark.parametrize("check", URLS, ids=URL_IDS)
def test_url_answers(host, check):
    statuses = check.get("status") or [200]
    got = _call(host, "ansible.builtin.uri", "url=%s timeout=%s status_code=%s" % (
        check["url"], check.get("timeout", 10), ",".join(str(s) for s in statuses)))
    assert got.get("status") in statuses, "URL %s answered %s, not %s" % (check["url"], got.get("status") or got.get("msg"), statuses)
