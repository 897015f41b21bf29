#!/usr/bin/env bash
# Build the overcloud's "all services, none activated" image (TripleO/Kolla's base-image idea): one Debian root with
# MariaDB, HAProxy, memcached, RabbitMQ, libvirt with QEMU (TCG), Open vSwitch (the machine runs its own daemons, as
# in TripleO: the image's are for its clients), genisoimage (Nova's config drives) and the OpenStack services of one
# release (the undercloud's virtualenv, the same pinned packages, plus the overcloud's own services from REQUIREMENTS, installed into the image's copy of the virtualenv
# with pip's --root so that the undercloud's stays as it is), and no service enabled; the deployment's startup
# configs choose what each container runs.
# No registry is reachable here, so it is built locally with mmdebstrap and imported into podman. The virtualenv's
# interpreter is pointed at Debian's python3.11 (the host's venv may come from another CPython 3.11 build).
# libvirt's Python binding is Debian's python3-libvirt (built for that python3.11, matching the libvirt it runs with),
# linked into the virtualenv; libvirt's QEMU driver wants its libvirt-qemu user and group to exist even when qemu.conf
# runs guests as root (the package that makes them, libvirt-daemon-system, would bring systemd units and a default
# NAT network, neither wanted here).
#   services_image.sh IMAGE [VENV] [MIRROR] [REQUIREMENTS] [CONSTRAINTS]
# REQUIREMENTS defaults to services-requirements.txt beside this script; CONSTRAINTS to the undercloud's
# (/etc/ooo-undercloud/constraints.txt, the one its virtualenv was installed with).
# Idempotent: rebuilt only when the package list, the virtualenv's packages, the requirements, the constraints or this
# script changed. Prints IMAGE.
set -euo pipefail
image=${1:?usage: services_image.sh IMAGE [VENV] [MIRROR] [REQUIREMENTS] [CONSTRAINTS]}
venv=${2:-/opt/ooo-undercloud/venv}
mirror=${3:-http://deb.debian.org/debian}
requirements=${4:-$(dirname "$0")/services-requirements.txt}
constraints=${5:-/etc/ooo-undercloud/constraints.txt}
packages=python3,libpython3.11,libxml2,libssl3,libuuid1,zlib1g,mariadb-server,mariadb-client,haproxy,memcached,rabbitmq-server,curl,iproute2,procps,socat,sudo,\
libvirt-daemon,libvirt-daemon-driver-qemu,libvirt-clients,qemu-system-x86,qemu-utils,python3-libvirt,openvswitch-switch,genisoimage
[ -x "$venv/bin/python" ] || { echo "services_image.sh: no virtualenv at $venv (install the undercloud first)" >&2; exit 2; }
for f in "$requirements" "$constraints"; do
  [ -r "$f" ] || { echo "services_image.sh: cannot read $f (give the requirements and the constraints files)" >&2; exit 2; }
done
release=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("keystone"))')
want=$( { echo "$packages"; "$venv/bin/python" -m pip freeze --all 2>/dev/null; cat "$0" "$requirements" "$constraints"; } | sha256sum | cut -d' ' -f1)
have=$(podman image inspect --format '{{ index .Labels "ooo.build-hash" }}' "$image" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  mmdebstrap --quiet --variant=apt --include="$packages" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook="mkdir -p \"\$1$(dirname "$venv")\"" \
    --customize-hook="copy-in $venv $(dirname "$venv")" \
    --customize-hook="$venv/bin/python -m pip install --quiet --root \"\$1\" --no-warn-script-location -c $constraints -r $requirements" \
    --customize-hook='for f in "$1"/usr/lib/python3/dist-packages/libvirt*; do ln -sf "/usr/lib/python3/dist-packages/${f##*/}" "$1'"$venv"'/lib/python3.11/site-packages/"; done' \
    --customize-hook='chroot "$1" groupadd --system libvirt-qemu && chroot "$1" useradd --system --gid libvirt-qemu --home-dir /var/lib/libvirt --shell /usr/sbin/nologin libvirt-qemu' \
    --customize-hook="ln -sf /usr/bin/python3.11 \"\$1$venv/bin/python3.11\"" \
    --customize-hook="sed -i 's|^home = .*|home = /usr/bin|' \"\$1$venv/pyvenv.cfg\"" \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/lib/mysql/*' \
    --customize-hook='for s in mariadb haproxy memcached rabbitmq-server; do rm -f "$1"/etc/rc?.d/*$s; done' \
    bookworm - "$mirror" \
  | podman import --quiet --change 'CMD ["/bin/sleep", "infinity"]' --change "ENV PATH=$venv/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
      --change "LABEL ooo.build-hash=$want" --change "LABEL ooo.keystone-version=$release" - "$image" >/dev/null
fi
echo "$image"
