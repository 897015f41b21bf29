#!/usr/bin/env bash
# Build the small test image localhost/ooo-busybox:latest from Debian's busybox-static (no registry is reachable).
# Idempotent: rebuilt only when the busybox binary changed. Prints the image name.
set -euo pipefail
image=${1:-localhost/ooo-busybox:latest}
want=$(sha256sum /bin/busybox | cut -d' ' -f1)
have=$(podman image inspect --format '{{ index .Labels "ooo.busybox" }}' "$image" 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/var/lib/config" "$root/proc" "$root/sys" "$root/dev" "$root/run"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo "root:x:0:0:root:/root:/bin/sh" > "$root/etc/passwd"
  echo "root:x:0:" > "$root/etc/group"
  tar -C "$root" -c . | podman import --change 'CMD ["/bin/sh"]' --change "LABEL ooo.busybox=$want" - "$image" >/dev/null
fi
echo "$image"
