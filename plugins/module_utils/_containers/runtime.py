# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The two container runtimes behind container_startup and container_startup_info: podman (its CLI) and docker (the
Engine API, through the docker SDK). The plan, the hash and the labels are the runtime-independent part
(startup.py); an adapter lists containers, makes the writes of one planned entry, and reads state, health and logs.

Each write is a step (kind, shown, payload): `shown` is what the module reports (check mode reports the same list
before apply runs it), `payload` what the adapter executes. For podman both are the argv. For docker `shown` is the
API call written as the docker CLI verb it stands for, with the create request's body (secret values as '***'), and
the payload is the real body.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers import dockerapi, startup

try:
    import docker
    import docker.errors
    HAS_DOCKER = True
    DOCKER_IMPORT_ERROR = None
except ImportError as _exc:  # only the docker runtime needs it
    HAS_DOCKER = False
    DOCKER_IMPORT_ERROR = str(_exc)

DEFAULT_DOCKER_HOST = "unix:///var/run/docker.sock"
# The options that choose the runtime, shared by the modules (doc fragment ooo.lifecycle.container_runtime).
RUNTIME_ARGUMENT_SPEC = dict(
    podman=dict(type="str", default="podman"),
    runtime=dict(type="str", default="podman", choices=["podman", "docker"]),
    docker_host=dict(type="str"),
)


class RuntimeFailure(Exception):
    """A runtime call failed; the message says which and why."""


def unix_time(stamp):
    """The engine's RFC 3339 time (nanoseconds, Z) as Unix seconds, the way podman reports StartedAt; None if unset."""
    if not stamp or stamp.startswith("0001-"):
        return None
    match = re.match(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$", stamp)
    if not match:
        return None
    zone = "+00:00" if match.group(2) == "Z" else match.group(2)
    return int(datetime.datetime.fromisoformat(match.group(1) + zone).timestamp())


class Podman(object):
    name = "podman"
    # The step whose return code is a one-shot's exit code.
    exit_step = "run"

    def __init__(self, module, executable="podman"):
        self.module = module
        self.exe = executable
        # The full ID of every container podman lists, from the last containers() read (orphans.find uses it).
        self.known_ids = set()

    def _run(self, argv):
        return self.module.run_command(argv)

    def containers(self, names, config_id):
        """{name: {labels, running, state, exit_code, id}} for every container named in names or labelled config_id
        (config_id None: every container with a config_id label), read with one `podman ps`."""
        rc, out, err = self._run([self.exe, "ps", "--all", "--format", "json"])
        if rc != 0:
            raise RuntimeFailure("Failed to list the podman containers: %s" % (err or out).strip())
        found = {}
        listed = json.loads(out or "[]")
        self.known_ids = set(item.get("Id") or "" for item in listed) - {""}
        for item in listed:
            name = (item.get("Names") or [None])[0]
            labels = item.get("Labels") or {}
            if name in names or (labels.get("config_id") == config_id if config_id else "config_id" in labels):
                status = item.get("Status") or ""
                health = next((w for w in ("unhealthy", "healthy", "starting") if "(%s)" % w in status), "none")
                found[name] = {"labels": labels, "running": item.get("State") == "running", "state": item.get("State"),
                               "exit_code": item.get("ExitCode"), "id": item.get("Id"), "image": item.get("Image"),
                               "started_at": item.get("StartedAt"), "health": health}
        return found

    def image_present(self, image):
        return self._run([self.exe, "image", "exists", image])[0] == 0

    def pull_step(self, image):
        argv = [self.exe, "pull", image]
        return ("pull", argv, argv)

    def entry_steps(self, entry, config_id, managed_by):
        return [(kind, argv, argv) for kind, argv in startup.entry_commands(entry, config_id, managed_by, self.exe)]

    def execute(self, kind, payload):
        """(rc, out, err) of one step."""
        return self._run(payload)

    def health_once(self, name):
        """(healthy, output) of one run of the container's healthcheck (podman runs it; no systemd timer needed)."""
        rc, out, err = self._run([self.exe, "healthcheck", "run", name])
        return rc == 0, (out + err).strip()

    def status(self, name):
        """(status, exit_code as a string) of one container; ("", "") when it is gone."""
        rc, out, _err = self._run([self.exe, "container", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name])
        if rc != 0:
            return "", ""
        status, _sep, code = out.strip().partition(" ")
        return status, code

    def logs(self, name):
        _rc, out, err = self._run([self.exe, "logs", "--tail", "50", name])
        return out + err

    def storage_steps(self, container_id):
        """The writes that drop what storage still holds of a container podman's database no longer lists (its name
        stays taken until then): unmount its mounts (its /dev/shm first), then remove it from storage only."""
        rc, out, err = self._run([self.exe, "ps", "--all", "--external", "--no-trunc", "--filter", "id=" + container_id,
                                  "--format", "{{.ID}}"])
        if rc != 0:
            raise RuntimeFailure("Failed to list podman's storage containers: %s" % (err or out).strip())
        if container_id not in out.split():
            return []
        marker = "/overlay-containers/%s/" % container_id
        try:
            with open("/proc/self/mounts") as handle:
                mounts = [line.split()[1] for line in handle if marker in line.split()[1] + "/"]
        except (IOError, OSError):
            mounts = []
        return [["umount", path] for path in sorted(mounts, reverse=True)] + [
            [self.exe, "rm", "--storage", "--force", container_id]]


class Docker(object):
    name = "docker"
    exit_step = "wait"

    def __init__(self, module, docker_host=None, timeout=120):
        self.module = module
        self.host = docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
        self.timeout = timeout
        self._api = None

    @property
    def api(self):
        if self._api is None:
            if not HAS_DOCKER:
                raise RuntimeFailure("runtime docker needs the docker Python SDK on the managed host (pip install "
                                     "docker): %s" % DOCKER_IMPORT_ERROR)
            try:
                self._api = docker.APIClient(base_url=self.host, version="auto", timeout=self.timeout)
            except docker.errors.DockerException as exc:
                raise RuntimeFailure("Cannot reach the Docker engine at %s: %s; start dockerd, or set docker_host" % (self.host, exc))
        return self._api

    def _call(self, what, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except docker.errors.DockerException as exc:
            raise RuntimeFailure("docker %s failed: %s" % (what, getattr(exc, "explanation", None) or exc))
        except OSError as exc:
            raise RuntimeFailure("docker %s failed: cannot reach the engine at %s (%s)" % (what, self.host, exc))

    def _inspect(self, name):
        try:
            return self.api.inspect_container(name)
        except docker.errors.NotFound:
            return None
        except (docker.errors.DockerException, OSError) as exc:
            raise RuntimeFailure("docker inspect %s failed: %s" % (name, exc))

    def containers(self, names, config_id):
        found = {}
        for item in self._call("ps", self.api.containers, all=True):
            name = (item.get("Names") or ["/"])[0].lstrip("/")
            labels = item.get("Labels") or {}
            if not (name in names or (labels.get("config_id") == config_id if config_id else "config_id" in labels)):
                continue
            data = self._inspect(item["Id"]) or {}
            state = data.get("State") or {}
            status = state.get("Status") or item.get("State")
            found[name] = {"labels": labels, "running": status == "running", "state": status,
                           "exit_code": state.get("ExitCode"), "id": item.get("Id"),
                           "image": (data.get("Config") or {}).get("Image") or item.get("Image"),
                           "started_at": unix_time(state.get("StartedAt")),
                           "health": (state.get("Health") or {}).get("Status") or "none"}
        return found

    def image_present(self, image):
        try:
            self.api.inspect_image(image)
            return True
        except docker.errors.NotFound:
            return False
        except (docker.errors.DockerException, OSError) as exc:
            raise RuntimeFailure("docker image inspect %s failed: %s" % (image, exc))

    def pull_step(self, image):
        return ("pull", ["docker", "pull", image], image)

    def entry_steps(self, entry, config_id, managed_by):
        name, action = entry["name"], entry["action"]
        rm = ["docker", "rm", "--force", name]
        if action == "remove":
            return [("rm", rm, name)]
        if action == "start":
            return [("start", ["docker", "start", name], name)]
        if action not in ("create", "recreate", "run"):
            return []
        canon = entry["canonical"]
        labels = startup.container_labels(name, canon, config_id, managed_by, entry["hash"], entry.get("files_hash", ""))
        body = dockerapi.create_body(canon, labels, self._env_files(canon))
        steps = [("rm", rm, name)] if action == "recreate" else []
        steps.append(("create", ["docker", "create", "--name", name, dockerapi.shown_body(body)], (name, body)))
        steps.append(("start", ["docker", "start", name], name))
        if not canon["detach"]:
            steps.append(("wait", ["docker", "wait", name], name))
            if canon.get("remove"):
                steps.append(("rm-after", rm, name))
        return steps

    @staticmethod
    def _env_files(canon):
        out = {}
        for path in canon.get("env_file") or []:
            try:
                with open(path) as handle:
                    out[path] = handle.read()
            except OSError as exc:
                raise RuntimeFailure("env_file %s cannot be read: %s" % (path, exc.strerror))
        return out

    def execute(self, kind, payload):
        try:
            if kind == "pull":
                for line in self.api.pull(payload, stream=True, decode=True):
                    if line.get("error"):
                        return 1, "", line["error"]
                return 0, "", ""
            if kind in ("rm", "rm-after"):
                try:
                    self.api.remove_container(payload, force=True)
                except docker.errors.NotFound:
                    pass
                return 0, "", ""
            if kind == "create":
                name, body = payload
                self.api.create_container_from_config(body, name=name)
                return 0, "", ""
            if kind == "start":
                self.api.start(payload)
                return 0, "", ""
            if kind == "wait":
                code = self.api.wait(payload, timeout=None).get("StatusCode", 1)
                out = self.api.logs(payload, stdout=True, stderr=False).decode("utf-8", "replace")
                err = self.api.logs(payload, stdout=False, stderr=True).decode("utf-8", "replace")
                return code, out, err
        except docker.errors.DockerException as exc:
            return 1, "", str(getattr(exc, "explanation", None) or exc)
        except OSError as exc:
            return 1, "", "cannot reach the engine at %s (%s)" % (self.host, exc)
        raise ValueError("unknown step %s" % kind)

    def health_once(self, name):
        """Run the container's healthcheck test now, in it (what `podman healthcheck run` does). The engine runs it
        too, on its own timer, but its first run may be an interval away; the deployment does not wait for it."""
        data = self._inspect(name) or {}
        test = ((data.get("Config") or {}).get("Healthcheck") or {}).get("Test") or []
        if not test or test[0] == "NONE":
            return True, ""
        cmd = ["/bin/sh", "-c", test[1]] if test[0] == "CMD-SHELL" else test[1:]
        try:
            exec_id = self.api.exec_create(name, cmd, stdout=True, stderr=True)["Id"]
            out = self.api.exec_start(exec_id).decode("utf-8", "replace")
            code = self.api.exec_inspect(exec_id).get("ExitCode")
        except (docker.errors.DockerException, OSError) as exc:
            return False, str(getattr(exc, "explanation", None) or exc)
        return code == 0, out.strip()

    def status(self, name):
        data = self._inspect(name)
        if not data:
            return "", ""
        return data["State"].get("Status", ""), str(data["State"].get("ExitCode", ""))

    def logs(self, name):
        try:
            return self.api.logs(name, tail=50).decode("utf-8", "replace")
        except (docker.errors.DockerException, OSError) as exc:
            return "(no logs: %s)" % exc


def make(module, runtime, podman="podman", docker_host=None):
    if runtime == "docker":
        return Docker(module, docker_host)
    return Podman(module, podman)


def other_runtime_claims(module, runtime, names, config_id, managed_by, podman="podman", docker_host=None):
    """Containers of this config that the other runtime already runs for us: ["container X: ...", ...]. One config
    is managed by one runtime; a second copy under the other one would fight the first for its ports. The other
    runtime is read only where it is there (podman installed; a Docker engine answering, and the SDK importable)."""
    if runtime == "docker":
        if not shutil.which(podman):
            return []
        other = Podman(module, podman)
    else:
        host = docker_host or os.environ.get("DOCKER_HOST") or DEFAULT_DOCKER_HOST
        if not HAS_DOCKER or (host.startswith("unix://") and not os.path.exists(host[len("unix://"):])):
            return []
        other = Docker(module, host, timeout=10)
    try:
        found = other.containers(set(names), config_id)
    except RuntimeFailure:
        return []
    out = []
    for name in sorted(found):
        labels = found[name]["labels"]
        if labels.get("managed_by") == managed_by and (name in names or labels.get("config_id") == config_id):
            out.append("container %s: %s already runs it for config_id %s; a config is managed by one runtime - keep "
                       "runtime %s, or remove it there first (container_startup with runtime %s and a config without it)"
                       % (name, other.name, labels.get("config_id"), other.name, other.name))
    return out
