"""The pure translation of a canonical paunch definition into the Docker Engine API's create request."""
from __future__ import annotations

import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import dockerapi, startup


def body_of(spec, labels=None, env_files=None):
    return dockerapi.create_body(startup.canonical(spec), labels or {"config_id": "step3"}, env_files)


def test_a_tripleo_service_definition_becomes_the_engine_request():
    body = body_of({
        "image": "198.18.0.1:8787/ooo/keystone:current", "net": "host", "pid": "host", "privileged": True,
        "restart": "on-failure:3", "user": "keystone", "command": "kolla_start --verbose",
        "volumes": ["/var/lib/config-data/keystone/etc/keystone:/etc/keystone:ro"],
        "cap_add": ["net_admin"], "ulimit": ["nofile=1024:2048", "nproc=512"], "mem_limit": "512m",
        "stop_grace_period": 20, "healthcheck": {"test": "curl -sf http://127.0.0.1:5000/v3", "interval": "30s",
                                                 "timeout": 10, "retries": 3},
        "log_tag": "keystone", "extra_hosts": ["controller-0:198.18.1.10"], "stop_signal": "SIGTERM",
    })
    assert body["Image"] == "198.18.0.1:8787/ooo/keystone:current"
    assert body["Cmd"] == ["kolla_start", "--verbose"] and body["User"] == "keystone"
    assert body["Labels"] == {"config_id": "step3"}
    assert body["StopTimeout"] == 20 and body["StopSignal"] == "SIGTERM"
    assert body["Healthcheck"] == {"Test": ["CMD-SHELL", "curl -sf http://127.0.0.1:5000/v3"], "Interval": 30 * 10 ** 9,
                                   "Timeout": 10 * 10 ** 9, "Retries": 3}
    host = body["HostConfig"]
    assert host["NetworkMode"] == "host" and host["PidMode"] == "host" and host["Privileged"] is True
    assert host["RestartPolicy"] == {"Name": "on-failure", "MaximumRetryCount": 3}
    assert host["Binds"] == ["/var/lib/config-data/keystone/etc/keystone:/etc/keystone:ro"]
    assert host["CapAdd"] == ["NET_ADMIN"]
    assert host["Ulimits"] == [{"Name": "nofile", "Soft": 1024, "Hard": 2048}, {"Name": "nproc", "Soft": 512, "Hard": 512}]
    assert host["Memory"] == 512 * 1024 ** 2
    assert host["LogConfig"] == {"Type": "json-file", "Config": {"tag": "keystone"}}
    assert host["ExtraHosts"] == ["controller-0:198.18.1.10"]


def test_a_minimal_one_shot_has_no_host_config_and_restart_no_is_dropped():
    body = body_of({"image": "busybox", "detach": False, "command": ["true"], "restart": "no"})
    assert body == {"Image": "busybox", "Labels": {"config_id": "step3"}, "Cmd": ["true"]}


def test_env_files_are_read_into_the_environment_and_the_definition_wins():
    files = {"/etc/ooo/api.env": "# comment\n\nWORKERS=2\nDEBUG=false\nBARE\nURL=http://x/?a=b\n"}
    body = body_of({"image": "busybox", "env_file": "/etc/ooo/api.env", "environment": ["DEBUG=true"]}, env_files=files)
    assert body["Env"] == ["DEBUG=true", "URL=http://x/?a=b", "WORKERS=2"]


def test_secret_values_are_masked_in_the_shown_body_only():
    body = body_of({"image": "busybox", "environment": {"DB_PASSWORD": "s3cret", "WORKERS": 2}})
    shown = dockerapi.shown_body(body)
    assert "DB_PASSWORD=s3cret" in body["Env"]
    assert shown["Env"] == ["DB_PASSWORD=***", "WORKERS=2"] and "s3cret" not in repr(shown)


def test_healthcheck_as_a_list_and_check_interval():
    body = body_of({"image": "busybox", "healthcheck": {"test": ["CMD", "test", "-e", "/run/ok"]}, "check_interval": 7})
    assert body["Healthcheck"] == {"Test": ["CMD", "test", "-e", "/run/ok"], "Interval": 7 * 10 ** 9}


@pytest.mark.parametrize("value, expected", [
    (512, 512), ("512", 512), ("512m", 512 * 1024 ** 2), ("1g", 1024 ** 3), ("1GB", 1024 ** 3), ("64k", 65536), ("-1", -1),
])
def test_size_bytes(value, expected):
    assert dockerapi.size_bytes(value) == expected


@pytest.mark.parametrize("value, expected", [
    (30, 30 * 10 ** 9), ("30", 30 * 10 ** 9), ("30s", 30 * 10 ** 9), ("1m30s", 90 * 10 ** 9), ("500ms", 5 * 10 ** 8),
    ("1h", 3600 * 10 ** 9), (0.5, 5 * 10 ** 8),
])
def test_duration_ns(value, expected):
    assert dockerapi.duration_ns(value) == expected


def test_what_the_engine_would_refuse_is_named_by_key():
    canon = startup.canonical({"image": "busybox", "mem_limit": "lots", "healthcheck": {"test": "true", "interval": "soon"},
                               "ulimit": ["nofile=many"]})
    assert dockerapi.problems(canon) == [
        "mem_limit: 'lots' is not a size such as 512m or 1g",
        "healthcheck.interval: 'soon' is not a duration such as 30, 30s, 1m30s or 500ms",
        "ulimit: 'nofile=many' must be NAME=SOFT[:HARD] with integer limits",
    ]
    assert dockerapi.problems(startup.canonical({"image": "busybox", "mem_limit": "1g"})) == []
