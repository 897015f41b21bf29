"""Probe URLs through the overcloud's VIP until told to stop; write what answered and what failed as JSON.

    vip_probe.py --out FILE --stop-file FILE [--pid-file FILE] [--interval S] [--timeout S] [--max-seconds S] URL...
    vip_probe.py --stop-previous PIDFILE


Every round sends one GET to each URL. A request fails when it raises (refused, reset, timed out) or answers with a
status of 500 or more. Started in the background before a rolling update and stopped after it (playbooks/
overcloud_update.yml); the JSON has the counts, the failures (time, URL, reason; the first 50) and the duration.

Each run has files of its own (the playbook names them after the run), so a probe left behind by an earlier run can
never write over this run's results. With --pid-file the probe records its pid there and removes it when it ends;
--stop-previous stops the probe a pid file names (SIGTERM, then SIGKILL), if it still runs and is a probe.
"""
import argparse
import json
import os
import signal
import sys
import time
import urllib.error
import urllib.request


def probe(url, timeout):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return None if response.status < 500 else "HTTP %d" % response.status
    except urllib.error.HTTPError as exc:
        return None if exc.code < 500 else "HTTP %d" % exc.code
    except Exception as exc:  # refused, reset, timeout: all count as failures
        return "%s: %s" % (type(exc).__name__, exc)


def _probe_pid(pidfile):
    """The pid in pidfile when that process runs and is a probe, else None."""
    try:
        with open(pidfile) as handle:
            pid = int(handle.read().split()[0])
        with open("/proc/%d/cmdline" % pid, "rb") as handle:
            cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except (OSError, ValueError, IndexError):
        return None
    return pid if "vip_probe.py" in cmdline and pid != os.getpid() else None


def stop_previous(pidfile):
    """Stop the probe pidfile names; print what was done (the playbook reports a change when one was stopped)."""
    pid = _probe_pid(pidfile)
    if pid is None:
        print("no probe running")
        return
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.kill(pid, sig)
        except OSError:
            break
        deadline = time.time() + grace
        while time.time() < deadline and os.path.exists("/proc/%d" % pid):
            time.sleep(0.1)
        if not os.path.exists("/proc/%d" % pid):
            break
    if os.path.exists(pidfile):
        os.unlink(pidfile)
    print("stopped probe %d" % pid)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--stop-previous":
        stop_previous(sys.argv[2])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--pid-file")
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    if args.pid_file:
        with open(args.pid_file, "w") as handle:
            handle.write("%d\n" % os.getpid())
    started = time.time()
    counts = {url: {"requests": 0, "failed": 0} for url in args.urls}
    failures = []
    while not os.path.exists(args.stop_file) and time.time() - started < args.max_seconds:
        for url in args.urls:
            reason = probe(url, args.timeout)
            counts[url]["requests"] += 1
            if reason:
                counts[url]["failed"] += 1
                if len(failures) < 50:
                    failures.append({"at": round(time.time() - started, 2), "url": url, "reason": reason})
        time.sleep(args.interval)
    result = {"requests": sum(c["requests"] for c in counts.values()), "failed": sum(c["failed"] for c in counts.values()),
              "seconds": round(time.time() - started, 1), "urls": counts, "failures": failures}
    with open(args.out + ".tmp", "w") as handle:
        json.dump(result, handle, indent=1)
    os.replace(args.out + ".tmp", args.out)
    if args.pid_file:
        try:
            with open(args.pid_file) as handle:
                mine = handle.read().split() == [str(os.getpid())]
        except OSError:
            mine = False
        if mine:  # a newer probe's pid file is left alone
            os.unlink(args.pid_file)


if __name__ == "__main__":
    main()
