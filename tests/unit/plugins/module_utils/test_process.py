from __future__ import annotations

import os

from ansible_collections.ooo.lifecycle.plugins.module_utils._process import decide, fingerprint, pid_alive, read_pid


def test_fingerprint_is_stable_and_sensitive():
    a = fingerprint(["x", "--y"], {"B": "1", "A": "2"}, "h1")
    assert a == fingerprint(["x", "--y"], {"A": "2", "B": "1"}, "h1")
    assert a != fingerprint(["x", "--y"], {"A": "2", "B": "1"}, "h2")
    assert a != fingerprint(["x"], {"A": "2", "B": "1"}, "h1")


def test_decide():
    assert decide("started", False, None, "f") == ["start"]
    assert decide("started", True, "f", "f") == []
    assert decide("started", True, "old", "f") == ["stop", "start"]
    assert decide("stopped", True, "f", "f") == ["stop"]
    assert decide("stopped", False, None, "f") == []
    assert decide("restarted", True, "f", "f") == ["stop", "start"]
    assert decide("restarted", False, None, "f") == ["start"]


def test_pid_helpers(tmp_path):
    pidfile = tmp_path / "x.pid"
    assert read_pid(str(pidfile)) is None
    pidfile.write_text("%d\n" % os.getpid())
    assert read_pid(str(pidfile)) == os.getpid()
    assert pid_alive(os.getpid())
    pidfile.write_text("garbage")
    assert read_pid(str(pidfile)) is None


def test_start_time_names_one_process():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._process import start_time
    mine = start_time(os.getpid())
    assert mine is not None and mine.isdigit()
    assert start_time(os.getpid()) == mine
    assert start_time(1) != mine
    assert start_time(2 ** 22 + 12345) is None
