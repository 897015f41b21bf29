#!/bin/sh
# mmdebstrap customize hook: $1 is the root file system of the lab machine image.
# Configures podman inside the machine for nesting: overlay storage (on the host directory the lab mounts at
# /var/lib/containers: overlay on overlay is not allowed), cgroupfs, no systemd.
set -eu
root="$1"
registry="$2"
mkdir -p "$root/etc/containers"
cat > "$root/etc/containers/storage.conf" <<CONF
[storage]
driver = "overlay"
runroot = "/run/containers/storage"
graphroot = "/var/lib/containers/storage"
CONF
cat > "$root/etc/containers/containers.conf" <<CONF
[containers]
default_ulimits = []
netns = "host"
# No cgroups in nested containers (crun supports that; runc does not).
cgroups = "disabled"

[engine]
runtime = "crun"
cgroup_manager = "cgroupfs"
events_logger = "file"
# Image layers are staged in the container storage (the machine's big disk), not in /var/tmp on its root file system.
image_copy_tmp_dir = "storage"
CONF
# The registry serves TLS with a certificate of the undercloud's CA: the deployment gives each machine the CA and the
# pull user (ooo.lifecycle.registry_login), so the image says nothing about trust.
cat > "$root/etc/containers/registries.conf" <<CONF
unqualified-search-registries = ["$registry"]
CONF
echo "ooo-lab-machine" > "$root/etc/hostname"
rm -f "$root/etc/ssh/ssh_host_"* 2>/dev/null || true
# Keep the image small: no documentation, no apt lists.
rm -rf "$root/usr/share/doc/"* "$root/usr/share/man/"* "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin
