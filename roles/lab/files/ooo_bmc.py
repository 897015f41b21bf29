"""The lab's BMC: sushy-tools' dynamic Redfish emulator, with a systems driver that maps each Redfish system to a
lab machine's podman container.

  ooo_bmc.py --config FILE                                         run the emulator
  ooo_bmc.py htpasswd --user U --password-file F --output H        write H (bcrypt) unless it already holds U with
                                                                   that password; prints "changed" or "unchanged"

FILE is a sushy-tools configuration (a Python file: SUSHY_EMULATOR_LISTEN_IP, SUSHY_EMULATOR_LISTEN_PORT,
SUSHY_EMULATOR_AUTH_FILE, ...) with two settings of ours:

  OOO_BMC_MACHINES  a JSON file: [{"name", "uuid", "container", "macs": [...], "memory_mb", "cpus", "networks": [podman
                    --network values], "extra": [podman run arguments], "disk": file, "disk_gb"}, ...]
  OOO_BMC_RAMDISK_IMAGE  the ramdisk's podman image
  OOO_BMC_PXE_ROOT  where Ironic writes each MAC's boot configuration (its tftp_root: pxelinux.cfg/01-MAC)
  OOO_BMC_RAMDISK_CMDLINE  the boot parameters the ramdisk gets when Ironic wrote none for the machine (as a PXE
                    server's default configuration would give them)
  OOO_BMC_ROOT_DIR  where a machine's root file system is mounted while it runs from its disk
  OOO_BMC_OS_ARGV   podman run arguments of every machine's OS (--privileged, ...); a machine adds its own
  OOO_BMC_STATE     a JSON file where each system's boot device and boot mode are kept across restarts

A machine has two ways to run, never both at once:
  its OS          booted with boot device Hdd: the root file system on the machine's disk (the first Linux partition
                  of its MBR partition table, mounted from the disk's file) run as the machine's container
                  (ooo-lab-NAME, `podman run --rootfs`): the machine runs exactly the bytes written to its disk.
                  Without a bootable disk, a container the lab made for the machine (a preinstalled OS) is started;
                  without either, power on fails ("no bootable disk").
  its ramdisk     ironic-python-agent (ooo-lab-NAME-ramdisk, from the ramdisk image), booted with boot device Pxe:
                  not privileged, on the machine's networks with its MACs and addresses, its CPU set and memory
                  limit, with exactly one block device, the machine's disk (a loop device over its file) as /dev/sda,
                  and the boot parameters in /etc/ooo-lab-ramdisk (the container shares the host's /proc/cmdline)

What a Redfish call does to the machine:
  power state          On when its OS or its ramdisk runs, else Off (a container stopped by hand is Off)
  On / ForceOn         boots from the boot device: Pxe runs the ramdisk with the parameters of Ironic's boot
                       configuration for the machine's first MAC, Hdd (or anything else) starts the OS
  ForceOff             stops what runs at once (a ramdisk is removed: it lives in memory; an OS run from the disk
                       is removed and its root file system unmounted)
  GracefulShutdown     podman stop (the machine's init gets SIGTERM, then SIGKILL after the stop timeout)
  ForceRestart         ForceOff, then On; GracefulRestart: GracefulShutdown, then On
  PushPowerButton      On when off, GracefulShutdown when on
  boot device / mode   recorded (Pxe, Hdd, Cd; UEFI, Legacy), used at the next power on
  power restore        when the emulator starts, a machine whose processes the host lost while it was on (podman
                       still records it running) is booted again from its boot device ("last state")
  NICs                 the machine's MACs
"""

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

from sushy_tools import error
from sushy_tools.emulator import main as emulator
from sushy_tools.emulator.resources.systems.base import AbstractSystemsDriver

BOOT_DEVICES = ("Pxe", "Hdd", "Cd")
BOOT_MODES = ("UEFI", "Legacy")
PODMAN_TIMEOUT = 120
# The emulator checks the password of every request (Ironic reads each node several times per power sync): at bcrypt's
# default cost of 12 that kept half a core busy. The password is random (144 bits), so the cost adds nothing.
BCRYPT_ROUNDS = 6


def pxelinux_params(text):
    """Pure: the kernel parameters of a pxelinux configuration's default label (its append line without initrd=),
    and whether it asks for BOOTIF (ipappend 2 or 3); None when it has no such label."""
    default, labels, label = None, {}, None
    for line in text.splitlines():
        words = line.strip().split(None, 1)
        if not words:
            continue
        key, rest = words[0].lower(), (words[1].strip() if len(words) > 1 else "")
        if key == "default":
            default = rest
        elif key == "label":
            label = labels.setdefault(rest, {"append": "", "ipappend": False})
        elif label is not None and key == "append":
            label["append"] = " ".join(w for w in rest.split() if not w.startswith("initrd="))
        elif label is not None and key == "ipappend":
            label["ipappend"] = rest in ("2", "3")
    if default not in labels:
        return None
    return labels[default]["append"], labels[default]["ipappend"]


def root_partition(first_sector):
    """Pure: (offset, size) in bytes of the partition a machine boots its OS from: the first Linux (0x83) partition
    of an MBR partition table, the bootable one first; None without one."""
    if len(first_sector) < 512 or first_sector[510:512] != b"\x55\xaa":
        return None
    found = []
    for index in range(4):
        status, _chs, ptype, _chs2, start, sectors = struct.unpack_from("<B3sB3sII", first_sector, 446 + 16 * index)
        if ptype == 0x83 and sectors:
            found.append((status != 0x80, index, start * 512, sectors * 512))
    if not found:
        return None
    _not_bootable, _index, offset, size = min(found)
    return offset, size


def alive(pid):
    """Whether a process with this PID exists (podman runs in this PID namespace)."""
    return pid > 0 and os.path.exists("/proc/%d" % pid)


def podman(*args):
    """Run podman; return (rc, stdout, stderr)."""
    proc = subprocess.run(("podman",) + args, capture_output=True, text=True, timeout=PODMAN_TIMEOUT, check=False)
    return proc.returncode, proc.stdout.strip(), proc.stderr.strip()


class PodmanDriver(AbstractSystemsDriver):
    """Redfish systems backed by the lab's podman containers."""

    @classmethod
    def initialize(cls, config, logger, *args, **kwargs):
        cls._config = config
        cls._logger = logger
        return cls

    def __init__(self):
        with open(self._config["OOO_BMC_MACHINES"]) as handle:
            machines = json.load(handle)
        self._machines = {m["uuid"]: m for m in machines}
        self._by_name = {m["name"]: m["uuid"] for m in machines}
        self._state_file = self._config["OOO_BMC_STATE"]
        self._lock = threading.Lock()
        self._seen = None

    # -- lookup --------------------------------------------------------------------------------------------------

    def _get(self, identity):
        machine = self._machines.get(identity)
        if machine is None and identity in self._by_name:
            raise error.AliasAccessError(self._by_name[identity])
        if machine is None:
            raise error.NotFound("System %s was not found" % identity)
        return machine

    @property
    def driver(self):
        return "<ooo-podman>"

    @property
    def systems(self):
        return list(self._machines)

    def uuid(self, identity):
        try:
            return self._get(identity)["uuid"]
        except error.AliasAccessError as exc:
            return str(exc)

    def name(self, identity):
        try:
            return self._get(identity)["name"]
        except error.AliasAccessError:
            return identity

    # -- persisted settings (boot device and mode) ---------------------------------------------------------------

    def _settings(self):
        try:
            with open(self._state_file) as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    def _remember(self, identity, **changes):
        with self._lock:
            state = self._settings()
            state.setdefault(identity, {}).update(changes)
            directory = os.path.dirname(self._state_file)
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=".state-")
            with os.fdopen(fd, "w") as handle:
                json.dump(state, handle, indent=1, sort_keys=True)
            os.replace(tmp, self._state_file)

    def _setting(self, identity, key, default):
        return self._settings().get(identity, {}).get(key, default)

    # -- power ---------------------------------------------------------------------------------------------------

    def _records(self):
        """{name: pid} of the lab's containers podman records as running."""
        rc, out, err = podman("ps", "--filter", "label=ooo.lab=%s" % self._config.get("OOO_BMC_LAB", "ooo-lab"),
                              "--format", "{{.Names}} {{.Pid}}")
        if rc != 0:
            raise error.FishyError("Failed to read the power state: podman ps: %s" % (err or "exit code %d" % rc))
        records = {}
        for line in out.splitlines():
            name, _sep, pid = line.partition(" ")
            records[name] = int(pid) if pid.strip().isdigit() else 0
        return records

    def _running(self, container):
        """Whether the container runs, from one `podman ps` of the lab kept for a second: Ironic reads every node's
        power state (and sushy each system several times) on each power sync; a podman call per read would keep a
        core busy. podman's record alone is not enough: when the host loses the container's processes (its conmon
        killed), podman still says running; a machine whose process is gone is off."""
        with self._lock:
            now = time.monotonic()
            if self._seen is None or now - self._seen[0] > 1.0:
                self._seen = (now, {name for name, pid in self._records().items() if alive(pid)})
            return container in self._seen[1]

    def restore_power(self):
        """Power restore policy "last state": a machine that was on when the host lost its processes (podman records
        its OS or ramdisk running, the process is gone) is booted again from its boot device, as a server whose power
        came back. Run once, before the emulator answers."""
        records = self._records()
        restored = []
        for machine in self._machines.values():
            lost = [c for c in (machine["container"], self._ramdisk(machine)) if c in records and not alive(records[c])]
            if not lost:
                continue
            for container in lost:
                podman("rm", "--force", "--time", "0", container)
            self._forget()
            try:
                self._umount_root(machine)
                self._on(machine, "On")
                restored.append(machine["name"])
            except error.FishyError as exc:
                self._logger.warning("%s: not powered on again after the host lost it: %s", machine["name"], exc)
        if restored:
            self._logger.info("powered on again after the host lost them: %s", ", ".join(restored))
        return restored

    def _forget(self):
        with self._lock:
            self._seen = None

    @staticmethod
    def _ramdisk(machine):
        return machine["container"] + "-ramdisk"

    def get_power_state(self, identity):
        machine = self._get(identity)
        return "On" if self._running(machine["container"]) or self._running(self._ramdisk(machine)) else "Off"

    def _podman(self, machine, state, *argv):
        self._forget()
        rc, _out, err = podman(*argv)
        self._logger.info("%s: podman %s -> %d %s", machine["name"], " ".join(argv), rc, err)
        if rc != 0:
            raise error.FishyError("Failed to set the power state of %s to %s: podman %s: %s"
                                   % (machine["name"], state, argv[0], err or "exit code %d" % rc))

    def _off(self, machine, state, graceful):
        timeout = str(self._config.get("OOO_BMC_STOP_TIMEOUT", 10) if graceful else 0)
        if self._running(machine["container"]):
            self._podman(machine, state, "stop", "--time", timeout, machine["container"])
        ramdisk = self._ramdisk(machine)
        if self._running(ramdisk):
            self._podman(machine, state, "stop", "--time", timeout, ramdisk)
        if os.path.ismount(self._root_dir(machine)):
            # The OS ran from the disk: its container goes (the next boot starts from the disk again), then the mount.
            self._podman(machine, state, "rm", "--force", "--time", "0", machine["container"])
            self._umount_root(machine)

    def _on(self, machine, state):
        boot = self._setting(machine["uuid"], "boot_device", "Hdd")
        ramdisk = self._ramdisk(machine)
        podman("rm", "--force", "--time", "0", ramdisk)  # what ran in memory before is gone
        if boot == "Pxe":
            self._umount_root(machine)
            # Whatever the ramdisk does to the disk (deploy, clean), the machine's container storage (its second
            # disk, /var/lib/containers) starts empty at the next boot from the disk.
            self._remember(machine["uuid"], storage_stale=True)
            self._podman(machine, state, *self._ramdisk_argv(machine))
            return
        root = self._mount_root(machine)
        if root:
            # A fresh container: a boot starts from the disk. Its container storage (the second disk) starts empty
            # after a ramdisk ran.
            podman("rm", "--force", "--time", "0", machine["container"])
            storage = machine.get("storage")
            if storage:
                if self._setting(machine["uuid"], "storage_stale", False) and os.path.isdir(storage):
                    shutil.rmtree(storage)
                os.makedirs(storage, exist_ok=True)
                self._remember(machine["uuid"], storage_stale=False)
            self._podman(machine, state, *self._os_argv(machine, root))
        elif podman("container", "exists", machine["container"])[0] == 0:
            self._podman(machine, state, "start", machine["container"])
        else:
            raise error.FishyError("Failed to power on %s from its disk: no bootable disk (no partition with a root file "
                                   "system on %s)" % (machine["name"], machine["disk"]))

    # -- the machine's disk --------------------------------------------------------------------------------------

    def _disk(self, machine):
        disk = machine["disk"]
        if not os.path.isfile(disk) or os.path.islink(disk):
            # Only a regular file the lab made: never a host block device (a loop over /dev/vda would expose it).
            raise error.FishyError("Failed to power on %s: its disk %s is not a regular file" % (machine["name"], disk))
        return disk

    def _root_dir(self, machine):
        return os.path.join(self._config.get("OOO_BMC_ROOT_DIR", os.path.dirname(self._state_file) + "/root"), machine["name"])

    def _mount_root(self, machine):
        """Mount the root file system of the machine's disk (once); None when the disk has none."""
        disk = self._disk(machine)
        mnt = self._root_dir(machine)
        if os.path.ismount(mnt):
            return mnt
        with open(disk, "rb") as handle:
            found = root_partition(handle.read(512))
        if found is None:
            return None
        offset, size = found
        # The ramdisk's loop device over the whole disk is gone with the ramdisk (mount refuses overlapping loops).
        for loop in self._whole_disk_loops(disk):
            subprocess.run(["losetup", "--detach", loop], capture_output=True, check=False)
        os.makedirs(mnt, exist_ok=True)
        proc = subprocess.run(["mount", "-o", "loop,offset=%d,sizelimit=%d" % (offset, size), disk, mnt],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            self._logger.info("%s: no root file system on %s: %s", machine["name"], disk, proc.stderr.strip())
            return None
        if not os.path.exists(os.path.join(mnt, "etc", "os-release")):
            self._umount_root(machine)
            return None
        return mnt

    def _umount_root(self, machine):
        mnt = self._root_dir(machine)
        if os.path.ismount(mnt):
            proc = subprocess.run(["umount", mnt], capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                raise error.FishyError("Failed to power off %s: umount %s: %s" % (machine["name"], mnt, proc.stderr.strip()))

    def _os_argv(self, machine, root):
        """podman run arguments of the machine's OS from its root file system."""
        storage = machine.get("storage")
        argv = ["run", "--detach", "--name", machine["container"], "--hostname", machine["name"],
                "--label", "ooo.lab=%s" % self._config.get("OOO_BMC_LAB", "ooo-lab"),
                "--label", "ooo.role=%s" % machine.get("role", ""), "--label", "ooo.boot=disk"]
        argv += list(self._config.get("OOO_BMC_OS_ARGV", ["--privileged"]))
        argv += ["--network=" + network for network in machine.get("networks", [])]
        argv += list(machine.get("extra", []))
        if storage:
            argv += ["--volume", storage + ":/var/lib/containers"]
        argv += ["--rootfs", root] + list(self._config.get("OOO_BMC_OS_COMMAND", ["/bin/sleep", "infinity"]))
        return argv

    @staticmethod
    def _whole_disk_loops(disk):
        proc = subprocess.run(["losetup", "--associated", disk, "--noheadings", "--raw", "--output", "NAME,OFFSET,SIZELIMIT"],
                              capture_output=True, text=True, check=False)
        return [f[0] for f in (line.split() for line in proc.stdout.splitlines()) if len(f) == 3 and f[1] == "0" and f[2] == "0"]

    def _loop_device(self, machine):
        """The whole disk as a loop device over its file (attached once)."""
        disk = self._disk(machine)
        loops = self._whole_disk_loops(disk)
        if loops:
            return loops[0]
        proc = subprocess.run(["losetup", "--find", "--show", disk], capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise error.FishyError("Failed to power on %s: losetup %s: %s" % (machine["name"], disk, proc.stderr.strip()))
        return proc.stdout.strip()

    def _boot_params(self, machine):
        """Ironic's boot configuration for the machine's PXE MAC (its first), else the default parameters."""
        macs = machine.get("macs") or []
        bootif = "BOOTIF=01-" + macs[0].replace(":", "-") if macs else ""
        pxe_root = self._config.get("OOO_BMC_PXE_ROOT")
        if pxe_root and macs:
            try:
                with open(os.path.join(pxe_root, "pxelinux.cfg", "01-" + macs[0].replace(":", "-"))) as handle:
                    found = pxelinux_params(handle.read())
            except OSError:
                found = None
            if found is not None:
                params, ipappend = found
                return " ".join(x for x in (params, bootif if ipappend else "") if x)
        # BOOTIF: the NIC the machine PXE-booted from, as pxelinux appends it.
        return " ".join(x for x in (self._config.get("OOO_BMC_RAMDISK_CMDLINE", ""), bootif) if x)

    def _ramdisk_argv(self, machine):
        boot_dir = os.path.join(os.path.dirname(self._state_file), machine["name"])
        os.makedirs(boot_dir, exist_ok=True)
        with open(os.path.join(boot_dir, "cmdline"), "w") as handle:
            handle.write(self._boot_params(machine) + "\n")
        with open(os.path.join(boot_dir, "machine"), "w") as handle:
            handle.write(machine["name"] + "\n")
        argv = ["run", "--detach", "--name", self._ramdisk(machine), "--hostname", machine["name"],
                "--label", "ooo.lab=%s" % self._config.get("OOO_BMC_LAB", "ooo-lab"), "--label", "ooo.ramdisk-of=" + machine["name"]]
        argv += ["--network=" + network for network in machine.get("networks", [])]
        argv += list(machine.get("extra", []))
        # Not privileged: the disk is the one block device the ramdisk has (the device cgroup refuses any other).
        # sysfs's /sys/dev/block, which podman masks, is shown read-only: lsblk needs it to describe /dev/sda (IPA's
        # image write asks it for UUIDs). The lab's hardware manager lists disks from /dev, never from sysfs.
        argv += ["--security-opt", "unmask=/sys/dev/block",
                 "--device", self._loop_device(machine) + ":/dev/sda:rwm",
                 "--volume", boot_dir + ":/etc/ooo-lab-ramdisk:ro",
                 self._config["OOO_BMC_RAMDISK_IMAGE"]]
        return argv

    def set_power_state(self, identity, state):
        machine = self._get(identity)
        on = self.get_power_state(identity) == "On"
        if state == "PushPowerButton":
            state = "GracefulShutdown" if on else "On"
        if state in ("On", "ForceOn"):
            if not on:
                self._on(machine, state)
        elif state in ("ForceOff", "GracefulShutdown"):
            self._off(machine, state, graceful=state == "GracefulShutdown")
        elif state in ("ForceRestart", "GracefulRestart"):
            self._off(machine, state, graceful=state == "GracefulRestart")
            self._on(machine, state)
        else:
            raise error.NotSupportedError("Power state %s is not supported by the lab's machines" % state)

    # -- boot ----------------------------------------------------------------------------------------------------

    def get_boot_device(self, identity):
        return self._setting(self._get(identity)["uuid"], "boot_device", "Hdd")

    def set_boot_device(self, identity, boot_source):
        if boot_source not in BOOT_DEVICES:
            raise error.BadRequest("Boot device %s is not one of %s" % (boot_source, ", ".join(BOOT_DEVICES)))
        self._remember(self._get(identity)["uuid"], boot_device=boot_source)

    def get_boot_mode(self, identity):
        return self._setting(self._get(identity)["uuid"], "boot_mode", "UEFI")

    def set_boot_mode(self, identity, boot_mode):
        if boot_mode not in BOOT_MODES:
            raise error.BadRequest("Boot mode %s is not one of %s" % (boot_mode, ", ".join(BOOT_MODES)))
        self._remember(self._get(identity)["uuid"], boot_mode=boot_mode)

    def get_secure_boot(self, identity):
        self._get(identity)
        return False

    def set_secure_boot(self, identity, secure):
        raise error.NotSupportedError("The lab's machines have no secure boot")

    # -- hardware ------------------------------------------------------------------------------------------------

    def get_total_memory(self, identity):
        """GiB: the machine's memory limit, else the host's memory."""
        memory_mb = self._get(identity).get("memory_mb")
        if not memory_mb:
            with open("/proc/meminfo") as handle:
                memory_mb = int(handle.readline().split()[1]) // 1024
        return max(1, int(memory_mb) // 1024)

    def get_total_cpus(self, identity):
        """The machine's CPU set, else the host's CPUs."""
        return int(self._get(identity).get("cpus") or os.cpu_count())

    def get_nics(self, identity):
        return [{"id": mac, "mac": mac} for mac in self._get(identity).get("macs", [])]


def htpasswd(user, password_file, output):
    """Write the emulator's basic-auth file from the password file (the password never appears in argv)."""
    import bcrypt  # pylint: disable=import-outside-toplevel
    with open(password_file, "rb") as handle:
        password = handle.read().strip()
    try:
        with open(output, "rb") as handle:
            name, _sep, digest = handle.read().strip().partition(b":")
        if name == user.encode() and digest[:7] == b"$2b$%02d$" % BCRYPT_ROUNDS and bcrypt.checkpw(password, digest):
            return "unchanged"
    except (OSError, ValueError):
        pass
    line = user.encode() + b":" + bcrypt.hashpw(password, bcrypt.gensalt(rounds=BCRYPT_ROUNDS)) + b"\n"
    fd = os.open(output + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(line)
    os.replace(output + ".tmp", output)
    return "changed"


def main():
    if sys.argv[1:2] == ["htpasswd"]:
        parser = argparse.ArgumentParser(prog="ooo_bmc.py htpasswd")
        parser.add_argument("--user", required=True)
        parser.add_argument("--password-file", required=True)
        parser.add_argument("--output", required=True)
        args = parser.parse_args(sys.argv[2:])
        print(htpasswd(args.user, args.password_file, args.output))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    args = parser.parse_args()
    app = emulator.app
    app.configure(config_file=args.config)
    driver = PodmanDriver.initialize(app.config, app.logger)()
    driver.restore_power()
    # The emulator chooses its systems driver in a property of its Flask application; ours takes its place.
    type(app).systems = property(lambda self: driver)
    app.run(host=app.config["SUSHY_EMULATOR_LISTEN_IP"], port=app.config.get("SUSHY_EMULATOR_LISTEN_PORT", 8000), threaded=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
