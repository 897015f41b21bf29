#!/usr/bin/env bash
# Prepare a fresh Debian 12 machine for the lab and the tests: Debian packages,
# podman's configuration, the project's virtualenv, and the collection path.
# Safe to run again: every step checks before it changes anything.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)
venv=${OOO_VENV:-$top/.venv}

# docker.io: the Docker engine for container_startup's docker runtime (scripts/dockerd.sh starts it without systemd).
# iptables is only "suggested" by netavark, yet it needs it for the ctlplane network's NAT rules.
apt_packages=(podman runc crun conmon catatonit netavark aardvark-dns iptables nftables uidmap slirp4netns fuse-overlayfs
  mmdebstrap mariadb-server rabbitmq-server docker-registry qemu-utils e2fsprogs curl util-linux
  iproute2 iputils-ping make git python3-venv python3-dev gcc ipmitool skopeo busybox-static openssh-client docker.io)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # With recommends: the configuration the lab and the tests were proven on.
  apt-get install -y -q "${missing[@]}"
fi

# podman on this kind of machine: no systemd, no ulimit changes allowed, runc.
mkdir -p /etc/containers
conf=/etc/containers/containers.conf
want=$'[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
if [ ! -f "$conf" ] || [ "$(cat "$conf")" != "$(printf '%s' "$want")" ]; then
  printf '%s' "$want" > "$conf"
fi

if [ ! -x "$venv/bin/ansible-playbook" ] || ! cat requirements-dev.txt requirements.txt | cmp -s - "$venv/.requirements-dev.txt"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements-dev.txt -r requirements.txt
  cat requirements-dev.txt requirements.txt > "$venv/.requirements-dev.txt"
fi

# The collection is the repository root; Ansible finds it through this path.
mkdir -p .collections/ansible_collections/ooo
ln -sfn ../../.. .collections/ansible_collections/ooo/lifecycle

# ansible-test downloads a pip bootstrap script from a host that is not
# reachable here; this stand-in installs pip with ensurepip instead.
mkdir -p ~/.ansible/test/cache
for version in 24_2 24_0 23_1; do
  cp scripts/get_pip_standin.py ~/.ansible/test/cache/get_pip_${version}.py
done
