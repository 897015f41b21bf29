"""ironic-python-agent's hardware manager for a lab machine (see ooo_lab_ramdisk for why it exists)."""

import os

from ironic_python_agent import errors
from ironic_python_agent import hardware

from oslo_log import log

from ooo_lab_ramdisk import MACHINE, block_devices, cgroup_memory_limit

LOG = log.getLogger(__name__)


class LabHardwareManager(hardware.GenericHardwareManager):
    """The generic manager, with the machine's own disk, CPU set and memory limit."""

    HARDWARE_MANAGER_NAME = "OooLabHardwareManager"
    HARDWARE_MANAGER_VERSION = "1"

    def evaluate_hardware_support(self):
        if os.path.exists(MACHINE):
            return hardware.HardwareSupport.SERVICE_PROVIDER
        return hardware.HardwareSupport.NONE

    def initialize(self):
        # No iSCSI, software RAID, IPMI modules or multipath in a lab machine; its one disk is there from the start.
        return None

    def list_block_devices(self, include_partitions=False, all_serial_and_wwn=False):
        with open(MACHINE) as handle:
            machine = handle.read().strip()
        devices = []
        found = block_devices(include_partitions=include_partitions)
        disks = [d[0] for d in found if not d[2]]
        if len(disks) > 1:
            # A lab machine has one disk. More means its container sees devices that are not its own (privileged?):
            # list none, so that nothing can be chosen, cleaned or written.
            LOG.error("This machine sees %d disks (%s); a lab machine has exactly one: listing none",
                      len(disks), ", ".join(disks))
            return []
        for path, size, is_partition in found:
            devices.append(hardware.BlockDevice(name=path, model="ooo-lab disk", size=size, rotational=False,
                                                serial=None if is_partition else "%s-disk0" % machine,
                                                vendor="ooo-lab"))
        return devices

    def list_network_interfaces(self):
        """A lab machine's NICs are veth pairs, which have no /sys/class/net/NAME/device (the generic manager's test for
        a physical NIC): every interface but the loopback is one of its NICs."""
        interfaces = []
        for name in sorted(os.listdir("/sys/class/net")):
            if name == "lo":
                continue
            try:
                interfaces.append(hardware.dispatch_to_managers("get_interface_info", interface_name=name))
            except errors.HardwareManagerMethodNotFound:
                LOG.warning("No hardware manager could read interface %s", name)
        return interfaces

    def get_cpus(self):
        cpu = super().get_cpus()
        cpu.count = len(os.sched_getaffinity(0))
        return cpu

    def get_memory(self):
        memory = super().get_memory()
        limit = cgroup_memory_limit()
        if limit is not None and (memory.total is None or limit < memory.total):
            memory.total = limit
            memory.physical_mb = limit // (1024 * 1024)
        elif memory.total is not None and not memory.physical_mb:
            memory.physical_mb = memory.total // (1024 * 1024)
        return memory
