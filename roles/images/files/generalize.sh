#!/bin/sh
# mmdebstrap customize hook for the golden image: $1 is its root file system.
# Packages stay; everything that belongs to one host or one deployment goes: the image is
# generic and configured when a machine is deployed from it.
set -eu
root="$1"
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root/etc/hostname" "$root/etc/ssh/ssh_host_"* 2>/dev/null || true
rm -rf "$root/etc/containers/registries.conf.d/"* "$root/var/log/"*.log "$root/var/cache/apt/"*.bin \
  "$root/var/lib/apt/lists/"* "$root/usr/share/doc/"* "$root/usr/share/man/"* "$root/tmp/"*
