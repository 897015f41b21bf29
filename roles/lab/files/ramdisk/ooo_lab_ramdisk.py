"""The lab machines' ramdisk: ironic-python-agent, as a machine powered on with boot device Pxe runs it.

A lab machine is a container, so two things a real ramdisk gets from the hardware come from the lab instead:

* The kernel command line. A container shares the host's /proc/cmdline, so the machine's BMC hands the ramdisk its
  boot parameters (ipa-api-url, ipa-inspection-callback-url, ...) as a file, /etc/ooo-lab-ramdisk/cmdline. `main`
  gives them to the agent as it would read them from /proc/cmdline, then runs the agent.
* What the machine's hardware is. ``ooo_lab_hwm.LabHardwareManager`` is an IPA hardware manager (the extension point IPA has for
  vendor hardware) that takes precedence over the generic one on a lab machine only:

  - Disks: the block devices that exist in the machine's /dev, and nothing else. The container is not privileged
    and its /dev holds exactly one block device, the machine's own disk (a loop device over a file), while sysfs,
    which lsblk reads, would show every block device of the host. So the generic manager's lsblk listing is never
    used: a disk the machine was not given can be neither listed, chosen as root device, cleaned nor written.
  - CPUs and memory: the machine's CPU set and memory limit (its cgroup), as the hardware of the machine.
"""

import fcntl
import os
import stat
import struct
import sys

CMDLINE = "/etc/ooo-lab-ramdisk/cmdline"
MACHINE = "/etc/ooo-lab-ramdisk/machine"


def parse_cmdline(text):
    """Pure: 'a=1 b=2 flag' -> {'a': '1', 'b': '2'} (as IPA reads /proc/cmdline)."""
    params = {}
    for word in text.split():
        key, sep, value = word.partition("=")
        if sep:
            params[key] = value
    return params


BLKGETSIZE64 = 0x80081272


def _partitions(sys_class_block):
    """{(major, minor)} of the partitions sysfs knows (sysfs is the host's: only used to tell a partition node)."""
    found = set()
    try:
        names = os.listdir(sys_class_block)
    except OSError:
        return found
    for name in names:
        base = os.path.join(sys_class_block, name)
        if not os.path.exists(os.path.join(base, "partition")):
            continue
        try:
            with open(os.path.join(base, "dev")) as handle:
                major, minor = handle.read().strip().split(":")
            found.add((int(major), int(minor)))
        except (OSError, ValueError):
            continue
    return found


def device_size(path):
    """Size in bytes of a block device, from the device itself (BLKGETSIZE64)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        return struct.unpack("Q", fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8))[0]
    finally:
        os.close(fd)


def block_devices(dev="/dev", sys_class_block="/sys/class/block", include_partitions=False):
    """The block device nodes present in ``dev``: [(path, size in bytes, is_partition)], sorted by path.

    Only the device nodes count: sysfs (which lsblk reads) is the host's and lists the host's disks too.
    """
    partitions = _partitions(sys_class_block)
    found = []
    for entry in sorted(os.listdir(dev)):
        path = os.path.join(dev, entry)
        try:
            st = os.stat(path)
        except OSError:
            continue
        if not stat.S_ISBLK(st.st_mode):
            continue
        is_partition = (os.major(st.st_rdev), os.minor(st.st_rdev)) in partitions
        if is_partition and not include_partitions:
            continue
        try:
            size = device_size(path)
        except OSError:
            continue
        if size > 0:
            found.append((path, size, is_partition))
    return found


def cgroup_memory_limit(paths=("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes")):
    for path in paths:
        try:
            with open(path) as handle:
                value = handle.read().strip()
        except OSError:
            continue
        if value.isdigit():
            return int(value)
    return None


def main():
    """Run ironic-python-agent with the boot parameters the machine's BMC gave."""
    from ironic_python_agent import utils  # pylint: disable=import-outside-toplevel
    try:
        with open(CMDLINE) as handle:
            params = parse_cmdline(handle.read())
    except OSError:
        params = {}
    # The agent reads its parameters once and keeps them; set before its configuration module reads them.
    utils._set_cached_params(params)  # pylint: disable=protected-access
    from ironic_python_agent.cmd import agent  # pylint: disable=import-outside-toplevel
    sys.argv = [sys.argv[0]] + sys.argv[1:]
    return agent.run()


if __name__ == "__main__":
    sys.exit(main())
