#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: container_startup
short_description: Bring containers up from a paunch/TripleO startup config on podman or docker, idempotently and in order
version_added: 0.1.0
description:
  - Takes a startup config (container name to definition, in the paunch/TripleO format) and converges the podman
    containers of one O(config_id) to it, with paunch semantics, on podman (its CLI) or docker (the Engine API through
    the docker SDK), chosen with O(runtime). The plan, the hash and the labels are the same on both.
  - Every container is labelled C(config_id), C(managed_by), C(container_name), C(config_data) (its canonical definition)
    and C(ooo.config_hash), a hash of the definition and of the content of the configuration it bind-mounts from under
    O(hash_paths) (and of its env files). A container is recreated only when that hash changes, so a changed
    configuration file restarts the service even though its definition did not change.
  - Missing containers are created, changed ones recreated, stopped ones started; containers of this O(config_id) and
    O(managed_by) that the config no longer lists are removed; containers of another O(managed_by) are never touched.
  - Containers start by ascending C(start_order), concurrently within one order. A C(detach=false) container runs to
    completion and its exit code is checked against C(exit_codes) (default 0); its output is returned when it fails.
    A container with a C(healthcheck) must become healthy (its test run in it, polled - C(podman healthcheck run), or
    an exec of the test on docker; neither needs systemd) before the next order starts. The first failure stops the
    run; later orders are not started.
  - With podman, a container process podman no longer lists (a conmon of this user in this mount namespace whose
    C(-n) is a name of this config and whose C(-c) ID no container has, left when a podman call was killed part-way;
    a nested podman's containers and another user's are never touched) would go on holding what the new
    container needs, such as its port. It is found from C(/proc), reported in C(orphans) with the ports it holds, and
    killed (SIGKILL, its processes and its conmon) before anything starts; if it survives, the run fails naming it, its
    process and its ports, with nothing started.
  - All containers of the O(config_id) are read with one C(podman ps) call (on docker, one list call and an inspect of
    each container of the config); a rerun with nothing to do makes no write.
  - A config is managed by one runtime. When the other runtime already runs one of its containers for this
    O(managed_by), the run is refused naming it, before anything is written.
  - On docker, each reported command is the Engine API call the module makes, written as the docker CLI verb it stands
    for (pull, rm, create, start, wait); C(create) carries the request body, with secret environment values as
    C(***). Env files are read on the managed host into the body's environment, as the docker CLI does.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.container_runtime
attributes:
  check_mode:
    support: full
    description: Returns the planned action and the exact commands per container; runs no container write.
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
        C(extra_hosts), C(group_add), C(check_interval), C(mem_swappiness), C(memswap_limit), C(pids_limit), and
        podman's C(cgroups) (C(enabled) for a container that shares the host's PID namespace where the engine's
        default is C(disabled); Docker always creates them, so it ignores the key).
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
      description: The commands run (or, in check mode, planned) for it - podman argv, or docker API calls.
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
    - Every write command run (or, in check mode, to be run), in order - pulls first, then removals, then each
      start order. Check mode and apply build them with the same planner.
  returned: always
  type: list
  elements: list
names:
  description: The container names of the config (also when the run fails).
  returned: always
  type: list
  elements: str
orphans:
  description:
    - With the podman runtime, the processes of containers of this config that podman no longer lists (its record
      lost while they ran, such as a podman call killed part-way), reaped (or, in check mode, to be reaped) with
      SIGKILL before anything starts.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The container name its conmon carries.
      type: str
    id:
      description: The container ID its conmon carries.
      type: str
    pids:
      description: The conmon and the processes under it, children first.
      type: list
      elements: int
    ports:
      description: The listening sockets they held, as C(host:port).
      type: list
      elements: str
    process:
      description: One line naming it, its main process and the ports it held.
      type: str
'''

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import dockerapi, orphans, runtime, startup


class StepFailed(Exception):
    pass


class Runner(object):
    def __init__(self, module, engine):
        self.module = module
        self.p = module.params
        self.engine = engine

    def write(self, entry, kind, shown, payload, check_rc=True):
        entry.setdefault("commands", []).append(shown)
        rc, out, err = self.engine.execute(kind, payload)
        if check_rc and rc != 0:
            raise StepFailed("%s failed (rc %d): %s" % (" ".join(shown[:3]), rc, (err or out).strip()[-2000:]))
        return rc, out, err

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
        """{image: bool} for the pull policy "missing" (a read)."""
        if self.p["pull"] != "missing":
            return {}
        return dict((image, self.engine.image_present(image)) for image in images)

    def pull(self, entry):
        kind, shown, payload = self.engine.pull_step(entry["name"])
        try:
            self.write(entry, kind, shown, payload)
        except StepFailed as exc:
            return "image %s: %s" % (entry["name"], exc)
        return None

    def health(self, entry, name):
        deadline = time.monotonic() + self.p["healthcheck_timeout"]
        last = ""
        while True:
            healthy, last = self.engine.health_once(name)
            if healthy:
                entry["healthy"] = True
                return
            status, _code = self.engine.status(name)
            if status not in ("running", "created"):
                break
            if time.monotonic() > deadline:
                break
            time.sleep(self.p["healthcheck_interval"])
        entry["healthy"] = False
        entry["output"] = self.engine.logs(name)[-4000:]
        raise StepFailed("container %s did not become healthy within %ss (last healthcheck: %s)"
                         % (name, self.p["healthcheck_timeout"], last or "unhealthy"))

    def apply(self, entry):
        started = time.monotonic()
        name, canon = entry["name"], entry.get("canonical")
        try:
            for kind, shown, payload in entry.get("steps") or []:
                exits = kind == self.engine.exit_step and not canon["detach"]
                rc, out, err = self.write(entry, kind, shown, payload, check_rc=not exits)
                if kind == "rm-after":
                    self.record_oneshot(name, entry["hash"])
                if exits:
                    entry["exit_code"] = rc
                    if rc not in (canon.get("exit_codes") or [0]):
                        entry["output"] = (out + err)[-4000:]
                        raise StepFailed("one-shot container %s exited with %d (allowed: %s): %s"
                                         % (name, rc, canon.get("exit_codes") or [0], (out + err).strip()[-500:]))
            if entry["action"] == "remove":
                return entry
            if canon.get("detach", True) and entry["action"] != "none":
                status, code = self.engine.status(name)
                # "stopped" is what podman may say in the moment between the process's exit and "exited".
                if status in ("exited", "stopped") and code == "0" and not canon.get("healthcheck"):
                    entry["exit_code"] = 0  # it did its job and ended cleanly (paunch's hello-world); not an error
                elif status != "running":
                    logs = self.engine.logs(name)
                    entry["output"] = logs[-4000:]
                    raise StepFailed("container %s is %s (exit code %s) right after it was started: %s"
                                     % (name, status or "gone", code or "?", logs.strip()[-500:]))
                if canon.get("healthcheck"):
                    self.health(entry, name)
        except (StepFailed, runtime.RuntimeFailure) as exc:
            entry["failed"] = True
            entry["msg"] = str(exc)
        finally:
            entry["seconds"] = round(time.monotonic() - started, 2)
        return entry


def public(entry):
    out = dict((k, v) for k, v in entry.items() if k not in ("canonical", "files_hash", "detach", "steps"))
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
            **runtime.RUNTIME_ARGUMENT_SPEC
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
    engine = runtime.make(module, p["runtime"], p["podman"], p["docker_host"])
    runner = Runner(module, engine)
    if p["runtime"] == "docker":
        for name in names:
            problems += ["container %s: %s (the docker runtime)" % (name, msg) for msg in dockerapi.problems(startup.canonical(p["config"][name]))]
        if problems:
            module.fail_json(msg="Invalid startup config for %s: %s" % (p["config_id"], "; ".join(problems)), problems=problems,
                             names=names)
    try:
        existing = engine.containers(set(p["config"]), p["config_id"])
        problems = runtime.other_runtime_claims(module, p["runtime"], names, p["config_id"], p["managed_by"], p["podman"],
                                                p["docker_host"])
    except runtime.RuntimeFailure as exc:
        module.fail_json(msg=str(exc), names=names)
    actions, plan_problems = startup.plan(p["config"], existing, p["config_id"], p["managed_by"], p["hash_paths"],
                                          cleanup=p["cleanup"], oneshot_done=runner.oneshot_done())
    problems += plan_problems
    if problems:
        module.fail_json(msg="Refusing to touch containers of %s: %s" % (p["config_id"], "; ".join(problems)), problems=problems,
                         names=names)
    todo = startup.sequence(actions)
    # The processes of a container of this config that podman no longer lists (its record lost while they ran) are
    # reaped before anything starts: they would hold what the new container needs, its port first.
    strays = []
    if p["runtime"] == "podman":
        strays = orphans.find(orphans.read_procs(), set(names), engine.known_ids, orphans.where())
        for stray in strays:
            stray["ports"] = orphans.held_ports(stray["pids"])
            stray["process"] = orphans.describe(stray)
    diff = {"before": {}, "after": {}}
    for entry in todo:
        diff["before"][entry["name"]] = "absent" if entry["action"] in ("create", "run") else {"changed_keys": entry["changed_keys"]}
        diff["after"][entry["name"]] = "absent" if entry["action"] == "remove" else entry["action"]
    # One plan for both modes: the pulls, then each entry's steps in apply's order (startup.sequence). Check mode
    # reports them; apply runs them, and reports the ones it ran in that same order.
    images = sorted(set(a["canonical"]["image"] for a in todo if a["action"] in ("create", "recreate", "run")))
    try:
        pulls = [{"name": image} for image in startup.images_to_pull(todo, p["pull"], runner.present(images))]
        for entry in todo:
            entry["steps"] = engine.entry_steps(entry, p["config_id"], p["managed_by"])
    except runtime.RuntimeFailure as exc:
        module.fail_json(msg="Failed to plan %s: %s; nothing was changed" % (p["config_id"], exc), names=names)

    def commands():
        return [c for e in pulls + strays + todo for c in e.get("commands", [])]

    def reaped():
        return [dict((k, s[k]) for k in ("name", "id", "pids", "ports", "process")) for s in strays]

    if module.check_mode:
        for entry in pulls:
            entry["commands"] = [engine.pull_step(entry["name"])[1]]
        for entry in todo:
            entry["commands"] = [shown for _kind, shown, _payload in entry["steps"]]
        for stray in strays:
            stray["commands"] = [orphans.kill_argv(stray)]
        module.exit_json(changed=bool(todo or strays), containers=[public(a) for a in actions], commands=commands(), diff=diff,
                         names=names, orphans=reaped())
    # Every image is made present before anything starts: a missing image fails the run with nothing changed.
    with ThreadPoolExecutor(max_workers=max(1, min(p["concurrency"], len(pulls) or 1))) as pool:
        errors = [e for e in pool.map(runner.pull, pulls) if e]
    if errors:
        module.fail_json(msg="Failed to start %s: %s; nothing was started" % (p["config_id"], "; ".join(errors)),
                         changed=bool(commands()), containers=[public(a) for a in actions], commands=commands())
    for stray in strays:
        stray["commands"] = [orphans.kill_argv(stray)]
        problem = orphans.reap(stray)
        if not problem:
            try:
                for argv in engine.storage_steps(stray["id"]):
                    stray["commands"].append(argv)
                    rc, out, err = module.run_command(argv)
                    if rc != 0:
                        problem = "%s: its processes were killed, but %s failed: %s" % (
                            orphans.describe(stray), " ".join(argv[:3]), (err or out).strip()[-500:])
                        break
            except runtime.RuntimeFailure as exc:
                problem = "%s: its processes were killed, but %s" % (orphans.describe(stray), exc)
        if problem:
            module.fail_json(msg="Failed to start %s: %s; nothing was started" % (p["config_id"], problem),
                             changed=True, containers=[public(a) for a in actions], commands=commands(), names=names,
                             orphans=reaped())
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
    result = dict(changed=bool(todo or strays), containers=[public(a) for a in actions], commands=commands(), diff=diff, names=names,
                  orphans=reaped())
    if failed:
        module.fail_json(msg="Failed to start %s: %s; later start orders were not started" % (p["config_id"], failed["msg"]), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
