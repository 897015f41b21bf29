#!/usr/bin/env bash
# Build the lab machines' ramdisk image: a Debian root with the tools ironic-python-agent calls and the agent's
# virtualenv (ironic-python-agent and the `hardware` package from PyPI, plus the lab's hardware manager), built on
# the host and copied in with its interpreter pointed at Debian's python3.11. No registry is reachable here, so it is
# built with mmdebstrap and imported into podman.
#   ramdisk_image.sh IMAGE VENV [MIRROR]
# Idempotent: rebuilt only when the package list, the virtualenv's packages or this script changed.
# Prints "changed" or "unchanged".
set -euo pipefail
image=${1:?usage: ramdisk_image.sh IMAGE VENV [MIRROR]}
venv=${2:?usage: ramdisk_image.sh IMAGE VENV [MIRROR]}
mirror=${3:-http://deb.debian.org/debian}
# What the agent and hardware-detect run: lsblk/parted/sgdisk/wipefs (disks), dmidecode/lshw/lspci (inventory),
# sysbench/fio (benchmarks), qemu-img (images), hexdump (disk identifiers), fuser (disk in use), udevadm, ip.
packages=python3,libpython3.11,iproute2,util-linux,parted,gdisk,dmidecode,lshw,pciutils,sysbench,fio,hdparm,udev
packages=$packages,e2fsprogs,dosfstools,kmod,procps,qemu-utils,ca-certificates,mdadm,bsdextrautils,psmisc
[ -x "$venv/bin/ironic-python-agent" ] || { echo "ramdisk_image.sh: no ironic-python-agent in $venv" >&2; exit 2; }
want=$( { echo "$packages"; "$venv/bin/python" -m pip freeze --all 2>/dev/null; cat "$0" "$venv"/lib/python3*/site-packages/ooo_lab_*.py; } \
        | sha256sum | cut -d' ' -f1)
have=$(podman image inspect --format '{{ index .Labels "ooo.build-hash" }}' "$image" 2>/dev/null || true)
if [ "$have" = "$want" ]; then echo unchanged; exit 0; fi
mmdebstrap --quiet --variant=apt --include="$packages" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --customize-hook="mkdir -p \"\$1$(dirname "$venv")\"" \
  --customize-hook="copy-in $venv $(dirname "$venv")" \
  --customize-hook="for p in python python3 python3.11; do ln -sf /usr/bin/python3.11 \"\$1$venv/bin/\$p\"; done" \
  --customize-hook="sed -i 's|^home = .*|home = /usr/bin|' \"\$1$venv/pyvenv.cfg\"" \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*' \
  --customize-hook='mkdir -p "$1"/etc/ironic-python-agent.d "$1"/etc/ooo-lab-ramdisk' \
  bookworm - "$mirror" \
| podman import --quiet --change "CMD [\"$venv/bin/ooo-lab-ramdisk\"]" \
    --change "ENV PATH=$venv/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
    --change "LABEL ooo.build-hash=$want" - "$image" >/dev/null
echo changed
