#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: container_startup
short_description: Bring containers up from a paunch/TripleO startup config on podman, idempotently and in order
version_added: 0.1.0
description:
  - Takes a startup config (container name to definition, in the paunch/TripleO format) and converges the podman
    containers of one O(config_id) to it, with paunch semantics.
  - Every container is labelled C(config_id), C(managed_by), C(container_name), C(config_data) (its canonical definition)
    and C(ooo.config_hash), a hash of the definition and of the content of the configuration it bind-mounts from under
    O(hash_paths) (and of its env files). A container is recreated only when that hash changes, so a changed
    configuration file restarts the service even though its definition did not change.
  - Missing containers are created, changed ones recreated, stopped ones started; containers of this O(config_id) and
    O(managed_by) that the config no longer lists are removed; containers of another O(managed_by) are never touched.
  - Containers start by ascending C(start_order), concurrently within one order. A C(detach=false) container runs to
    completion and its exit code is checked against C(exit_codes) (default 0); its output is returned when it fails.
    A container with a C(healthcheck) must become healthy (polled with C(podman healthcheck run), which works without
    systemd) before the next order starts. The first failure stops the run; later orders are not started.
  - All containers of the O(config_id) are read with one C(podman ps) call; a rerun with nothing to do makes no podman
    write.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Returns the planned action and the exact commands per container; runs no podman write.
  diff_mode:
    support: full
    description: Per container, the keys of the definition that changed (and the bind-mounted content).
options:
  config:
    description:
      - The startup config - a mapping of container name to definition. Keys of a definition - C(image) (required),
        C(command), C(entrypoint), C(environment) (list of KEY=VALUE or mapping), C(env_file), C(volumes), C(net), C(pid),
        C(ipc), C(uts), C(privileged), C(user), C(cap_add), C(cap_drop), C(security_opt), C(ulimit), C(healthcheck)
        (C(test), C(interval), C(timeout), C(retries), C(start_period)), C(restart), C(start_order), C(detach), C(remove),
        C(depends_on), C(labels), C(hostname), C(workdir), C(tty), C(stop_signal), C(stop_grace_period), C(mem_limit),
        C(cpu_shares), C(cpuset_cpus), C(log_tag), C(exit_codes), and paunch's C(interactive), C(volumes_from),
        C(extra_hosts), C(group_add), C(check_interval), C(mem_swappiness), C(memswap_limit), C(pids_limit).
        An unknown key is an error naming it (paunch's C(action=exec) is not supported).
      - Exactly one of O(config) and O(config_path) is required.
    type: dict
  config_path:
    description:
      - The startup config read on the managed host - a JSON or YAML file holding the mapping (TripleO's
        C(container-startup-config-step_N.json)), or a directory with one file per container (C(NAME.json),
        C(NAME.yaml)), the container named after the file.
    type: path
  config_id:
    description: The deployment (step) these containers belong to, such as C(tripleo_step3).
    type: str
    required: true
  managed_by:
    description: Who manages these containers; containers with another value are never changed.
    type: str
    default: ooo.lifecycle
  hash_paths:
    description: Bind-mount sources under these directories have their content hashed into the container's hash.
    type: list
    elements: path
    default: [/var/lib/config-data, /var/lib/kolla/config_files, /etc/ooo-containers]
  cleanup:
    description: Remove containers of this O(config_id) and O(managed_by) that the config does not list.
    type: bool
    default: true
  concurrency:
    description: How many containers of one start order are started at the same time.
    type: int
    default: 4
  healthcheck_timeout:
    description: Seconds a container with a healthcheck has to become healthy.
    type: int
    default: 120
  healthcheck_interval:
    description: Seconds between two healthcheck runs while waiting.
    type: float
    default: 1.0
  pull:
    description: When to pull an image - C(missing) (not present locally), C(always), or C(never).
    type: str
    default: missing
    choices: [missing, always, never]
  state_dir:
    description: Where the hashes of completed one-shot containers with C(remove=true) are kept (so they do not run again).
    type: path
    default: /var/lib/ooo-lifecycle/container-startup
  podman:
    description: The podman executable.
    type: str
    default: podman
requirements:
  - podman on the managed host
notes:
  - The image name is part of the hash, the image content is not (as with paunch) - pull a new tag, or change the
    config, to roll out a new image.
'''

EXAMPLES = r'''
- name: Step 3 of the controller
  ooo.lifecycle.container_startup:
    config_id: tripleo_step3
    config:
      keystone_db_sync:
        image: 198.18.0.1:8787/ooo/keystone:current
        detach: false
        start_order: 0
        command: [keystone-manage, db_sync]
        volumes: [/var/lib/config-data/keystone/etc/keystone:/etc/keystone:ro]
      keystone:
        image: 198.18.0.1:8787/ooo/keystone:current
        start_order: 1
        net: host
        restart: always
        healthcheck: {test: "curl -sf http://127.0.0.1:5000/v3"}
        volumes: [/var/lib/config-data/keystone/etc/keystone:/etc/keystone:ro]
'''

RETURN = r'''
containers:
  description: One entry per container (removed ones included), in start order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Container name.
      type: str
    action:
      description: create, recreate, start, run (a one-shot), remove or none.
      type: str
    order:
      description: Its start order.
      type: int
    changed_keys:
      description: The definition keys that changed (for recreate), with C((content of ...)) for bind-mounted content.
      type: list
      elements: str
    commands:
      description: The podman commands run (or, in check mode, planned) for it.
      type: list
      elements: list
    exit_code:
      description: For a one-shot container, its exit code.
      type: int
    output:
      description: For a one-shot container that failed or a container that did not become healthy, its output.
      type: str
    healthy:
      description: For a container with a healthcheck that was started, whether it became healthy.
      type: bool
    seconds:
      description: Time spent on it.
      type: float
commands:
  description:
    - Every podman write command run (or, in check mode, to be run), in order - pulls first, then removals, then each
      start order. Check mode and apply build them with the same planner.
  returned: always
  type: list
  elements: list
names:
  description: The container names of the config (also when the run fails).
  returned: always
  type: list
  elements: str
'''

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import startup


class StepFailed(Exception):
    pass


class Runner(object):
    def __init__(self, module):
        self.module = module
        self.p = module.params
        self.podman = self.p["podman"]

    def run(self, argv, check_rc=False):
        rc, out, err = self.module.run_command(argv)
        if check_rc and rc != 0:
            raise StepFailed("%s failed (rc %d): %s" % (" ".join(argv[:3]), rc, (err or out).strip()[-2000:]))
        return rc, out, err

    def write(self, entry, argv, check_rc=True):
        entry.setdefault("commands", []).append(argv)
        return self.run(argv, check_rc=check_rc)

    def existing(self, names):
        rc, out, err = self.run([self.podman, "ps", "--all", "--format", "json"])
        if rc != 0:
            self.module.fail_json(msg="Failed to list the podman containers: %s" % (err or out).strip())
        found = {}
        for item in json.loads(out or "[]"):
            name = (item.get("Names") or [None])[0]
            labels = item.get("Labels") or {}
            if name in names or labels.get("config_id") == self.p["config_id"]:
                found[name] = {"labels": labels, "running": item.get("State") == "running", "state": item.get("State"),
                               "exit_code": item.get("ExitCode"), "id": item.get("Id")}
        return found

    def oneshot_file(self):
        return os.path.join(self.p["state_dir"], "%s.json" % self.p["config_id"])

    def oneshot_done(self):
        try:
            with open(self.oneshot_file()) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def record_oneshot(self, name, digest):
        done = self.oneshot_done()
        done[name] = digest
        os.makedirs(self.p["state_dir"], exist_ok=True)
        tmp = self.oneshot_file() + ".tmp"
        with open(tmp, "w") as handle:
            json.dump(done, handle, sort_keys=True)
        os.replace(tmp, self.oneshot_file())

    def present(self, images):
        """{image: bool} for the pull policy "missing" (a read: `podman image exists`)."""
        if self.p["pull"] != "missing":
            return {}
        return dict((image, self.run([self.podman, "image", "exists", image])[0] == 0) for image in images)

    def pull(self, entry):
        try:
            self.write(entry, [self.podman, "pull", entry["name"]])
        except StepFailed as exc:
            return "image %s: %s" % (entry["name"], exc)
        return None

    def health(self, entry, name):
        deadline = time.monotonic() + self.p["healthcheck_timeout"]
        last = ""
        while True:
            rc, out, err = self.run([self.podman, "healthcheck", "run", name])
            if rc == 0:
                entry["healthy"] = True
                return
            last = (out + err).strip()
            state_rc, state, _err = self.run([self.podman, "container", "inspect", "--format", "{{.State.Status}}", name])
            if state_rc == 0 and state.strip() not in ("running", "created"):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(self.p["healthcheck_interval"])
        entry["healthy"] = False
        _rc, logs, logs_err = self.run([self.podman, "logs", "--tail", "50", name])
        entry["output"] = (logs + logs_err)[-4000:]
        raise StepFailed("container %s did not become healthy within %ss (last healthcheck: %s)"
                         % (name, self.p["healthcheck_timeout"], last or "unhealthy"))

    def apply(self, entry):
        started = time.monotonic()
        name, canon = entry["name"], entry.get("canonical")
        try:
            for kind, argv in startup.entry_commands(entry, self.p["config_id"], self.p["managed_by"], self.podman):
                if kind != "run":
                    self.write(entry, argv)
                    if kind == "rm-after":
                        self.record_oneshot(name, entry["hash"])
                    continue
                rc, out, err = self.write(entry, argv, check_rc=canon["detach"])
                if not canon["detach"]:
                    entry["exit_code"] = rc
                    if rc not in (canon.get("exit_codes") or [0]):
                        entry["output"] = (out + err)[-4000:]
                        raise StepFailed("one-shot container %s exited with %d (allowed: %s): %s"
                                         % (name, rc, canon.get("exit_codes") or [0], (out + err).strip()[-500:]))
            if entry["action"] == "remove":
                return entry
            if canon.get("detach", True) and entry["action"] != "none":
                rc, state, _err = self.run([self.podman, "container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name])
                status, _sep, code = state.strip().partition(" ")
                # "stopped" is what podman may say in the moment between the process's exit and "exited".
                if status in ("exited", "stopped") and code == "0" and not canon.get("healthcheck"):
                    entry["exit_code"] = 0  # it did its job and ended cleanly (paunch's hello-world); not an error
                elif rc != 0 or status != "running":
                    _rc, logs, logs_err = self.run([self.podman, "logs", "--tail", "50", name])
                    entry["output"] = (logs + logs_err)[-4000:]
                    raise StepFailed("container %s is %s (exit code %s) right after it was started: %s"
                                     % (name, status or "gone", code or "?", (logs + logs_err).strip()[-500:]))
                if canon.get("healthcheck"):
                    self.health(entry, name)
        except StepFailed as exc:
            entry["failed"] = True
            entry["msg"] = str(exc)
        finally:
            entry["seconds"] = round(time.monotonic() - started, 2)
        return entry


def public(entry):
    out = dict((k, v) for k, v in entry.items() if k not in ("canonical", "files_hash", "detach"))
    out.setdefault("commands", [])
    return out


def main():
    module = OOOModule(
        argument_spec=dict(
            config=dict(type="dict"),
            config_path=dict(type="path"),
            config_id=dict(type="str", required=True),
            managed_by=dict(type="str", default="ooo.lifecycle"),
            hash_paths=dict(type="list", elements="path",
                            default=["/var/lib/config-data", "/var/lib/kolla/config_files", "/etc/ooo-containers"]),
            cleanup=dict(type="bool", default=True),
            concurrency=dict(type="int", default=4),
            healthcheck_timeout=dict(type="int", default=120),
            healthcheck_interval=dict(type="float", default=1.0),
            pull=dict(type="str", default="missing", choices=["missing", "always", "never"]),
            state_dir=dict(type="path", default="/var/lib/ooo-lifecycle/container-startup"),
            podman=dict(type="str", default="podman"),
        ),
        supports_check_mode=True,
        required_one_of=[("config", "config_path")],
        mutually_exclusive=[("config", "config_path")],
    )
    p = module.params
    if p["config_path"]:
        try:
            p["config"] = startup.load_config_path(p["config_path"])
        except ValueError as exc:
            module.fail_json(msg="Invalid startup config for %s: %s" % (p["config_id"], exc))
    names = sorted(p["config"]) if isinstance(p["config"], dict) else []
    problems = startup.validate(p["config"])
    if p["concurrency"] < 1:
        problems.append("concurrency: %d must be at least 1" % p["concurrency"])
    if problems:
        module.fail_json(msg="Invalid startup config for %s: %s" % (p["config_id"], "; ".join(problems)), problems=problems,
                         names=names)
    runner = Runner(module)
    existing = runner.existing(set(p["config"]))
    actions, problems = startup.plan(p["config"], existing, p["config_id"], p["managed_by"], p["hash_paths"],
                                     cleanup=p["cleanup"], oneshot_done=runner.oneshot_done())
    if problems:
        module.fail_json(msg="Refusing to touch containers of %s: %s" % (p["config_id"], "; ".join(problems)), problems=problems,
                         names=names)
    todo = startup.sequence(actions)
    diff = {"before": {}, "after": {}}
    for entry in todo:
        diff["before"][entry["name"]] = "absent" if entry["action"] in ("create", "run") else {"changed_keys": entry["changed_keys"]}
        diff["after"][entry["name"]] = "absent" if entry["action"] == "remove" else entry["action"]
    # One plan for both modes: the pulls, then each entry's commands in apply's order (startup.sequence). Check mode
    # reports them; apply runs them, and reports the ones it ran in that same order.
    images = sorted(set(a["canonical"]["image"] for a in todo if a["action"] in ("create", "recreate", "run")))
    pulls = [{"name": image} for image in startup.images_to_pull(todo, p["pull"], runner.present(images))]

    def commands():
        return [c for e in pulls + todo for c in e.get("commands", [])]

    if module.check_mode:
        for entry in pulls:
            entry["commands"] = [[p["podman"], "pull", entry["name"]]]
        for entry in todo:
            entry["commands"] = [argv for _kind, argv in startup.entry_commands(entry, p["config_id"], p["managed_by"], p["podman"])]
        module.exit_json(changed=bool(todo), containers=[public(a) for a in actions], commands=commands(), diff=diff, names=names)
    # Every image is made present before anything starts: a missing image fails the run with nothing changed.
    with ThreadPoolExecutor(max_workers=max(1, min(p["concurrency"], len(pulls) or 1))) as pool:
        errors = [e for e in pool.map(runner.pull, pulls) if e]
    if errors:
        module.fail_json(msg="Failed to start %s: %s; nothing was started" % (p["config_id"], "; ".join(errors)),
                         changed=bool(commands()), containers=[public(a) for a in actions], commands=commands())
    failed = None
    for entry in [a for a in todo if a["action"] == "remove"]:
        runner.apply(entry)
        failed = failed or (entry if entry.get("failed") else None)
    orders = sorted(set(a["order"] for a in actions if a["action"] != "remove"))
    for order in orders:
        if failed:
            for entry in actions:
                if entry["order"] == order and entry["action"] != "none":
                    entry["skipped"] = True
                    entry["msg"] = "not started: %s failed" % failed["name"]
            continue
        batch = [a for a in todo if a["order"] == order and a["action"] != "remove"]
        if batch:
            with ThreadPoolExecutor(max_workers=min(p["concurrency"], len(batch))) as pool:
                list(pool.map(runner.apply, batch))
        failed = next((a for a in batch if a.get("failed")), None)
    result = dict(changed=bool(todo), containers=[public(a) for a in actions], commands=commands(), diff=diff, names=names)
    if failed:
        module.fail_json(msg="Failed to start %s: %s; later start orders were not started" % (p["config_id"], failed["msg"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
