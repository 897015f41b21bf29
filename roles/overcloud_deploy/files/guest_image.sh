#!/usr/bin/env bash
# Build the overcloud's test guest from Debian packages (nothing downloaded from elsewhere): Debian's cloud kernel, a
# busybox initramfs and an empty 1 MiB machine disk, the Amazon-style trio (aki, ari, ami) Nova boots directly with
# libvirt (kernel_id, ramdisk_id), as CirrOS's UEC images. Under QEMU's TCG it boots to its shell in seconds.
# The guest loads virtio_net, asks DHCP for each interface's address and says on its console (ttyS0) what it got:
#   "ooo-guest: up", then "ooo-guest: eth0 ADDRESS/PREFIX" or "ooo-guest: eth0 no lease".
#   guest_image.sh OUTDIR [MIRROR]
# Writes OUTDIR/guest-kernel, guest-initrd, guest-disk. Idempotent: rebuilt only when this script changed. Prints
# "built" or "unchanged".
set -euo pipefail
out=${1:?usage: guest_image.sh OUTDIR [MIRROR]}
mirror=${2:-http://deb.debian.org/debian}
want=$(sha256sum "$0" | cut -d' ' -f1)
if [ "$(cat "$out/guest.build-hash" 2>/dev/null)" = "$want" ] && [ -s "$out/guest-kernel" ] && [ -s "$out/guest-initrd" ]; then
  echo unchanged; exit 0
fi
mkdir -p "$out"
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Unpacked, not installed: no maintainer script runs (the kernel's would want an initramfs generator).
mmdebstrap --quiet --variant=extract --include=linux-image-cloud-amd64,busybox-static \
  --dpkgopt='path-exclude=/usr/share/*' bookworm "$work/pkgs" "$mirror"
kernel=$(ls "$work"/pkgs/boot/vmlinuz-* | head -1)
modules=$(ls -d "$work"/pkgs/lib/modules/* | head -1)
root=$work/root
mkdir -p "$root"/bin "$root"/proc "$root"/sys "$root"/dev "$root"/usr/share/udhcpc
cp "$work/pkgs/bin/busybox" "$root/bin/busybox"
# The virtio bus and virtio_net (modules in Debian's cloud kernel); busybox's depmod orders them at boot.
for m in drivers/virtio net/core/failover.ko drivers/net/net_failover.ko drivers/net/virtio_net.ko; do
  mkdir -p "$root/lib/modules/${modules##*/}/kernel/$(dirname "$m")"
  cp -r "$modules/kernel/$m" "$root/lib/modules/${modules##*/}/kernel/$(dirname "$m")/"
done
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
depmod && modprobe virtio_pci && modprobe virtio_net
echo "ooo-guest: up" > /dev/console
for dev in /sys/class/net/eth*; do
  [ -e "$dev" ] || continue
  nic=${dev##*/}
  ip link set "$nic" up
  if udhcpc -i "$nic" -n -q -t 5 -T 2 -s /usr/share/udhcpc/default.script >/dev/null 2>&1; then
    echo "ooo-guest: $nic $(ip -o -4 addr show dev "$nic" | awk '{print $4}')" > /dev/console
  else
    echo "ooo-guest: $nic no lease" > /dev/console
  fi
done
exec sh -c 'while :; do sleep 3600; done'
EOF
cat > "$root/usr/share/udhcpc/default.script" <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/$mask" dev "$interface"
    [ -n "$router" ] && ip route replace default via "${router%% *}" dev "$interface"
    ;;
esac
exit 0
EOF
chmod 0755 "$root/init" "$root/usr/share/udhcpc/default.script"
(cd "$root" && find . | "$work/pkgs/bin/busybox" cpio -o -H newc 2>/dev/null) | gzip -9 > "$work/initrd"
cp "$kernel" "$work/kernel"
truncate -s 1M "$work/disk"
mv "$work/kernel" "$out/guest-kernel"
mv "$work/initrd" "$out/guest-initrd"
mv "$work/disk" "$out/guest-disk"
echo "$want" > "$out/guest.build-hash"
echo built
