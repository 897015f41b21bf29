"""The undercloud's services: a changed setting restarts only the service it belongs to, and the undercloud stopped and
started again. These stop and restart services: scripts/test.sh runs this file alone, after every other test."""
import os

import pytest

from conftest import recap, run_playbook


def pids():
    found = {}
    for name in ("keystone", "ironic", "ironic-http", "glance", "heat-api", "heat-engine", "registry"):
        with open("/run/ooo-undercloud/%s.pid" % name) as handle:
            found[name] = int(handle.read())
    return found


def test_changed_setting_restarts_only_the_affected_service(lab):
    before = pids()
    try:
        _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_heat_engine_workers=1")
        after = pids()
        assert after["heat-engine"] != before["heat-engine"]
        assert after["heat-api"] != before["heat-api"]  # heat.conf is shared by both Heat processes
        for name in ("keystone", "ironic", "ironic-http", "glance", "registry"):
            assert after[name] == before[name], name
        assert "num_engine_workers = 1" in open("/etc/heat/heat.conf").read()
    finally:
        _rc, output = run_playbook("undercloud_install.yml")
    assert "num_engine_workers = 2" in open("/etc/heat/heat.conf").read()


def test_stopped_then_started_again(lab, conn):
    import socket
    _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_state=stopped")
    assert recap(output)["changed"] >= 1
    for name in ("keystone", "ironic", "ironic-http", "glance", "heat-api", "heat-engine", "registry"):
        assert not os.path.exists("/run/ooo-undercloud/%s.pid" % name), name
    for port in (5000, 6385, 8088, 9292, 8004, 8787):
        with pytest.raises(OSError):
            socket.create_connection(("198.18.0.1", port), timeout=2).close()
    _rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_state=stopped")
    assert recap(output)["changed"] == 0
    _rc, output = run_playbook("undercloud_install.yml")
    import openstack
    fresh = openstack.connect(cloud="undercloud")
    assert {"identity", "baremetal", "image", "orchestration"} <= {s.type for s in fresh.identity.services()}
    assert fresh.baremetal.get("/").status_code == 200
