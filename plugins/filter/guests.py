# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

# libvirt starts each guest as "qemu-system-ARCH -name guest=INSTANCE,debug-threads=on ...".
_QEMU = re.compile(r"^\s*(\d+)\s+\S*qemu-system-\S+\s.*?-name\s+guest=([^,\s]+)")


def qemu_guests(ps_lines):
    """{guest name: pid} of the QEMU processes in ``ps -eo pid=,args=`` lines."""
    if not isinstance(ps_lines, list):
        raise AnsibleFilterError("qemu_guests: give the lines of ps -eo pid=,args=")
    guests = {}
    for line in ps_lines:
        match = _QEMU.match(line)
        if match:
            guests[match.group(2)] = int(match.group(1))
    return guests


def guests_fate(before, after):
    """{guest: kept | restarted | gone} for each guest of ``before`` ({guest: pid}): kept when the same QEMU process
    runs it after, restarted when another one does, gone when none does."""
    if not isinstance(before, dict) or not isinstance(after, dict):
        raise AnsibleFilterError("guests_fate: give two {guest: pid} dicts (qemu_guests' results)")
    return dict((name, "gone" if name not in after else "kept" if after[name] == pid else "restarted") for name, pid in before.items())


class FilterModule(object):
    def filters(self):
        return {"qemu_guests": qemu_guests, "guests_fate": guests_fate}
