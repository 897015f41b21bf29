"""The collection's modules, each run check -> apply -> check -> apply against the real services."""
import json
import os
import socket
import subprocess
import time
import uuid

import pytest
import yaml

from conftest import run_module

# Fields every result keeps from one release to the next (fields may be added, never removed).
CONTRACT = {
    "ooo.lifecycle.identity_catalog": {"changed", "actions"},
    "ooo.lifecycle.process_service": {"changed", "actions", "pid", "pidfile", "logfile"},
    "ooo.lifecycle.host_preflight": {"changed", "problems"},
    "ooo.lifecycle.config_files": {"changed", "written", "directories_created"},
}


def assert_contract(module, result):
    missing = CONTRACT[module] - set(result)
    assert not missing, "%s result lost fields %s" % (module, missing)


@pytest.fixture
def names():
    suffix = uuid.uuid4().hex[:8]
    return dict(project="it-proj-%s" % suffix, user="it-user-%s" % suffix, service="it-svc-%s" % suffix, role="it-role-%s" % suffix)


def catalog_args(names, password="first-Pa55word"):
    return dict(
        cloud="undercloud",
        projects=[{"name": names["project"], "description": "integration test"}],
        roles=[names["role"]],
        users=[{"name": names["user"], "password": password,
                "roles": [{"role": names["role"], "project": names["project"]}]}],
        services=[{"name": names["service"], "type": "it-type-" + names["service"][-8:],
                   "endpoints": {"public": "http://198.18.0.1:9999", "internal": "http://198.18.0.1:9998"}}],
    )


def cleanup_catalog(conn, names):
    ident = conn.identity
    for ep in list(ident.endpoints()):
        svc = ident.find_service(names["service"])
        if svc is not None and ep.service_id == svc.id:
            ident.delete_endpoint(ep)
    for finder, deleter, key in ((ident.find_service, ident.delete_service, "service"), (ident.find_user, ident.delete_user, "user"),
                                 (ident.find_project, ident.delete_project, "project"), (ident.find_role, ident.delete_role, "role")):
        found = finder(names[key])
        if found is not None:
            deleter(found)


def test_identity_catalog_check_apply_check_apply(conn, names):
    module = "ooo.lifecycle.identity_catalog"
    args = catalog_args(names)
    try:
        first = run_module(module, args, check=True, diff=True)
        assert first["changed"] is True
        assert_contract(module, first)
        assert "create user %s (domain Default)" % names["user"] in first["actions"]
        assert "grant role %s to user %s (domain Default) on project %s (domain Default)" % (
            names["role"], names["user"], names["project"]) in first["actions"]
        assert len(first["actions"]) == 7  # project, role, user, grant, service, 2 endpoints
        # The diff: the requested items before (none exists yet) and after.
        assert "user %s (domain Default)" % names["user"] not in first["diff"]["before"]
        assert "user %s (domain Default)\n" % names["user"] in first["diff"]["after"]
        assert "endpoint %s public in regionOne: http://198.18.0.1:9999" % names["service"] in first["diff"]["after"]
        # Check mode created nothing.
        assert conn.identity.find_user(names["user"]) is None
        assert conn.identity.find_project(names["project"]) is None

        second = run_module(module, args)
        assert second["changed"] is True
        assert second["actions"] == first["actions"]
        user = conn.identity.find_user(names["user"])
        assert user is not None
        project = conn.identity.find_project(names["project"])
        urls = {e.interface: e.url for e in conn.identity.endpoints() if e.service_id == conn.identity.find_service(names["service"]).id}
        assert urls == {"public": "http://198.18.0.1:9999", "internal": "http://198.18.0.1:9998"}
        assert any(ra.role["id"] == conn.identity.find_role(names["role"]).id
                   for ra in conn.identity.role_assignments(user_id=user.id, scope_project_id=project.id))

        third = run_module(module, args, check=True)
        assert third["changed"] is False and third["actions"] == []
        fourth = run_module(module, args)
        assert fourth["changed"] is False and fourth["actions"] == []

        # The password really is the one given: a project-scoped token can be had with it.
        from keystoneauth1 import session
        from keystoneauth1.identity import v3
        auth = v3.Password(auth_url=conn.session.auth.auth_url, username=names["user"], password="first-Pa55word",
                           user_domain_name="Default", project_name=names["project"], project_domain_name="Default")
        assert session.Session(auth=auth).get_token()

        # A password changed behind our back is detected and reset, and never shown.
        conn.identity.update_user(user, password="drifted-Pa55word")
        drift = run_module(module, args, check=True)
        assert drift["changed"] is True
        assert drift["actions"] == ["update password %s (domain Default)" % names["user"]]
        fixed = run_module(module, args)
        assert fixed["changed"] is True
        assert run_module(module, args)["changed"] is False
        for result in (first, second, third, fourth, drift, fixed):
            assert "first-Pa55word" not in str(result)
            assert "drifted-Pa55word" not in str(result)
        # The endpoint URL is reconciled.
        moved = catalog_args(names)
        moved["services"][0]["endpoints"]["public"] = "http://198.18.0.1:9997"
        result = run_module(module, moved)
        assert result["actions"] == ["update endpoint %s public in regionOne -> http://198.18.0.1:9997" % names["service"]]
    finally:
        cleanup_catalog(conn, names)


def test_identity_catalog_bad_input_names_every_problem_and_writes_nothing(conn, names):
    args = catalog_args(names)
    args["users"][0]["roles"] = [{"role": "nope-role", "project": "nope-project"}]
    args["services"][0]["endpoints"] = {"publik": "http://198.18.0.1:1", "admin": "198.18.0.1:2"}
    result = run_module("ooo.lifecycle.identity_catalog", args)
    assert result.get("failed") is True
    problems = result["problems"]
    assert "user %s: roles[0]: role nope-role is not listed in roles; add it there" % names["user"] in problems
    assert "user %s: roles[0]: project nope-project is not listed in projects; add it there" % names["user"] in problems
    assert "service %s: endpoints.publik is not an interface; use public, internal or admin" % names["service"] in problems
    assert "service %s: endpoints.admin must be an http(s) URL, got '198.18.0.1:2'" % names["service"] in problems
    assert conn.identity.find_project(names["project"]) is None
    assert conn.identity.find_user(names["user"]) is None


def test_identity_catalog_unreachable_cloud_fails_clearly():
    result = run_module("ooo.lifecycle.identity_catalog", dict(
        cloud={"auth": {"auth_url": "http://198.18.0.1:1/v3", "username": "a", "password": "hidden-secret", "project_name": "a",
                        "user_domain_name": "Default", "project_domain_name": "Default"}},
        roles=["x"]))
    assert result.get("failed") is True
    assert result["msg"].startswith("Failed to connect to cloud http://198.18.0.1:1/v3:")
    assert "hidden-secret" not in str(result)


def free_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_process_service_check_apply_check_apply_restart_stop(tmp_path):
    module = "ooo.lifecycle.process_service"
    port = free_port()
    (tmp_path / "index.html").write_text("hello")
    args = dict(name="it-http-%d" % port, argv=["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                chdir=str(tmp_path), pidfile=str(tmp_path / "http.pid"), logfile=str(tmp_path / "http.log"),
                ready_url="http://127.0.0.1:%d/" % port, config_hash="v1", ready_timeout=30)
    try:
        first = run_module(module, args, check=True)
        assert first["changed"] is True and first["actions"] == ["start"]
        assert_contract(module, first)
        assert not (tmp_path / "http.pid").exists()

        second = run_module(module, args)
        assert second["changed"] is True and second["actions"] == ["start"]
        pid = second["pid"]
        assert pid and os.path.exists("/proc/%d" % pid)
        import urllib.request
        assert urllib.request.urlopen("http://127.0.0.1:%d/index.html" % port).read() == b"hello"

        third = run_module(module, args, check=True)
        assert third["changed"] is False and third["pid"] == pid
        fourth = run_module(module, args)
        assert fourth["changed"] is False and fourth["pid"] == pid

        args["config_hash"] = "v2"
        planned = run_module(module, args, check=True)
        assert planned["actions"] == ["stop", "start"] and planned["pid"] == pid
        restarted = run_module(module, args)
        assert restarted["actions"] == ["stop", "start"]
        assert restarted["pid"] != pid
        time.sleep(0.2)
        assert not os.path.exists("/proc/%d" % pid) or open("/proc/%d/stat" % pid).read().split()[2] == "Z"
    finally:
        args["state"] = "stopped"
        stopped = run_module(module, args)
    assert stopped["actions"] == ["stop"]
    assert stopped["pid"] is None
    assert run_module(module, args)["changed"] is False


def test_process_service_failing_command_reports_its_log(tmp_path):
    result = run_module("ooo.lifecycle.process_service", dict(
        name="it-broken", argv=["python3", "-c", "import sys; print('cannot start: bad config'); sys.exit(3)"],
        pidfile=str(tmp_path / "b.pid"), logfile=str(tmp_path / "b.log"), ready_port=1, ready_timeout=10))
    assert result.get("failed") is True
    assert result["msg"].startswith("Failed to start service it-broken: the process exited")
    assert "cannot start: bad config" in "\n".join(result["log"])


def test_process_service_never_ready_is_started_again_by_the_rerun(tmp_path):
    """A start that timed out is not recorded as done: the rerun restarts it (and fails again while it is not ready)."""
    port = free_port()
    args = dict(name="it-slow", argv=["sleep", "600"], pidfile=str(tmp_path / "s.pid"), logfile=str(tmp_path / "s.log"),
                ready_port=port, ready_timeout=2)
    try:
        first = run_module("ooo.lifecycle.process_service", args)
        assert first.get("failed") is True and "not ready after 2s" in first["msg"]
        pid = int((tmp_path / "s.pid").read_text())
        second = run_module("ooo.lifecycle.process_service", args)
        assert second.get("failed") is True and "not ready after 2s" in second["msg"], "the rerun tried again"
        assert int((tmp_path / "s.pid").read_text()) != pid, "the process that never became ready was replaced"
        ready = dict(args, argv=["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"], ready_timeout=30)
        assert run_module("ooo.lifecycle.process_service", ready)["changed"] is True
        assert run_module("ooo.lifecycle.process_service", ready)["changed"] is False
    finally:
        run_module("ooo.lifecycle.process_service", dict(args, state="stopped"))


def test_host_preflight_reports_all_problems_at_once(tmp_path):
    port = free_port()
    holder = subprocess.Popen(["python3", "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)
        blocker = tmp_path / "a-file"
        blocker.write_text("x")
        args = dict(ports=[{"name": "web", "port": port, "host": "127.0.0.1", "setting": "web_port"}],
                    paths=[{"name": "out_file", "path": str(blocker / "out.yaml")}, {"name": "fine", "path": str(tmp_path / "ok.yaml")}])
        result = run_module("ooo.lifecycle.host_preflight", args, check=True)
        assert result.get("failed") is True
        assert_contract("ooo.lifecycle.host_preflight", result)
        assert len(result["problems"]) == 2
        assert "port %d (web) on 127.0.0.1 is in use by pid %d" % (port, holder.pid) in result["problems"][0]
        assert result["problems"][0].endswith("stop that process or choose another port with web_port")
        assert result["problems"][1] == "out_file: %s cannot be created: %s is not a directory" % (blocker / "out.yaml", blocker)
    finally:
        holder.terminate()
        holder.wait(10)
    assert run_module("ooo.lifecycle.host_preflight", args)["changed"] is False


def registry_login_args(tmp_path, **extra):
    """registry_login's arguments with every file under tmp_path: the undercloud registry, its pull user, its CA."""
    args = {"registry": "198.18.0.1:8787", "username": "ooo-pull",
            "password": yaml.safe_load(open("/etc/ooo-undercloud/passwords.yml"))["registry_pull"],
            "ca_cert": open("/etc/ooo-undercloud/pki/ca.crt").read(),
            "auth_files": [str(tmp_path / "auth.json"), str(tmp_path / "docker" / "config.json")],
            "certs_dirs": [str(tmp_path / "certs.d")], "registries_conf": str(tmp_path / "registries.conf.d" / "50-ooo.conf")}
    args.update(extra)
    return args


def test_registry_login_check_apply_check_apply_and_podman_pulls_through_what_it_wrote(lab, tmp_path):
    """Check mode predicts the files apply writes; the second pair writes nothing (mtimes kept); other registries'
    entries are kept; podman, given only those files, pulls from the registry with its certificate verified."""
    auth = tmp_path / "auth.json"
    auth.write_text(json.dumps({"auths": {"other.example:5000": {"auth": "b3RoZXI6eA=="}}, "credHelpers": {"x": "y"}}))
    args = registry_login_args(tmp_path)
    first = run_module("ooo.lifecycle.registry_login", args, check=True, diff=True)
    assert first["changed"] and not (tmp_path / "certs.d").exists()
    second = run_module("ooo.lifecycle.registry_login", args)
    assert second["changed"] and sorted(second["written"]) == sorted(first["written"]) and len(second["written"]) == 4
    stamps = dict((p, os.stat(p).st_mtime_ns) for p in second["written"])
    third = run_module("ooo.lifecycle.registry_login", args, check=True)
    fourth = run_module("ooo.lifecycle.registry_login", args)
    assert not third["changed"] and not fourth["changed"] and third["written"] == fourth["written"] == []
    assert stamps == dict((p, os.stat(p).st_mtime_ns) for p in stamps)
    document = json.loads(auth.read_text())
    assert document["credHelpers"] == {"x": "y"} and set(document["auths"]) == {"other.example:5000", "198.18.0.1:8787"}
    for path in args["auth_files"]:
        assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    assert args["password"] not in json.dumps(first) + json.dumps(second)
    assert "********" in first["diff"]["after"]
    pulled = subprocess.run(["podman", "pull", "-q", "--authfile", str(auth), "--cert-dir", str(tmp_path / "certs.d" / "198.18.0.1:8787"),
                             "198.18.0.1:8787/ooo/services:2026.2"], capture_output=True, text=True, check=False)
    assert pulled.returncode == 0, pulled.stderr
    gone = run_module("ooo.lifecycle.registry_login", registry_login_args(tmp_path, state="absent"))
    assert gone["changed"] and set(json.loads(auth.read_text())["auths"]) == {"other.example:5000"}
    assert not (tmp_path / "certs.d" / "198.18.0.1:8787" / "ca.crt").exists() and not (tmp_path / "registries.conf.d" / "50-ooo.conf").exists()


@pytest.mark.parametrize("extra, expected", [
    ({"registry": "https://198.18.0.1:8787/v2"}, "registry: 'https://198.18.0.1:8787/v2' is not HOST[:PORT]"),
    ({"password": None}, "username and password: give both"),
    ({"username": "a:b"}, "username: 'a:b' holds ':'"),
    ({"ca_cert": "not a certificate"}, "ca_cert: not a PEM certificate"),
    ({"auth_files": ["BROKEN"]}, "is not JSON"),
])
def test_registry_login_bad_input_names_the_field_and_writes_nothing(tmp_path, extra, expected):
    args = registry_login_args(tmp_path, **extra)
    if args["auth_files"] == ["BROKEN"]:
        (tmp_path / "broken.json").write_text("{not json")
        args["auth_files"] = [str(tmp_path / "broken.json")]
    result = run_module("ooo.lifecycle.registry_login", args)
    assert result.get("failed") and expected in result["msg"], result.get("msg")
    assert sorted(p.name for p in tmp_path.iterdir()) == (["broken.json"] if "BROKEN" in str(extra) else [])


def config_files_args(tmp_path, secret="s3cret-Value-9f1", **extra):
    conf = tmp_path / "etc" / "svc"
    args = {"directories": [str(tmp_path / "etc"), str(conf), str(tmp_path / "data" / "svc")], "directory_mode": "0700",
            "files": [{"path": str(conf / "svc.conf"), "content": "[DEFAULT]\nbind = 198.18.1.10\n", "mode": "0644"}],
            "secret_files": [{"path": str(conf / "password"), "content": secret}]}
    args.update(extra)
    return args


def test_config_files_check_apply_check_apply_writes_each_file_once_and_never_shows_a_secret(tmp_path):
    """Check mode predicts exactly what apply writes; the second pair writes nothing (inodes and mtimes kept); a changed
    mode alone is set without a rewrite; a secret file's content is in no output, its diff names it only."""
    args = config_files_args(tmp_path)
    first, out1 = run_module("ooo.lifecycle.config_files", args, check=True, diff=True, raw=True)
    assert first["changed"] and not (tmp_path / "etc").exists(), "check mode wrote nothing"
    second, out2 = run_module("ooo.lifecycle.config_files", args, diff=True, raw=True)
    assert_contract("ooo.lifecycle.config_files", second)
    assert (second["written"], second["directories_created"]) == (first["written"], first["directories_created"])
    assert len(second["written"]) == 2 and len(second["directories_created"]) == 3
    stamps = {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in second["written"]}
    third = run_module("ooo.lifecycle.config_files", args, check=True)
    fourth = run_module("ooo.lifecycle.config_files", args)
    assert not third["changed"] and not fourth["changed"] and third["written"] == fourth["written"] == []
    assert stamps == {p: (os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in stamps}
    conf = tmp_path / "etc" / "svc"
    assert (conf / "svc.conf").read_text() == "[DEFAULT]\nbind = 198.18.1.10\n"
    assert oct(os.stat(conf / "password").st_mode & 0o777) == "0o600" and oct(os.stat(conf).st_mode & 0o777) == "0o700"
    for output in (out1, out2):
        assert "s3cret-Value-9f1" not in output, "the secret content reached the output"
    assert "********" in json.dumps(first["diff"])
    # A mode changed behind our back: set again, the content not rewritten; then a changed content only in that file.
    os.chmod(conf / "svc.conf", 0o666)
    fifth = run_module("ooo.lifecycle.config_files", args)
    assert fifth["written"] == [str(conf / "svc.conf")] and os.stat(conf / "svc.conf").st_ino == stamps[str(conf / "svc.conf")][0]
    changed = config_files_args(tmp_path, secret="an0ther-Secret-77")
    sixth = run_module("ooo.lifecycle.config_files", changed, check=True)
    seventh = run_module("ooo.lifecycle.config_files", changed)
    assert sixth["written"] == seventh["written"] == [str(conf / "password")]
    assert (conf / "password").read_text() == "an0ther-Secret-77"


@pytest.mark.parametrize("change, expected", [
    ({"directory_mode": "rwx"}, "directories[0] (%s/etc): mode 'rwx' is not an octal mode"),
    ({"files": [{"path": "relative.conf", "content": "x"}]}, "files[0] (relative.conf): path must be absolute"),
    ({"files": [{"path": "%s/etc/a", "content": "x"}], "secret_files": [{"path": "%s/etc/a", "content": "a-Secret-7"}]},
     "secret_files[0] (%s/etc/a): given twice"),
    ({"directories": [], "files": [{"path": "%s/nowhere/a", "content": "x"}]}, "its directory %s/nowhere does not exist"),
])
def test_config_files_bad_input_names_the_item_and_writes_nothing(tmp_path, change, expected):
    args = config_files_args(tmp_path)
    for key, value in change.items():
        args[key] = json.loads(json.dumps(value).replace("%s", str(tmp_path)))
    result = run_module("ooo.lifecycle.config_files", args)
    assert result.get("failed") and expected.replace("%s", str(tmp_path)) in result["msg"], result
    assert "Nothing was written" in result["msg"]
    assert sorted(os.listdir(tmp_path)) == [], "nothing was created"
