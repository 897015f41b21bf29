"""ooo.lifecycle.heat_stack and heat_stack_info against the undercloud's real Heat.

Each operation runs check -> apply -> check -> apply; the second pair must
report no change and make no write call.
"""
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from conftest import TOP, VENV_BIN, ansible_env, run_module

MODULE = "ooo.lifecycle.heat_stack"
FILES = Path(__file__).parent / "files" / "heat"


@pytest.fixture
def stack_name(conn):
    name = "it-stack-%s" % uuid.uuid4().hex[:8]
    yield name
    run_module(MODULE, dict(cloud="undercloud", name=name, state="absent", wait_in_progress=True))


def args(name, **parameters):
    out = dict(cloud="undercloud", name=name, template=str(FILES / "stack.yaml"), environment_files=[str(FILES / "env.yaml")],
               parameters=parameters)
    return out


def cycle(task):
    results = [run_module(MODULE, task, check=True, diff=True), run_module(MODULE, task, diff=True),
               run_module(MODULE, task, check=True, diff=True), run_module(MODULE, task)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
    check2, apply2 = results[2], results[3]
    for result in (check2, apply2):
        assert result["changed"] is False and result["operation"] == "none", result
        assert result["writes"] == 0 and result["update_calls"] == 0
    return results


def heat_stack(conn, name):
    resp = conn.orchestration.get("/stacks/%s" % name, raise_exc=False)
    return resp.json()["stack"] if resp.status_code == 200 else None


def test_create_noop_update_and_delete(conn, stack_name):
    secret = "Hidden-%s" % uuid.uuid4().hex[:8]
    first = run_module(MODULE, args(stack_name, count=2, secret=secret), check=True)
    assert first["operation"] == "create" and first["writes"] == 0 and heat_stack(conn, stack_name) is None
    check, create, _check2, _apply2 = cycle(args(stack_name, count=2, secret=secret))
    assert check["changes"]["added"] == ["config", "greeting_value", "group-0/name", "group-1/name", "probe"]
    assert create["operation"] == "create" and create["update_calls"] == 1
    assert create["stack"]["status"] == "CREATE_COMPLETE"
    # Outputs as a dict; the environment file's parameter_defaults and get_file content reached Heat.
    assert create["outputs"] == {"greeting": "hi", "members": ["hi-node-0", "hi-node-1"], "probe": "one"}
    config = conn.orchestration.get("/stacks/%s/%s/resources/config" % (stack_name, create["stack"]["id"])).json()["resource"]
    software = conn.orchestration.get("/software_configs/%s" % config["physical_resource_id"]).json()["software_config"]
    assert software["config"] == (FILES / "files" / "hello.sh").read_text()
    # The hidden parameter is masked by Heat and never echoed by the module.
    assert create["stack"]["parameters"]["secret"] == "******"
    assert secret not in json.dumps(create)

    # A real update: the preview in check mode lists exactly the changed resources.
    check, update, _check2, _apply2 = cycle(args(stack_name, count=3, marker="two", secret=secret))
    assert check["operation"] == "update" and check["writes"] == 0
    assert check["changes"]["updated"] == ["group", "probe"] and check["changes"]["added"] == []
    assert check["changes"]["replaced"] == [] and check["changes"]["deleted"] == [] and check["changes"]["unchanged"] == 2
    assert "~ group (updated)" in check["diff"]["prepared"]
    assert update["update_calls"] == 1 and update["stack"]["status"] == "UPDATE_COMPLETE"
    # Heat agrees that the no-op runs made no update: the stack's updated_time is the real update's.
    assert heat_stack(conn, stack_name)["updated_time"] == update["stack"]["updated"]
    assert update["outputs"]["members"] == ["hi-node-0", "hi-node-1", "hi-node-2"] and update["outputs"]["probe"] == "two"

    info = run_module("ooo.lifecycle.heat_stack_info", dict(cloud="undercloud", name=stack_name, events=20))
    assert info["exists"] and info["stack"]["status"] == "UPDATE_COMPLETE" and info["outputs"]["probe"] == "two"
    assert info["stack"]["parameters"]["marker"] == "two" and info["stack"]["parameters"]["secret"] == "******"
    assert any(e["resource"] == "probe" and e["status"] == "UPDATE_COMPLETE" for e in info["events"])

    gone = [run_module(MODULE, dict(cloud="undercloud", name=stack_name, state="absent"), check=check_mode)
            for check_mode in (True, False, True, False)]
    assert gone[0]["changed"] and gone[0]["operation"] == "delete" and gone[0]["writes"] == 0
    assert gone[1]["changed"] and gone[1]["writes"] == 1
    assert [g["changed"] for g in gone[2:]] == [False, False] and gone[3]["writes"] == 0
    assert heat_stack(conn, stack_name) is None
    info = run_module("ooo.lifecycle.heat_stack_info", dict(cloud="undercloud", name=stack_name))
    assert info["exists"] is False


def test_same_templates_elsewhere_are_a_noop(conn, stack_name, tmp_path):
    run_module(MODULE, args(stack_name))
    copy = tmp_path / "checkout"
    subprocess.run(["cp", "-a", str(FILES), str(copy)], check=True)
    moved = dict(args(stack_name), template=str(copy / "stack.yaml"), environment_files=[str(copy / "env.yaml")])
    again = run_module(MODULE, moved)
    assert again["changed"] is False and again["update_calls"] == 0


@pytest.mark.parametrize("rollback", [False, True])
def test_failing_update_names_the_resource(conn, stack_name, rollback):
    # A flat stack: Heat rolls back a cancelled nested stack unreliably (ROLLBACK_FAILED now and then), which
    # is Heat's behaviour, not the module's; the nested case is covered by the test below.
    flat = dict(cloud="undercloud", name=stack_name, template=str(FILES / "flat.yaml"))
    run_module(MODULE, dict(flat, parameters={"marker": "one"}))
    bad = dict(flat, parameters={"marker": "broken", "fail_value": True}, rollback=rollback)
    preview = run_module(MODULE, bad, check=True)
    assert preview["changes"]["updated"] == ["probe"] and preview["changes"]["unchanged"] == 1 and not preview.get("failed")
    result = run_module(MODULE, bad)
    assert result["failed"]
    assert result["failures"][0]["resource"] == "probe" and "Test Resource failed probe" in result["failures"][0]["reason"]
    assert "probe: ValueError: resources.probe: Test Resource failed probe" in result["msg"]
    stack = heat_stack(conn, stack_name)
    if rollback:
        assert stack["stack_status"] == "ROLLBACK_COMPLETE" and "ROLLBACK_COMPLETE" in result["msg"]
        assert result["stack"]["outputs"]["probe"] == "one", "rolled back to the previous value"
    else:
        assert stack["stack_status"] == "UPDATE_FAILED"
    # A failed stack is never a no-op: the good input converges it again, then settles.
    good = dict(flat, parameters={"marker": "one"})
    fixed = run_module(MODULE, good)
    assert fixed["changed"] and fixed["stack"]["status"] == "UPDATE_COMPLETE"
    assert run_module(MODULE, good)["changed"] is False


def test_failure_in_a_nested_stack_is_named(conn, stack_name, tmp_path):
    nested = tmp_path / "nested.yaml"
    nested.write_text("heat_template_version: 2021-04-16\nresources:\n  inner:\n    type: OS::Heat::TestResource\n"
                      "    properties: {fail: true, value: x}\n")
    top = tmp_path / "top.yaml"
    top.write_text("heat_template_version: 2021-04-16\nresources:\n  outer:\n    type: nested.yaml\n")
    result = run_module(MODULE, dict(cloud="undercloud", name=stack_name, template=str(top)))
    assert result["failed"] and result["stack"]["status"] == "CREATE_FAILED"
    inner = [f for f in result["failures"] if f["resource"] == "inner"]
    assert inner and inner[0]["stack"].startswith(stack_name + "-outer-") and "Test Resource failed inner" in inner[0]["reason"]


def test_in_progress_stack_is_refused_or_waited_for(conn, stack_name):
    run_module(MODULE, args(stack_name))
    # The slow update must outlast the two runs below that find it in progress (measured under the suite's load: the
    # update of 12 s ended during the 2 s wait of the second one, which then applied its own input).
    slow = args(stack_name, marker="slow", update_wait=25)
    cmd = [str(VENV_BIN / "ansible"), "localhost", "-m", MODULE, "-a", json.dumps(slow)]
    background = subprocess.Popen(cmd, cwd=TOP, env=ansible_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (heat_stack(conn, stack_name) or {}).get("stack_status") != "UPDATE_IN_PROGRESS":
            time.sleep(0.5)
        refused = run_module(MODULE, args(stack_name, marker="other"))
        assert refused["failed"] and "is UPDATE_IN_PROGRESS" in refused["msg"] and "wait_in_progress" in refused["msg"]
        short = run_module(MODULE, dict(args(stack_name, marker="other"), wait_in_progress=True, timeout=2))
        assert short["failed"] and "still UPDATE_IN_PROGRESS after 2s" in short["msg"]
        waited = run_module(MODULE, dict(slow, wait_in_progress=True))
        background.wait(timeout=120)
        assert not waited.get("failed"), waited.get("msg")
        assert waited["changed"] is False, "the update it waited for already applied the same input"
    finally:
        if background.poll() is None:
            background.kill()
    # wait: false returns as soon as Heat accepted the update.
    quick = run_module(MODULE, dict(args(stack_name, marker="later", update_wait=5), wait=False))
    assert quick["changed"] and quick["stack"]["status"] == "UPDATE_IN_PROGRESS"
    settled = run_module(MODULE, dict(args(stack_name, marker="later", update_wait=5), wait_in_progress=True))
    assert settled["changed"] is False and settled["stack"]["status"] == "UPDATE_COMPLETE" and settled["outputs"]["probe"] == "later"


@pytest.mark.parametrize("case,expected", [
    (dict(template="SYNTAX"), "is not a valid Heat template"),
    (dict(template="bad/missing_file.yaml"), "files/not-there.sh does not exist"),
    (dict(template="nope.yaml"), "nope.yaml does not exist"),
    (dict(parameters={"colour": "red"}), "parameters: colour not declared by"),
    (dict(environment_files=["bad/env.yaml"]), "is not a valid Heat environment"),
    (dict(environment={"parameter_defualts": {}}), "environment: unknown section(s) parameter_defualts"),
    (dict(parameters={"count": "many"}), "count"),
])
def test_bad_input_creates_nothing(conn, stack_name, tmp_path, case, expected):
    task = args(stack_name)
    # A YAML syntax error (written here: the repository's linters refuse broken YAML files).
    (tmp_path / "syntax.yaml").write_text("heat_template_version: 2021-04-16\nresources:\n  a:\n    type: OS::Heat::None\n   properties: {}\n")
    for key, value in case.items():
        if key == "template":
            value = str(tmp_path / "syntax.yaml") if value == "SYNTAX" else str(FILES / value)
        if key == "environment_files":
            value = [str(FILES / v) for v in value]
        task[key] = value
    result = run_module(MODULE, task)
    assert result["failed"] and expected in result["msg"], result["msg"]
    assert heat_stack(conn, stack_name) is None
