#!/usr/bin/env bash
# Start a Docker engine on this host without systemd, for container_startup's docker runtime (tests, benchmarks).
# It is given no bridge and no firewall rules of its own (--bridge=none --iptables=false): the lab's networks and
# NAT rules stay podman's and the lab's, and the containers the project runs use the host's network or none.
# The lab registry (on the undercloud, 198.18.0.1:8787) serves TLS with a certificate of the undercloud's CA, which the
# engine reads from /etc/docker/certs.d/198.18.0.1:8787/ca.crt (the undercloud role writes it; its push user is in
# ~/.docker/config.json, which the docker SDK sends): no insecure registry.
# Safe to run again: an engine that answers on the socket is left alone.
set -euo pipefail
sock=${OOO_DOCKER_SOCK:-/var/run/docker.sock}
log=${OOO_DOCKER_LOG:-/var/log/ooo-dockerd.log}
answers() { curl -fsS --max-time 2 --unix-socket "$sock" http://docker/_ping > /dev/null 2>&1; }
answers && exit 0
command -v dockerd > /dev/null || { echo "dockerd.sh: dockerd is not installed (Debian's docker.io: scripts/bootstrap.sh installs it)" >&2; exit 1; }
# A pid file left by an engine that was killed stops the new one from starting ("pid file found"). Its number may
# belong to another process by now, so it is the engine's only if that process is a dockerd.
pidfile=/var/run/docker.pid
if [ -f "$pidfile" ]; then
  pid=$(cat "$pidfile")
  if [ "$(cat "/proc/$pid/comm" 2> /dev/null)" = dockerd ]; then
    # An engine that runs but does not answer yet (starting): give it the same time as a new one.
    for _ in $(seq 1 60); do answers && exit 0; sleep 0.5; done
    echo "dockerd.sh: dockerd (pid $pid) runs but does not answer on $sock" >&2
    exit 1
  fi
  rm -f "$pidfile"
fi
rm -f "$sock"
# The engine starts its own containerd. One left by a killed engine (or its pid file, whose number may be another
# process's by now) makes the new engine wait for a containerd that never answers: it is stopped, the file removed.
ctr_pidfile=/var/run/docker/containerd/containerd.pid
if [ -f "$ctr_pidfile" ]; then
  cpid=$(cat "$ctr_pidfile")
  if [ "$(cat "/proc/$cpid/comm" 2> /dev/null)" = containerd ]; then kill "$cpid" 2> /dev/null; sleep 1; fi
  rm -f "$ctr_pidfile"
fi
for attempt in 1 2; do
  nohup dockerd --host "unix://$sock" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
    --log-level warn > "$log" 2>&1 < /dev/null &
  engine=$!
  for _ in $(seq 1 60); do
    answers && exit 0
    kill -0 "$engine" 2> /dev/null || break
    sleep 0.5
  done
  echo "dockerd.sh: attempt $attempt: the engine did not answer on $sock; its log, $log:" >&2
  tail -5 "$log" >&2
  kill "$engine" 2> /dev/null
  rm -f "$pidfile" "$sock" "$ctr_pidfile"
  sleep 1
done
exit 1
