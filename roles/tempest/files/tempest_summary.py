"""Summarise a Tempest run from its subunit v2 stream (stdin): passed, failed and skipped, each skip with its reason.

    tempest run --subunit ... | tempest_summary.py OUT_JSON

Writes OUT_JSON and prints it: {"passed": N, "failed": [TEST, ...], "skipped": [{"test", "reason"}], "tests": N,
"seconds": wall time of the tests}. A class whose setUpClass skipped counts as one skip with its reason.
"""
import datetime
import json
import sys

import subunit
import testtools


def summarise(stream):
    tests = []
    result = testtools.StreamToDict(tests.append)
    result.startTestRun()
    subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout").run(result)
    result.stopTestRun()
    summary = {"passed": 0, "failed": [], "skipped": [], "tests": 0, "seconds": 0.0}
    first, last = None, None
    for test in tests:
        status, name = test["status"], test["id"].split("[")[0]
        if status not in ("success", "fail", "skip", "xfail", "uxsuccess"):
            continue
        summary["tests"] += 1
        start, stop = test["timestamps"]
        if start and stop:
            first = start if first is None or start < first else first
            last = stop if last is None or stop > last else last
        if status in ("success", "xfail"):
            summary["passed"] += 1
        elif status == "skip":
            reason = test["details"].get("reason")
            summary["skipped"].append({"test": name, "reason": reason.as_text().strip() if reason else "(no reason given)"})
        else:
            summary["failed"].append(name)
    if first and last:
        summary["seconds"] = round((last - first) / datetime.timedelta(seconds=1), 1)
    return summary


def main():
    summary = summarise(sys.stdin.buffer)
    with open(sys.argv[1], "w") as out:
        json.dump(summary, out, indent=1, sort_keys=True)
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
