"""No secret in what a module logs (a listener on the syslog socket), in -vvv output, or in returned commands.

AnsibleModule logs each module's invocation to syslog (or the journal) from its constructor. Nested secrets (a
cloud dict's password, a container's DB_PASSWORD, a BMC password) must be masked by then: the collection's
modules are OOOModule (module_utils/_secrets.py), and this test proves it with the real syslog path.
"""
import os
import secrets
import socket
import threading
import time

import json
import subprocess

import pytest

from conftest import TOP, VENV_BIN, ansible_env, run_module

DEV_LOG = "/dev/log"


@pytest.fixture
def syslog():
    """Every syslog message sent while the test runs, read from a datagram socket bound at /dev/log."""
    if os.path.exists(DEV_LOG):
        pytest.skip("%s belongs to this machine's syslog daemon; read its log or journal instead" % DEV_LOG)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(DEV_LOG)
    sock.settimeout(0.2)
    messages, stop = [], threading.Event()

    def read():
        while not stop.is_set():
            try:
                messages.append(sock.recv(65536).decode("utf-8", "replace"))
            except socket.timeout:
                continue

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    yield messages
    time.sleep(0.5)
    stop.set()
    reader.join(5)
    sock.close()
    os.unlink(DEV_LOG)


def run(module, args, check=False):
    """(result, the -vvv output of the same run): the result from the json callback, the text from a second run."""
    result = run_module(module, args, check=check)
    cmd = [str(VENV_BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args), "-vvv"] + (["--check"] if check else [])
    proc = subprocess.run(cmd, cwd=TOP, env=ansible_env(), capture_output=True, text=True, timeout=300, check=False)
    return result, proc.stdout + proc.stderr


def secret():
    return "S3cr3t-%s" % secrets.token_hex(12)


def test_nested_secrets_never_reach_syslog_vvv_or_results(syslog, tmp_path):
    cloud_pw, db_pw, token, svc_pw = secret(), secret(), secret(), secret()
    cloud = {"auth": {"auth_url": "http://198.18.0.1:5000/v3", "username": "admin", "password": cloud_pw,
                      "project_name": "admin", "user_domain_name": "Default", "project_domain_name": "Default"},
             "region_name": "regionOne", "name": "wrong-password"}
    runs = []
    # A module that authenticates (and fails: the password is wrong) with a cloud dict.
    runs.append(run("ooo.lifecycle.image_info", {"cloud": cloud, "name": "none-such"}))
    # A container whose environment holds secrets, as a mapping and as KEY=VALUE: check mode returns the commands.
    config = {"secret-test": {"image": "localhost/ooo-busybox:latest", "command": ["true"], "detach": False,
                              "environment": {"DB_PASSWORD": db_pw, "WORKERS": "2"}},
              "secret-test-2": {"image": "localhost/ooo-busybox:latest", "command": ["true"], "detach": False,
                                "environment": ["OS_TOKEN=%s" % token]}}
    planned = run("ooo.lifecycle.container_startup", {"config_id": "secret-test", "config": config}, check=True)
    runs.append(planned)
    # Invalid options: AnsibleModule fails in its constructor, before it logs; the returned invocation is masked.
    runs.append(run("ooo.lifecycle.process_service", {"name": "x", "environment": {"SERVICE_PASSWORD": svc_pw}, "bogus": 1}))
    # A valid run with the same secret in its environment (check mode: nothing starts).
    runs.append(run("ooo.lifecycle.process_service", {"name": "secret-test", "argv": ["sleep", "1"], "pidfile": str(tmp_path / "p.pid"),
                                                      "logfile": str(tmp_path / "p.log"), "environment": {"SERVICE_PASSWORD": svc_pw}},
                    check=True))
    time.sleep(1)
    assert runs[0][0]["failed"] and "wrong-password" in runs[0][0]["msg"], runs[0][0].get("msg")
    assert runs[2][0]["failed"] and "argv" in runs[2][0]["msg"], runs[2][0]["msg"]  # refused by the option checks
    commands = " ".join(" ".join(c) for c in planned[0]["commands"])
    assert "--env DB_PASSWORD=********" in commands and "--env OS_TOKEN=********" in commands and "--env WORKERS=2" in commands
    logged = "\n".join(syslog)
    # The listener works: every module that got past its option checks logged its invocation here.
    for name in ("image_info", "container_startup", "process_service"):
        assert "ansible-ooo.lifecycle.%s" % name in logged or "ansible-%s" % name in logged, (name, logged[:2000])
    for value in (cloud_pw, db_pw, token, svc_pw):
        assert value not in logged, "a secret reached syslog"
        for result, output in runs:
            assert value not in output and value not in json.dumps(result), "a secret reached the -vvv output or a result"


def test_container_labels_hold_no_secret(tmp_path):
    """The config_data label shows a secret environment value as '***'; its hash label still changes with it."""
    db_pw = secret()
    config = {"secret-label": {"image": "localhost/ooo-busybox:latest", "command": ["true"], "detach": False,
                               "environment": {"DB_PASSWORD": db_pw, "WORKERS": "2"}}}
    args = {"config_id": "secret-label", "config": config, "state_dir": str(tmp_path)}
    try:
        applied = run_module("ooo.lifecycle.container_startup", args)
        assert not applied.get("failed"), applied.get("msg")
        labels = json.loads(subprocess.run(["podman", "inspect", "--format", "{{json .Config.Labels}}", "secret-label"],
                                           capture_output=True, text=True, check=True).stdout)
        assert db_pw not in json.dumps(labels) and json.loads(labels["config_data"])["environment"]["DB_PASSWORD"] == "***"
        config["secret-label"]["environment"]["DB_PASSWORD"] = secret()
        again = run_module("ooo.lifecycle.container_startup", args)
        assert again["containers"][0]["action"] == "recreate"
        assert again["containers"][0]["changed_keys"] == ["environment (a secret value)"]
    finally:
        subprocess.run(["podman", "rm", "-f", "secret-label"], capture_output=True, check=False)
