"""Probe URLs through the overcloud's VIP until told to stop; write what answered and what failed as JSON.

    vip_probe.py --out FILE --stop-file FILE [--interval S] [--timeout S] [--max-seconds S] URL...

Every round sends one GET to each URL. A request fails when it raises (refused, reset, timed out) or answers with a
status of 500 or more. Started in the background before a rolling update and stopped after it (playbooks/
overcloud_update.yml); the JSON has the counts, the failures (time, URL, reason; the first 50) and the duration.
"""
import argparse
import json
import os
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--stop-file", required=True)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--max-seconds", type=float, default=3600)
    parser.add_argument("urls", nargs="+")
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
