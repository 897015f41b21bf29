"""Print, as JSON, the hardware of this machine as it sees itself (run inside a lab machine)."""
import json
import os


def read(path):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def main():
    meminfo = dict(line.split(":", 1) for line in read("/proc/meminfo").splitlines())
    mem_mb = int(meminfo["MemTotal"].split()[0]) // 1024
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        value = read(path)
        if value.isdigit():
            mem_mb = min(mem_mb, int(value) // (1024 * 1024))
            break
    st = os.statvfs("/")
    nics = {}
    for name in sorted(os.listdir("/sys/class/net")):
        if name != "lo":
            nics[name] = read("/sys/class/net/%s/address" % name)
    print(json.dumps({"cpus": len(os.sched_getaffinity(0)), "memory_mb": mem_mb,
                      "local_gb": st.f_blocks * st.f_frsize // 1024 ** 3, "cpu_arch": os.uname().machine, "nics": nics}))


main()
