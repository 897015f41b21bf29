"""Probe URLs through the overcloud's VIP until told to stop; write what answered and what failed as JSON.

    vip_probe.py --out FILE --stop-file FILE [--pid-file FILE] [--interval S] [--timeout S] [--max-seconds S]
                 [--auth-file FILE [--auth-every S]] URL...
    vip_probe.py --stop-previous PIDFILE


Every round sends one GET to each URL. A request fails when it raises (refused, reset, timed out) or answers with a
status of 500 or more. Started in the background before a rolling update and stopped after it (playbooks/
overcloud_update.yml); the JSON has the counts, the failures (time, URL, reason; the first 50) and the duration.

With --auth-file (JSON: {"auth_url": ".../v3", "body": a Keystone password auth request}, which the probe deletes
once read: the password is never in its argv), the probe gets a token at start and then, every --auth-every
seconds, has Keystone validate it (GET /v3/auth/tokens): a request that needs Keystone's database, so a database
that stops answering shows in the results; anything but 200 fails.

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


def read_auth(path):
    """The auth request in path; the file is deleted once read (it holds a password)."""
    with open(path) as handle:
        auth = json.load(handle)
    os.unlink(path)
    return auth


def get_token(auth, timeout, patience=60.0):
    """A token from Keystone (tried for up to ``patience`` seconds); raises when none came."""
    deadline, last = time.time() + patience, None
    body = json.dumps(auth["body"]).encode()
    while time.time() < deadline:
        request = urllib.request.Request(auth["auth_url"].rstrip("/") + "/auth/tokens", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.headers["X-Subject-Token"]
        except Exception as exc:  # Keystone not answering yet: try again until patience ends
            last = exc
            time.sleep(1)
    raise RuntimeError("no token from %s: %s" % (auth["auth_url"], last))


def validate(url, token, timeout):
    """None when Keystone validates the token (HTTP 200), else why not."""
    request = urllib.request.Request(url, headers={"X-Auth-Token": token, "X-Subject-Token": token})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read()
            return None if response.status == 200 else "HTTP %d" % response.status
    except urllib.error.HTTPError as exc:
        return "HTTP %d" % exc.code
    except Exception as exc:  # refused, reset, timeout
        return "%s: %s" % (type(exc).__name__, exc)


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
    parser.add_argument("--auth-file")
    parser.add_argument("--auth-every", type=float, default=0.5)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
    if args.pid_file:
        with open(args.pid_file, "w") as handle:
            handle.write("%d\n" % os.getpid())
    checks = [(url, lambda url=url: probe(url, args.timeout), 0.0) for url in args.urls]
    if args.auth_file:
        auth = read_auth(args.auth_file)
        url = auth["auth_url"].rstrip("/") + "/auth/tokens"
        try:
            token, why = get_token(auth, args.timeout), None
        except RuntimeError as exc:  # counted as a failure of every validation, not a probe that writes nothing
            token, why = None, str(exc)
        checks.append((url + " (token validation)", lambda url=url: why or validate(url, token, args.timeout), args.auth_every))
    started = time.time()
    counts = {name: {"requests": 0, "failed": 0} for name, _check, _every in checks}
    last = {}
    failures = []
    while not os.path.exists(args.stop_file) and time.time() - started < args.max_seconds:
        for name, check, every in checks:
            if every and time.time() - last.get(name, 0.0) < every:
                continue
            last[name] = time.time()
            reason = check()
            counts[name]["requests"] += 1
            if reason:
                counts[name]["failed"] += 1
                if len(failures) < 50:
                    failures.append({"at": round(time.time() - started, 2), "url": name, "reason": reason})
        time.sleep(args.interval)
    result = {"started": round(started, 2),
              "requests": sum(c["requests"] for c in counts.values()), "failed": sum(c["failed"] for c in counts.values()),
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
