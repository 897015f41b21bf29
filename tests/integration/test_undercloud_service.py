"""The undercloud's services: a changed setting restarts only the service it belongs to, and the undercloud stopped and
started again. These stop and restart services: scripts/test.sh runs this file alone, after every other test."""
import os
import re
from pathlib import Path

import pytest

from conftest import recap, run_playbook


VENV_SITE = Path("/opt/ooo-undercloud/venv/lib")


def pip_ran(output):
    task = re.search(r"TASK \[ooo.lifecycle.undercloud : Install the services into the virtualenv\][^\n]*\n+(\w+):", output)
    return task is not None and task.group(1) in ("ok", "changed")


def pids():
    found = {}
    for name in ("keystone", "ironic", "ironic-http", "glance", "heat-api", "heat-engine", "registry"):
        with open("/run/ooo-undercloud/%s.pid" % name) as handle:
            found[name] = int(handle.read())
    return found


def test_a_changed_setting_restarts_only_its_service_then_stopped_and_started_again(lab, conn):
    """Four runs of undercloud_install.yml, each the previous one's clean-up: a changed Heat setting (only Heat's two
    processes restart), the undercloud stopped, stopped again (no change), started with the settings it had (the
    setting back, every service answering)."""
    import socket
    before = pids()
    # Something in the virtualenv that pip did not put there: the fingerprint of what it holds changes, so pip runs
    # (tasks/venv.yml skips it only while the fingerprint matches its last run), and again once it is gone.
    stray = next(VENV_SITE.glob("python3*/site-packages")) / "ooo_stray-0.0.0.dist-info"
    stray.mkdir()
    try:
        _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_heat_engine_workers=1")
        assert pip_ran(output), "pip runs when the virtualenv holds something else"
        stray.rmdir()
        after = pids()
        assert after["heat-engine"] != before["heat-engine"]
        assert after["heat-api"] != before["heat-api"]  # heat.conf is shared by both Heat processes
        for name in ("keystone", "ironic", "ironic-http", "glance", "registry"):
            assert after[name] == before[name], name
        assert "num_engine_workers = 1" in open("/etc/heat/heat.conf").read()

        _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_state=stopped")
        assert recap(output)["changed"] >= 1
        for name in ("keystone", "ironic", "ironic-http", "glance", "heat-api", "heat-engine", "registry"):
            assert not os.path.exists("/run/ooo-undercloud/%s.pid" % name), name
        for port in (5000, 6385, 8088, 9292, 8004, 8787):
            with pytest.raises(OSError):
                socket.create_connection(("198.18.0.1", port), timeout=2).close()
        _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_state=stopped")
        assert recap(output)["changed"] == 0
    finally:
        if stray.exists():
            stray.rmdir()
        _rc, output = run_playbook("undercloud_install.yml")
    assert pip_ran(output), "pip runs again once the stray package is gone"
    assert "num_engine_workers = 2" in open("/etc/heat/heat.conf").read()
    import openstack
    fresh = openstack.connect(cloud="undercloud")
    assert {"identity", "baremetal", "image", "orchestration"} <= {s.type for s in fresh.identity.services()}
    assert fresh.baremetal.get("/").status_code == 200
