# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: nsenter
short_description: Run tasks inside a local container through its namespaces
description:
  - Runs commands in the namespaces of a container that runs on the controller (mount, UTS, IPC, network, PID,
    cgroup), with C(nsenter), instead of a C(podman exec) per command.
  - This is how the lab reaches its machines; a command costs milliseconds instead of a podman process, and modules
    are pipelined (one command per task).
  - The container's main process is found with C(podman container inspect) once and then remembered together with
    its start time, so a recreated container (same name, new process) is never mistaken for the old one.
  - Needs root on the controller (C(nsenter) into another process's namespaces).
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
version_added: 0.1.0
extends_documentation_fragment:
  - connection_pipelining
options:
  container:
    description: Name or ID of the container, a running container of the local podman.
    type: str
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_nsenter_container
  podman_executable:
    description: The podman program used to find the container's main process.
    type: str
    default: podman
    vars:
      - name: ansible_podman_executable
    env:
      - name: ANSIBLE_PODMAN_EXECUTABLE
  remote_path:
    description: PATH of the commands run in the container (the controller's own PATH is not passed in).
    type: str
    default: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    vars:
      - name: ansible_nsenter_path
"""

EXAMPLES = r"""
# inventory: a lab machine that is a local privileged container
# lab:
#   hosts:
#     controller-0:
#       ansible_connection: ooo.lifecycle.nsenter
#       ansible_host: ooo-lab-controller-0
#       ansible_pipelining: true
"""

import json
import os
import shutil
import subprocess
import tempfile

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes, to_text
from ansible.plugins.connection import ConnectionBase
from ansible.utils.display import Display

display = Display()

NAMESPACES = ("--mount", "--uts", "--ipc", "--net", "--pid", "--cgroup")
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def start_time_of(stat):
    """The start time (field 22, clock ticks since boot) in the text of /proc/PID/stat."""
    # The command name (field 2, in parentheses) may hold spaces and parentheses; the fields after the last
    # closing parenthesis are fixed, the state (field 3) first.
    fields = stat[stat.rindex(b")") + 2:].split()
    return int(fields[19])


def _start_time(pid):
    """The start time of a process, or None when there is no such process."""
    try:
        with open("/proc/%d/stat" % pid, "rb") as f:
            return start_time_of(f.read())
    except (OSError, ValueError, IndexError):
        return None


class ContainerNotFound(AnsibleConnectionFailure):
    """The container is not there, or not running, or podman cannot be asked."""


def _cache_path(container):
    directory = os.path.join(tempfile.gettempdir(), "ooo-nsenter-%d" % os.getuid())
    os.makedirs(directory, mode=0o700, exist_ok=True)
    return os.path.join(directory, container.replace("/", "_"))


def _cached_pid(container):
    try:
        with open(_cache_path(container)) as f:
            cached = json.load(f)
    except (OSError, ValueError):
        return None
    pid = cached.get("pid")
    if isinstance(pid, int) and pid > 0 and _start_time(pid) == cached.get("start"):
        return pid
    return None


def _inspect_pid(container, podman):
    podman = shutil.which(podman) or podman
    try:
        proc = subprocess.run([podman, "container", "inspect", "--format", "{{.State.Pid}} {{.State.Running}}", container],
                              capture_output=True, check=False, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ContainerNotFound("cannot inspect container %s with %s: %s" % (container, podman, e)) from e
    out = to_text(proc.stdout).split()
    if proc.returncode != 0 or len(out) != 2:
        raise ContainerNotFound(
            "container %s not found by %s: %s" % (container, podman, to_text(proc.stderr).strip() or "no output"))
    pid, running = int(out[0]), out[1] == "true"
    if not running or pid <= 0 or _start_time(pid) is None:
        raise ContainerNotFound("container %s is not running (start it, or recreate the lab: make lab)" % container)
    try:
        with open(_cache_path(container), "w") as f:
            json.dump({"pid": pid, "start": _start_time(pid)}, f)
    except OSError:
        pass
    return pid


def container_pid(container, podman="podman"):
    """The main process of a running local container: remembered with its start time (so that a recreated container,
    same name and a new process, is never mistaken for the old one), else asked of podman. Raises ContainerNotFound."""
    return _cached_pid(container) or _inspect_pid(container, podman)


def nsenter_command(pid, argv, path=DEFAULT_PATH):
    """The argv and the environment that run argv in the namespaces of process pid (the controller's own environment
    is not passed in)."""
    env = {"PATH": path or DEFAULT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}
    return ["nsenter", "--target", str(pid)] + list(NAMESPACES) + ["--"] + list(argv), env


class Connection(ConnectionBase):
    """Commands in a local container's namespaces."""

    transport = "ooo.lifecycle.nsenter"
    has_pipelining = True
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pid = None

    def _connect(self):
        if not self._connected:
            container = self.get_option("container")
            self._pid = container_pid(container, self.get_option("podman_executable"))
            display.vvv("NSENTER CONNECTION TO %s (process %d)" % (container, self._pid), host=container)
            self._connected = True
        return self

    # --- commands
    def _run(self, argv, stdin=None, in_data=None):
        cmd, env = nsenter_command(self._pid, argv, self.get_option("remote_path"))
        display.vvvv("EXEC %s" % cmd, host=self.get_option("container"))
        proc = subprocess.Popen(cmd, stdin=stdin if stdin is not None else subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        out, err = proc.communicate(in_data)
        return proc.returncode, out, err

    def exec_command(self, cmd, in_data=None, sudoable=True):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        return self._run(["/bin/sh", "-c", to_text(cmd)], in_data=to_bytes(in_data) if in_data is not None else b"")

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        display.vvv("PUT %s TO %s" % (in_path, out_path), host=self.get_option("container"))
        try:
            with open(to_bytes(in_path, errors="surrogate_or_strict"), "rb") as f:
                rc, dummy, err = self._run(["/bin/sh", "-c", 'cat > "$1"', "sh", out_path], stdin=f)
        except OSError as e:
            raise AnsibleError("cannot read %s: %s" % (in_path, e)) from e
        if rc != 0:
            raise AnsibleError("cannot write %s in %s: %s" % (out_path, self.get_option("container"), to_text(err).strip()))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        display.vvv("FETCH %s TO %s" % (in_path, out_path), host=self.get_option("container"))
        rc, out, err = self._run(["cat", in_path], in_data=b"")
        if rc != 0:
            raise AnsibleError("cannot read %s in %s: %s" % (in_path, self.get_option("container"), to_text(err).strip()))
        with open(to_bytes(out_path, errors="surrogate_or_strict"), "wb") as f:
            f.write(out)

    def close(self):
        self._connected = False
