"""Print the memory (RSS, summed over each process group) of every undercloud service.

Reads the pid files of the supervised processes and the Debian services' processes.
    python benchmarks/undercloud_memory.py
"""
import os

RUN_DIR = "/run/ooo-undercloud"


def rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def processes():
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            pid = int(entry)
            try:
                with open("/proc/%d/cmdline" % pid, "rb") as handle:
                    cmd = handle.read().replace(b"\0", b" ").decode("utf-8", "replace")
                yield pid, os.getpgid(pid), cmd
            except OSError:
                continue


def main():
    procs = list(processes())
    rows = []
    for name in sorted(os.listdir(RUN_DIR)) if os.path.isdir(RUN_DIR) else []:
        if not name.endswith(".pid"):
            continue
        with open(os.path.join(RUN_DIR, name)) as handle:
            pid = int(handle.read().strip() or 0)
        try:
            pgid = os.getpgid(pid)
        except OSError:
            pgid = None
        group = [p for p, g, _c in procs if g == pgid]
        rows.append((name[:-4], len(group), sum(rss_kib(p) for p in group)))
    for label, needle in (("mariadb", "mariadbd"), ("rabbitmq", "beam.smp")):
        group = [p for p, _g, c in procs if needle in c]
        rows.append((label, len(group), sum(rss_kib(p) for p in group)))
    print("%-12s %9s %10s" % ("service", "processes", "RSS MiB"))
    for name, count, kib in rows:
        print("%-12s %9d %10.0f" % (name, count, kib / 1024.0))
    print("%-12s %9d %10.0f" % ("total", sum(r[1] for r in rows), sum(r[2] for r in rows) / 1024.0))


if __name__ == "__main__":
    main()
