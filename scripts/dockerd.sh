#!/usr/bin/env bash
# Start a Docker engine on this host without systemd, for container_startup's docker runtime (tests, benchmarks).
# It is given no bridge and no firewall rules of its own (--bridge=none --iptables=false): the lab's networks and
# NAT rules stay podman's and the lab's, and the containers the project runs use the host's network or none.
# The lab registry (on the undercloud, 198.18.0.1:8787) serves plain HTTP, as podman is told in registries.conf.
# Safe to run again: an engine that answers on the socket is left alone.
set -euo pipefail
sock=${OOO_DOCKER_SOCK:-/var/run/docker.sock}
log=${OOO_DOCKER_LOG:-/var/log/ooo-dockerd.log}
answers() { curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping > /dev/null 2>&1; }
answers && exit 0
command -v dockerd > /dev/null || { echo "dockerd.sh: dockerd is not installed (Debian's docker.io: scripts/bootstrap.sh installs it)" >&2; exit 1; }
# A socket or pid file left by an engine that was killed would stop the new one from starting.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2> /dev/null; then rm -f /var/run/docker.pid; fi
rm -f "$sock"
nohup dockerd --host "unix://$sock" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
  --insecure-registry 198.18.0.0/15 --log-level warn > "$log" 2>&1 < /dev/null &
for _ in $(seq 1 60); do
  answers && exit 0
  sleep 0.5
done
echo "dockerd.sh: the engine did not answer on $sock within 30 s; its log, $log:" >&2
tail -20 "$log" >&2
exit 1
