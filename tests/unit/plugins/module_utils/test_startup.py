from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import startup

IMG = "registry/ooo/keystone:current"


def test_valid_paunch_config_has_no_problems():
    config = {"keystone_db_sync": {"image": IMG, "detach": False, "command": ["keystone-manage", "db_sync"], "start_order": 0,
                                   "volumes": ["/var/lib/config-data/keystone:/etc/keystone:ro"], "user": "root"},
              "keystone": {"image": IMG, "net": "host", "privileged": False, "restart": "always", "start_order": 1,
                           "depends_on": ["keystone_db_sync"], "environment": {"KOLLA_CONFIG_STRATEGY": "COPY_ALWAYS"},
                           "healthcheck": {"test": "/openstack/healthcheck"}, "ulimit": ["nofile=1024"]}}
    assert startup.validate(config) == []


def test_every_problem_named_at_once():
    problems = startup.validate({"a": {"comand": "x"}, "b": "nope", "c d": {"image": IMG},
                                 "e": {"image": IMG, "depends_on": ["f"], "start_order": 0}, "f": {"image": IMG, "start_order": 1},
                                 "g": {"image": IMG, "privileged": "yes", "healthcheck": {"tests": "x"}}})
    text = "\n".join(problems)
    assert "container a: unknown key 'comand'" in text and "container a: image is required" in text
    assert "container b: expected a mapping, got str" in text
    assert "container c d: invalid name" in text
    assert "container e: depends_on 'f', which starts at order 1, not before this container's 0" in text
    assert "container g: privileged must be a boolean, got str" in text
    assert "container g: healthcheck has unknown key 'tests'" in text and "container g: healthcheck.test is required" in text


def test_equivalent_spellings_hash_the_same():
    a = startup.canonical({"image": IMG, "environment": ["A=1", "B=2"], "command": "sleep 10", "cap_add": ["net_admin"]})
    b = startup.canonical({"image": IMG, "environment": {"B": "2", "A": "1"}, "command": ["sleep", "10"], "cap_add": ["NET_ADMIN"],
                           "detach": True, "start_order": 0, "volumes": []})
    assert a == b
    assert startup.config_hash(a, "") == startup.config_hash(b, "")
    assert startup.config_hash(a, "x") != startup.config_hash(a, "y")


def test_content_digest_sees_file_changes(tmp_path):
    d = tmp_path / "conf"
    d.mkdir()
    (d / "a.conf").write_text("1")
    first = startup.content_digest([str(d)])
    (d / "a.conf").write_text("2")
    assert startup.content_digest([str(d)]) != first
    assert startup.content_digest([str(tmp_path / "missing")]) != startup.content_digest([str(d)])


def test_host_paths_only_under_prefixes():
    spec = {"volumes": ["/var/lib/config-data/nova:/etc/nova:ro", "/dev:/dev", "/var/lib/config-data:/x"], "env_file": "/etc/ooo/env"}
    assert startup.host_paths(spec, ["/var/lib/config-data"]) == ["/etc/ooo/env", "/var/lib/config-data", "/var/lib/config-data/nova"]


def test_run_argv_carries_labels_and_options():
    canon = startup.canonical({"image": IMG, "net": "host", "privileged": True, "environment": {"A": "1"}, "user": "42",
                               "volumes": ["/a:/b:ro"], "healthcheck": {"test": "curl -f x", "interval": 10, "retries": 3},
                               "restart": "always", "command": ["run", "me"], "detach": True})
    argv = startup.run_argv("svc", canon, "step3", "ooo.lifecycle", "h" * 64, "f")
    assert argv[:5] == ["podman", "run", "--name", "svc", "--detach"]
    assert argv[-3:] == [IMG, "run", "me"]
    joined = " ".join(argv)
    for part in ("--label config_id=step3", "--label managed_by=ooo.lifecycle", "--label ooo.config_hash=" + "h" * 64,
                 "--network host", "--privileged", "--env A=1", "--volume /a:/b:ro", "--health-cmd curl -f x",
                 "--health-interval 10s", "--health-retries 3", "--restart always", "--user 42"):
        assert part in joined
    oneshot = startup.run_argv("init", startup.canonical({"image": IMG, "detach": False}), "s", "m", "h")
    assert "--detach" not in oneshot


def test_cgroups_is_podmans_flag_and_checked():
    canon = startup.canonical({"image": IMG, "pid": "host", "cgroups": "enabled"})
    assert " --pid host --cgroups enabled " in " ".join(startup.run_argv("libvirt", canon, "s", "m", "h"))
    assert startup.validate({"libvirt": {"image": IMG, "cgroups": "on"}}) == [
        "container libvirt: cgroups 'on' must be one of enabled, disabled, no-conmon, split"]


def existing(name, canon, cid="s", by="m", running=True, exit_code=0, files_hash=""):
    import json
    return {name: {"labels": {"config_id": cid, "managed_by": by, startup.HASH_LABEL: startup.config_hash(canon, files_hash),
                              startup.FILES_LABEL: files_hash, startup.DATA_LABEL: json.dumps(canon)},
                   "running": running, "exit_code": exit_code}}


def test_plan_create_none_recreate_start_remove():
    config = {"api": {"image": IMG, "start_order": 1}, "init": {"image": IMG, "detach": False}}
    actions, problems = startup.plan(config, {}, "s", "m", [])
    assert problems == [] and [(a["name"], a["action"]) for a in actions] == [("init", "run"), ("api", "create")]
    current = {}
    current.update(existing("api", startup.canonical(config["api"])))
    current.update(existing("init", startup.canonical(config["init"]), running=False))
    current.update(existing("old", {"image": IMG}))
    current.update(existing("theirs", {"image": IMG}, by="other"))
    actions, _problems = startup.plan(config, current, "s", "m", [])
    assert [(a["name"], a["action"]) for a in actions] == [("init", "none"), ("api", "none"), ("old", "remove")]
    changed = {"api": {"image": IMG, "start_order": 1, "user": "42"}, "init": config["init"]}
    actions, _problems = startup.plan(changed, current, "s", "m", [])
    assert actions[1]["action"] == "recreate" and actions[1]["changed_keys"] == ["user"]
    stopped = dict(current, api=dict(current["api"], running=False))
    assert startup.plan(config, stopped, "s", "m", [], cleanup=False)[0][1]["action"] == "start"
    # Exited 0: a job that finished (left alone, as paunch did), unless it is a service with a healthcheck, stopped
    # by an operator or an upgrade, which must run again.
    stopped_cleanly = dict(current, api=dict(current["api"], running=False, state="exited", exit_code=0))
    assert startup.plan(config, stopped_cleanly, "s", "m", [], cleanup=False)[0][1]["action"] == "none"
    service = dict(config, api=dict(config["api"], healthcheck={"test": "true"}))
    stopped_service = dict(current, **existing("api", startup.canonical(service["api"]), running=False))
    stopped_service["api"]["state"] = "exited"
    assert startup.plan(service, stopped_service, "s", "m", [], cleanup=False)[0][1]["action"] == "start"


def test_plan_refuses_foreign_container_of_same_name():
    _actions, problems = startup.plan({"api": {"image": IMG}}, existing("api", {"image": IMG}, by="tripleo_ansible"), "s", "m", [])
    assert problems and "managed by tripleo_ansible" in problems[0]


def test_plan_content_change_is_named():
    config = {"api": {"image": IMG, "volumes": ["/etc/ooo-containers/api:/etc/api"]}}
    canon = startup.canonical(config["api"])
    current = existing("api", canon, files_hash="old")
    actions, _problems = startup.plan(config, current, "s", "m", ["/etc/ooo-containers"], digest=lambda paths: "new")
    assert actions[0]["action"] == "recreate" and actions[0]["changed_keys"] == ["(content of /etc/ooo-containers/api)"]


def test_config_path_directory_and_file(tmp_path):
    import json
    step = tmp_path / "step_1"
    step.mkdir()
    (step / "api.json").write_text(json.dumps({"image": IMG}))
    (step / "db.yaml").write_text("image: %s\ndetach: false\n" % IMG)
    (step / "README").write_text("not a config")
    assert startup.load_config_path(str(step)) == {"api": {"image": IMG}, "db": {"image": IMG, "detach": False}}
    # TripleO's layout: NAME.json beside hashed-NAME.json; the hashed ones are used.
    (step / "hashed-api.json").write_text(json.dumps({"image": IMG, "environment": {"TRIPLEO_CONFIG_HASH": "abc"}}))
    assert startup.load_config_path(str(step)) == {"api": {"image": IMG, "environment": {"TRIPLEO_CONFIG_HASH": "abc"}}}
    whole = tmp_path / "container-startup-config-step_2.json"
    whole.write_text(json.dumps({"a": {"image": IMG}}))
    assert startup.load_config_path(str(whole)) == {"a": {"image": IMG}}
    for bad in (str(tmp_path / "missing.json"),):
        try:
            startup.load_config_path(bad)
        except ValueError as exc:
            assert "does not exist" in str(exc)
        else:
            raise AssertionError("no error for %s" % bad)


def test_entry_commands_cover_every_action():
    config = {"api": {"image": IMG, "start_order": 1}, "init": {"image": IMG, "detach": False, "remove": True}}
    actions, _problems = startup.plan(config, existing("old", {"image": IMG}), "s", "m", [])
    by = dict((a["name"], a) for a in actions)
    kinds = dict((n, [k for k, _argv in startup.entry_commands(a, "s", "m")]) for n, a in by.items())
    assert kinds == {"api": ["run"], "init": ["run", "rm-after"], "old": ["rm"]}
    assert [a["name"] for a in startup.sequence(actions)] == ["old", "init", "api"]
    recreate = dict(by["api"], action="recreate")
    assert [k for k, _argv in startup.entry_commands(recreate, "s", "m")] == ["rm", "run"]
    assert startup.entry_commands(dict(by["api"], action="start"), "s", "m") == [("start", ["podman", "start", "api"])]
    assert startup.entry_commands(dict(by["api"], action="none"), "s", "m") == []


def test_images_to_pull_follows_the_policy():
    actions = [{"action": "create", "canonical": {"image": "b"}}, {"action": "run", "canonical": {"image": "a"}},
               {"action": "start", "canonical": {"image": "c"}}, {"action": "recreate", "canonical": {"image": "a"}}]
    assert startup.images_to_pull(actions, "always", {}) == ["a", "b"]
    assert startup.images_to_pull(actions, "missing", {"a": True, "b": False}) == ["b"]
    assert startup.images_to_pull(actions, "never", {}) == []


def test_label_hides_secret_environment_values_but_the_hash_sees_them():
    config = {"api": {"image": IMG, "environment": {"DB_PASSWORD": "first-secret-value", "WORKERS": "2"}}}
    actions, _problems = startup.plan(config, {}, "s", "m", [])
    argv = startup.entry_commands(actions[0], "s", "m")[0][1]
    label = [a for a in argv if a.startswith(startup.DATA_LABEL + "=")][0]
    assert "first-secret-value" not in label and '"DB_PASSWORD":"***"' in label and '"WORKERS":"2"' in label
    current = {"api": {"labels": {"config_id": "s", "managed_by": "m", startup.HASH_LABEL: actions[0]["hash"], startup.FILES_LABEL: "",
                                  startup.DATA_LABEL: label.split("=", 1)[1]}, "running": True}}
    assert startup.plan(config, current, "s", "m", [])[0][0]["action"] == "none"
    config["api"]["environment"]["DB_PASSWORD"] = "second-secret-value"
    changed = startup.plan(config, current, "s", "m", [])[0][0]
    assert changed["action"] == "recreate" and changed["changed_keys"] == ["environment (a secret value)"]
