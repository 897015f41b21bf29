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


def test_input_problems_name_each_option_and_the_fix():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._process import input_problems
    found = {"/usr/bin/true", "true"}

    def problems(**params):
        return input_problems(dict(dict(state="started", argv=["true"]), **params), found.__contains__,
                              lambda user: user == "root", lambda path: path == "/tmp")
    assert problems() == []
    assert problems(argv=[]) == ["argv: empty; give the program to run and its arguments, e.g. [/usr/sbin/mydaemon, --foreground]"]
    assert problems(argv=["/nonexistent/daemon"]) == [
        "argv: /nonexistent/daemon is not an executable file, nor a program on PATH; install it or give its full path"]
    assert problems(ready_url="not a url") == ["ready_url: 'not a url' is not an http:// or https:// URL"]
    assert problems(ready_url="http://198.18.0.1:5000/v3") == []
    assert problems(ready_port=0, ready_timeout=0, stop_timeout=-1) == [
        "ready_port: 0 is not a TCP port (1 to 65535)", "ready_timeout: 0; give the seconds to wait for readiness, 1 or more",
        "stop_timeout: -1; give the seconds to wait before SIGKILL, 0 or more"]
    assert problems(user="nobody-x", chdir="/nope") == [
        "user: nobody-x is not a user of this host; create it first or fix the name", "chdir: /nope is not a directory"]
    # Stopping needs neither a program nor a user.
    assert input_problems(dict(state="stopped", argv=None, user="nobody-x"), found.__contains__, lambda u: False, lambda p: False) == []


def test_at_least_names_each_option_below_its_minimum():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import at_least
    assert at_least(dict(concurrency=0, api_timeout=20, retries=None), 1, "concurrency", "api_timeout", "retries") == [
        "concurrency: 0; give 1 or more"]
