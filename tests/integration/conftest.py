"""Integration tests run against the real lab: the undercloud services and the lab machines.

The lab is brought up once per test session with the README's main playbook
(``playbooks/lab.yml``: the undercloud, the machines and the overcloud deployed on them); set OOO_LAB_READY=1 to
reuse a lab that is already up, and OOO_LAB_LOG to the output of the run that brought it up (scripts/test.sh does
both after the molecule scenario converged the lab).

The overcloud tests run first, on the overcloud as the lab run left it, before other tests change the machines.
"""
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

TOP = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
CLOUDS_YAML = Path(os.path.expanduser("~/.config/openstack/clouds.yaml"))
PASSWORDS_FILE = Path("/etc/ooo-undercloud/passwords.yml")


def ansible_env(**extra):
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1",
               PATH="%s:%s" % (VENV_BIN, env.get("PATH", "")))
    env.update(extra)
    return env


def run_playbook(playbook, *args, check=True):
    """Run a playbook from the repository; return (rc, output)."""
    cmd = [str(VENV_BIN / "ansible-playbook"), str(TOP / "playbooks" / playbook)] + list(args)
    proc = subprocess.run(cmd, cwd=TOP, env=ansible_env(), capture_output=True, text=True, timeout=1800, check=False)
    output = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        raise AssertionError("%s failed (rc %d):\n%s" % (playbook, proc.returncode, output[-6000:]))
    return proc.returncode, output


def recap(output, host="localhost"):
    """The PLAY RECAP counters of one host, as a dict."""
    for line in output.splitlines():
        if line.startswith(host + " ") and "ok=" in line:
            return {k: int(v) for k, v in (item.split("=") for item in line.split(":", 1)[1].split())}
    raise AssertionError("no recap line for %s in:\n%s" % (host, output[-3000:]))


def run_module(module, args, check=False, diff=False, host="localhost", prefix=(), raw=False, extra=(), env=None):
    """Run one module of the collection ad hoc; return its result dict (with ``raw``, also the whole output).

    ``prefix`` is a command put in front of ``ansible`` (setpriv, to run without some capabilities); ``extra``, more
    arguments of ``ansible`` (an inventory of one throwaway machine); ``env``, more environment variables.
    """
    cmd = list(prefix) + [str(VENV_BIN / "ansible"), host, "-m", module, "-a", json.dumps(args)] + list(extra)
    if check:
        cmd.append("--check")
    if diff:
        cmd.append("--diff")
    env = ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", **(env or {}))
    proc = subprocess.run(cmd, cwd=TOP, env=env, capture_output=True, text=True, timeout=600, check=False)
    try:
        data = json.loads(proc.stdout)
    except ValueError:
        raise AssertionError("no JSON from %s: %s %s" % (module, proc.stdout[-2000:], proc.stderr[-2000:]))
    result = data["plays"][0]["tasks"][0]["hosts"][host]
    if raw:
        return result, proc.stdout + proc.stderr
    return result


def start_module(module, args):
    """Run a module in the background (the json callback); ``finish(proc)`` reads its result."""
    cmd = [str(VENV_BIN / "ansible"), "localhost", "-m", module, "-a", json.dumps(args)]
    env = ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    return subprocess.Popen(cmd, cwd=TOP, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=300):
    """The result of a module ``start_module`` started."""
    out, err = proc.communicate(timeout=timeout)
    try:
        return json.loads(out)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        raise AssertionError("no result: %s %s" % (out[-2000:], err[-2000:]))


def own_database_conf(conf, static_dir):
    """containers.conf text ``conf`` with podman's database moved to ``static_dir``: a container started with it runs on
    the same storage while the usual podman lists no record of it (what a podman call killed part-way leaves)."""
    line = 'static_dir = "%s"' % static_dir
    return conf.replace("[engine]", "[engine]\n" + line, 1) if "[engine]" in conf else conf + "\n[engine]\n" + line + "\n"


def running(name):
    """Whether a container of this host runs (podman ps)."""
    out = subprocess.run(["podman", "ps", "--format", "{{.Names}}"], capture_output=True, text=True, check=True).stdout
    return name in out.split()


def wait(predicate, timeout=90, what="condition"):
    """Poll predicate() every second until it is true; return its value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(1)
    raise AssertionError("timed out waiting for %s" % what)


def machine(name, *argv, check=True):
    """Run a command in a lab machine (ooo-lab-NAME)."""
    return subprocess.run(["podman", "exec", "ooo-lab-" + name] + list(argv), capture_output=True, text=True, check=check)


def process_tree(roots):
    """The pids ``roots`` and every descendant of theirs on this host (the lab machines' processes are this host's)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], list(roots)
    while todo:
        current = todo.pop()
        if current not in found:
            found.append(current)
            todo.extend(children.get(current, []))
    return found


def containers(name):
    """The deployment's containers on a lab machine: name -> (config_id, state, exit code)."""
    out = machine(name, "podman", "ps", "-a", "--filter", "label=managed_by=ooo.lifecycle", "--format", "json").stdout
    return {c["Names"][0]: (c["Labels"].get("config_id"), c["State"], c.get("ExitCode")) for c in json.loads(out or "[]")}


def container_ids(name):
    out = machine(name, "podman", "ps", "-a", "--filter", "label=managed_by=ooo.lifecycle", "--format", "json").stdout
    return {c["Names"][0]: c["Id"] for c in json.loads(out or "[]")}


def haproxy_backends(controller="controller-0"):
    """HAProxy's servers on the controller: sorted (listen, server, status)."""
    stat = machine(controller, "podman", "exec", "haproxy", "sh", "-c",
                   "echo 'show stat' | socat stdio unix-connect:/run/haproxy/admin.sock").stdout
    rows = [row.split(",") for row in stat.splitlines() if row and not row.startswith("#")]
    return sorted((r[0], r[1], r[17]) for r in rows if r[1] not in ("FRONTEND", "BACKEND"))


FIRST = ("test_overcloud_deploy.py", "test_listeners.py", "test_overcloud_scale.py", "test_overcloud_update.py", "test_overcloud_upgrade.py",
         "test_validations.py")


# The overcloud's machines as the lab deploys them, and the release fact each one records.
DEPLOYED = ["controller-0", "compute-0", "compute-2"]
RELEASE_FACT = "/etc/ansible/facts.d/ooo.fact"


def summary(output):
    """The per-step rows of the first summary the output has (STEP SECONDS APPLIED/HOSTS)."""
    rows = {}
    for line in output.splitlines():
        parts = line.strip().strip("-").strip().strip("'\"").split()
        if len(parts) >= 3 and parts[0].isdigit() and "/" in parts[2]:
            rows.setdefault(int(parts[0]), (parts[2], " ".join(parts[3:])))
    return rows


def undeploy():
    """Every lab machine as before any deployment: no deployment container, config, marker, data or release fact."""
    for name in DEPLOYED + ["compute-1"]:
        ids = machine(name, "podman", "ps", "-aq", "--filter", "label=managed_by=ooo.lifecycle", check=False).stdout.split()
        if ids:
            machine(name, "podman", "rm", "-f", "-t", "0", *ids, check=False)
        machine(name, "rm", "-rf", "/var/lib/ooo-lifecycle/deploy-steps", "/var/lib/ooo-lifecycle/container-startup-config",
                "/var/lib/ooo-lifecycle/container-startup", "/var/lib/config-data/ooo", "/var/lib/ooo-overcloud", RELEASE_FACT, check=False)
        machine(name, "ip", "addr", "del", "198.18.0.250/32", "dev", "lo", check=False)


# The suite ends by deploying the overcloud from nothing again: it leaves the lab as the lab run made it.
LAST = ("test_lab_restored.py",)


def pytest_collection_modifyitems(items):
    def rank(item):
        name = item.path.name
        if name in LAST:
            return len(FIRST) + 1 + LAST.index(name)
        return FIRST.index(name) if name in FIRST else len(FIRST)
    items.sort(key=rank)  # stable: the order within a file is kept


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\]8;;[^\x1b]*\x1b\\")
BORDER = re.compile(r"^\s*\u2502 ?", re.MULTILINE)


def plain(log):
    """Ansible's output as it would print alone: without colours and without molecule's border."""
    return BORDER.sub("", ANSI.sub("", log))


def _lab_log():
    log = os.environ.get("OOO_LAB_LOG")
    return plain(Path(log).read_text(errors="replace")) if log and Path(log).exists() else ""


@pytest.fixture(scope="session")
def lab():
    """The lab, up: returns the output of the run that brought it up ("" when it was up already and no log is known).

    After molecule (scripts/test.sh), that is its converge run: its idempotence run (the second lab.yml) is
    ``lab_rerun``.
    """
    if os.environ.get("OOO_LAB_READY") == "1":
        return _lab_log().split(IDEMPOTENCE)[0]
    _rc, output = run_playbook("lab.yml", "-v")
    return output


IDEMPOTENCE = "idempotence: Executing"


@pytest.fixture(scope="session")
def lab_rerun(lab):
    """The output of the second run of lab.yml on the lab as the first left it (molecule's idempotence step), or None."""
    parts = _lab_log().split(IDEMPOTENCE) if os.environ.get("OOO_LAB_READY") == "1" else []
    return parts[1] if len(parts) > 1 and "PLAY RECAP" in parts[1] else None


@pytest.fixture(scope="session")
def passwords(lab):
    import yaml
    return yaml.safe_load(PASSWORDS_FILE.read_text())


@pytest.fixture(scope="session")
def conn(lab):
    import openstack
    return openstack.connect(cloud="undercloud")
