"""plugins/filter/guests.py: the QEMU processes of libvirt's guests, and what an update did to each."""
from __future__ import annotations

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.ooo.lifecycle.plugins.filter.guests import guests_fate, qemu_guests

PS = ["    1 /sbin/init", "  812 /usr/bin/qemu-system-x86_64 -name guest=instance-00000001,debug-threads=on -S -object x",
      "  990 sh -c grep qemu-system-x86_64 -name guest=instance-9", " 1003 /usr/bin/qemu-system-x86_64 -name guest=instance-00000002 -m 128"]


def test_qemu_guests_reads_libvirts_processes_only():
    assert qemu_guests(PS) == {"instance-00000001": 812, "instance-00000002": 1003}
    with pytest.raises(AnsibleFilterError):
        qemu_guests("812 qemu")


def test_guests_fate_says_kept_restarted_or_gone():
    before = {"instance-00000001": 812, "instance-00000002": 1003, "instance-00000003": 1200}
    after = {"instance-00000001": 812, "instance-00000002": 2001, "instance-00000004": 2002}
    assert guests_fate(before, after) == {"instance-00000001": "kept", "instance-00000002": "restarted", "instance-00000003": "gone"}
    assert guests_fate({}, after) == {}
