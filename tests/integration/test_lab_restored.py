"""The suite's last test: the overcloud deployed from nothing again, through a failed step and the resume from it.

The scenario tests before it leave the overcloud upgraded to the next release (test_overcloud_upgrade.py), scaled in
and out, updated; the README's main command (`make lab`) must still run after the README's test command
(`make test`). So the suite ends as an operator would start over: every deployment container, config, marker, data
directory and release fact removed from the machines (Ironic keeps them deployed from the golden image), then the
deployment of the lab's release from nothing, once with an operator's testinfra check that fails step 3's validation
on the controller, again without it, which resumes at step 3 until compute-2's power is cut once step 4 begins, and
a third time, which has Ironic power it on and completes; then at once a rolling update of the computes, which must
lose no request through the VIP, and after which its sanity stage must pass, with Tempest's server scenario. While the
deployment runs, every process's command line is sampled; none may hold a secret, nor may anything podman shows of a
container. scripts/test.sh runs this file alone, last.
"""
import json
import os
import subprocess
import threading
from pathlib import Path

import yaml

from conftest import (DEPLOYED, RELEASE_FACT, TOP, VENV_BIN, ansible_env, containers, machine, recap, run_playbook, summary,
                      undeploy, wait)

RELEASE = "2026.2"
REMOTE_IMAGE = "198.18.0.1:8787/ooo/services:" + RELEASE
LOCAL_IMAGE = "localhost/ooo-services:" + RELEASE
NEXT_IMAGE = "198.18.0.1:8787/ooo/services:2027.1"  # test_overcloud_upgrade.py's
SERVER_SCENARIO = r"^tempest\.scenario\.test_server_basic_ops\.TestServerBasicOps\.test_server_basic_ops\b"
PROBE = "/var/lib/ooo-undercloud/reports/update-probe.json"
CUT = "compute-2"  # the machine whose power is cut in the middle of a step
# The fleet is as the lab left it and the validation groups are tested elsewhere (test_validations.py): only the
# deployment's steps matter here. The sanity stage stays on: it proves the restored overcloud answers through the VIP.
QUICK = {"overcloud_fleet": False, "overcloud_validations": False}


FAILING_CHECK = '''
def test_the_operator_approved_this_machine(host, ooo):
    assert host.file("/etc/ooo-operator-approved").exists, (
        "/etc/ooo-operator-approved is missing on %s; approve the machine, then run again" % ooo["host"])
'''


SECRET_FILES = ("/etc/ooo-undercloud/passwords.yml", "/etc/ooo-undercloud/overcloud-passwords.yml",
                os.path.expanduser("~/.config/openstack/secure.yaml"), "/etc/ooo-lab/bmc/password")


def known_secrets():
    """Every generated password this lab holds: the undercloud's, the overcloud's, the clouds' (secure.yaml), the BMC's."""
    found = set()

    def walk(value):
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and len(value) >= 12:
            found.add(value)
    for path in SECRET_FILES:
        text = Path(path).read_text()
        walk(yaml.safe_load(text) if path.endswith(".yml") or path.endswith(".yaml") else text.strip())
    assert len(found) >= 10, "the lab's secrets were not found (%d)" % len(found)
    return found


class ArgvSampler(object):
    """Every distinct command line of every process on this host (the lab machines' processes too: they are this
    host's processes), read from /proc every 0.2 s while a deployment runs."""

    def __init__(self):
        self.seen = set()
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        with open("/proc/%s/cmdline" % entry, "rb") as handle:
                            self.seen.add(handle.read().replace(b"\0", b" ").decode("utf-8", "replace"))
                    except OSError:
                        pass
            self.samples += 1
            self._stop.wait(0.2)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(10)


def failing_checks(tmp_path):
    """An operator's testinfra check for the controllers' step 3 that fails (overcloud_testinfra_dirs)."""
    step3 = tmp_path / "checks" / "Controller" / "step_3"
    step3.mkdir(parents=True)
    (step3 / "test_approved.py").write_text(FAILING_CHECK)
    return str(tmp_path / "checks")


def test_failed_step_stops_everyone_a_rerun_resumes_there_and_the_lab_is_as_the_lab_run_made_it(tmp_path, conn):
    undeploy()
    for host in DEPLOYED:
        assert machine(host, "test", "-e", RELEASE_FACT, check=False).returncode != 0, host
    # A stale tag: compute-0's image store (kept across Ironic's redeployments, as the lab keeps it) holds another image
    # (the next release's, which the upgrade test left there) under the lab release's tag; the deployment must pull
    # the registry's image, not run the one the tag names here.
    machine("compute-0", "podman", "tag", NEXT_IMAGE, REMOTE_IMAGE)
    want = subprocess.run(["podman", "image", "inspect", "--format", "{{.Id}}", LOCAL_IMAGE], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert machine("compute-0", "podman", "image", "inspect", "--format", "{{.Id}}", REMOTE_IMAGE).stdout.strip() != want

    # Step 3 fails its validation on the controller: an operator's testinfra check (the step's containers are fine).
    failing = dict(QUICK, overcloud_sanity=False, overcloud_testinfra_dirs=[failing_checks(tmp_path)])
    sampler = ArgvSampler().__enter__()
    rc, output = run_playbook("overcloud_deploy.yml", "-e", json.dumps(failing), check=False)
    assert rc != 0
    assert ("step 3 on controller-0 does not validate: test_approved.py: test_the_operator_approved_this_machine: "
            "/etc/ooo-operator-approved is missing on controller-0; approve the machine, then run again") in output, output[-3000:]
    assert recap(output, "controller-0")["failed"] == 1
    assert recap(output, "compute-0")["failed"] == 0 and recap(output, "compute-2")["failed"] == 0
    # No machine went on to step 4: any_errors_fatal stopped the run at step 3 everywhere.
    assert "Apply and validate step 4" not in output

    # Without that check, the rerun resumes: steps 1 and 2 are skipped by their markers; no machine recorded step 3
    # (the failure stopped every machine at that task), so step 3 runs again everywhere. Then, once step 4 begins,
    # compute-2 loses its power (its machine's container killed). Ansible reports that machine unreachable, or, when
    # the cut lands while a module runs there, its task failed (killed); either way any_errors_fatal stops every
    # machine in step 4.
    cut_log = tmp_path / "cut.log"
    with open(cut_log, "w") as log:
        run = subprocess.Popen([str(VENV_BIN / "ansible-playbook"), str(TOP / "playbooks" / "overcloud_deploy.yml"), "-e",
                                json.dumps(dict(QUICK, overcloud_sanity=False))], cwd=TOP, env=ansible_env(), stdout=log,
                               stderr=subprocess.STDOUT)
        try:
            wait(lambda: "Apply and validate step 4" in cut_log.read_text(), 900, "step 4")
        finally:
            subprocess.run(["podman", "kill", "ooo-lab-" + CUT], capture_output=True, check=False)  # the power cut
        rc = run.wait(900)
    cut = cut_log.read_text()
    assert rc != 0
    assert "Apply and validate step 3" in cut and recap(cut, "controller-0")["failed"] == 0, cut[-3000:]
    lost = recap(cut, CUT)
    assert lost["unreachable"] == 1 or lost["failed"] == 1, (lost, cut[-3000:])
    assert lost["unreachable"] == 0 or "ooo-lab-%s is not running" % CUT in cut
    assert "Apply and validate step 5" not in cut
    # Ironic's power sync records the machine off; the operator's rerun has Ironic power it on again.
    wait(lambda: conn.baremetal.find_node(CUT).power_state == "power off", 120, "Ironic recording %s off" % CUT)

    # The rerun, with the documented example checks (they run, and pass): compute-2 powered on through Ironic, steps 1
    # to 3 skipped where their markers match and they still validate (re-applied on the machine that lost its power
    # where they do not), 4 and 5 brought up everywhere.
    # (Tempest is off here: the lab run's two deployments ran it, and test_overcloud_deploy.py proves it green.)
    examples = dict(QUICK, overcloud_tempest=False, overcloud_testinfra_dirs=[str(TOP / "docs" / "examples" / "testinfra")])
    try:
        _rc, resumed = run_playbook("overcloud_deploy.yml", "-e", json.dumps(examples))
    finally:
        sampler.__exit__()
    # At once, the rolling update of the computes (measured before the deployment waited for HAProxy: right after a
    # deployment from nothing it lost 1040 of 5036 requests through the VIP, HTTP 503 from its first second, while
    # HAProxy had not yet seen the new servers UP). With the same image: each compute is drained, brought through its
    # steps and put back, and the probe must lose nothing.
    if os.path.exists(PROBE):
        os.unlink(PROBE)
    # The update ends with its sanity stage and Tempest through the VIP; here Tempest runs one scenario, a server of
    # the test guest booted on the updated computes (the whole smoke run costs about 140 s and the lab run's proved
    # it green; tempest_smoke and tempest_include are roles/tempest's options, as an operator would give them).
    _rc, updated = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=" + REMOTE_IMAGE, "-e",
                                json.dumps({"overcloud_validations": False, "overcloud_update_roles": ["Compute"],
                                            "tempest_smoke": False, "tempest_include": [SERVER_SCENARIO]}))
    probe = json.load(open(PROBE))
    assert probe["requests"] >= 100 and probe["failed"] == 0, {k: probe[k] for k in ("requests", "failed", "failures")}
    # After the update, its sanity stage passed, Tempest's server scenario last (one test, green): a server boots on the
    # restored, updated computes.
    flat = " ".join(updated.split())
    assert "after the update: token=PASSED" in flat and "computes-ready=PASSED" in flat and "tempest=PASSED" in flat, updated[-3000:]
    ran = json.load(open("/var/lib/ooo-undercloud/tempest/last-summary.json"))
    assert ran["tests"] == ran["passed"] == 1 and ran["failed"] == [], ran
    assert "haproxy-backends-up" in resumed, "the deployment waited for HAProxy's servers (validations off)"
    rows = summary(resumed)
    assert all(rows[step][0] in ("0/3", "1/3") for step in (1, 2, 3)), rows
    assert rows[4][0] == "3/3" and rows[5][0] == "3/3", rows
    assert "sanity:token=PASSED" in resumed and "sanity:image-upload-list=PASSED" in resumed

    # As the lab run made it: the lab's release on every machine, its image in every deployment container, running.
    for host in DEPLOYED:
        assert json.loads(machine(host, "cat", RELEASE_FACT).stdout)["release"] == RELEASE, host
        images = machine(host, "podman", "ps", "--filter", "label=managed_by=ooo.lifecycle", "--format", "{{.Image}}").stdout.split()
        assert images and set(images) == {REMOTE_IMAGE}, (host, images)
        have = machine(host, "podman", "image", "inspect", "--format", "{{.Id}}", REMOTE_IMAGE).stdout.strip()
        assert have == want, "%s runs %s under %s, not the registry's %s" % (host, have, REMOTE_IMAGE, want)
    assert containers("compute-0")["compute_agent"][:2] == ("tripleo_step4", "running")
    assert containers("controller-0")["keystone"][:2] == ("tripleo_step3", "running")

    # No secret in any process's command line while the deployment ran from nothing (MariaDB's bootstrap, Keystone's,
    # the services' db syncs, the sanity stage), nor in what podman shows of any container, here or on a machine.
    secrets = known_secrets()
    assert sampler.samples > 100 and len(sampler.seen) > 200, (sampler.samples, len(sampler.seen))
    leaked = sorted({line[:120] for line in sampler.seen for secret in secrets if secret in line})
    assert not leaked, "a secret in a process's command line: %s" % leaked
    hosts = [None] + list(DEPLOYED)
    for host in hosts:
        prefix = [] if host is None else ["podman", "exec", "ooo-lab-" + host]
        ids = subprocess.run(prefix + ["podman", "ps", "-aq"], capture_output=True, text=True, check=True).stdout.split()
        assert ids, host
        shown = subprocess.run(prefix + ["podman", "inspect"] + ids, capture_output=True, text=True, check=True).stdout
        leaked = [c["Name"] for c in json.loads(shown) if any(secret in json.dumps(c) for secret in secrets)]
        assert not leaked, "a secret in podman inspect of %s on %s" % (leaked, host or "this host")
