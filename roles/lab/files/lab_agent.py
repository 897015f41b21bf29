"""The lab machine's ramdisk: what ironic-python-agent does for inspection, on a podman lab machine.

  lab_agent.py inventory                 print this machine's inventory (Ironic's inventory format)
  lab_agent.py inspect --ironic URL      gather the inventory, optionally run short benchmarks, and post
                                         them to Ironic's continue_inspection API, retrying while the node
                                         is not yet waiting for it (as the agent's lookup does)

Standard library only: the machine image has python3 and nothing else to rely on.
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

GIB = 1024 ** 3
MIB = 1024 ** 2


def read(path, default=""):
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return default


def memory():
    meminfo = dict(line.split(":", 1) for line in read("/proc/meminfo").splitlines() if ":" in line)
    total = int(meminfo["MemTotal"].split()[0]) * 1024
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        value = read(path)
        if value.isdigit():
            total = min(total, int(value))
            break
    return {"total": total, "physical_mb": total // MIB}


def cpu():
    info = {}
    for line in read("/proc/cpuinfo").splitlines():
        key, _sep, value = line.partition(":")
        info.setdefault(key.strip(), value.strip())
    return {"model_name": info.get("model name") or info.get("Model") or "unknown",
            "frequency": info.get("cpu MHz", ""),
            "count": len(os.sched_getaffinity(0)),
            "architecture": platform.machine(),
            "flags": sorted(set(info.get("flags", "").split())),
            "socket_count": len(set(line for line in read("/proc/cpuinfo").splitlines() if line.startswith("physical id"))) or 1}


def disks():
    out = []
    for name in sorted(os.listdir("/sys/block")):
        if name.startswith(("loop", "ram", "zram", "dm-", "sr", "nbd", "md")):
            continue
        sectors = read("/sys/block/%s/size" % name, "0")
        size = int(sectors) * 512 if sectors.isdigit() else 0
        if not size:
            continue
        out.append({"name": "/dev/" + name, "model": read("/sys/block/%s/device/model" % name) or None,
                    "vendor": read("/sys/block/%s/device/vendor" % name) or None, "size": size,
                    "rotational": read("/sys/block/%s/queue/rotational" % name) == "1",
                    "serial": read("/sys/block/%s/device/serial" % name) or None, "wwn": None, "hctl": None, "by_path": None})
    return out


def root_disk(all_disks):
    """IPA's default: the smallest disk of at least 4 GiB."""
    big = [d for d in all_disks if d["size"] >= 4 * GIB]
    return min(big, key=lambda d: d["size"]) if big else None


def addresses():
    try:
        data = json.loads(subprocess.run(["ip", "-j", "addr"], capture_output=True, text=True, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        return {}
    out = {}
    for link in data:
        for addr in link.get("addr_info", []):
            out.setdefault(link["ifname"], {}).setdefault(addr["family"], addr["local"])
    return out


def virtual_links():
    """Names of the links that are not NICs: bridges, bonds, VLANs, taps (OVS userspace ports), OVS internal ports.

    ironic-python-agent reports only physical NICs; the lab's NICs are veth pairs, so they count as physical.
    Without this, a bridge that took a NIC's MAC (network_config) would be reported as a second port with it.
    """
    try:
        data = json.loads(subprocess.run(["ip", "-j", "-d", "link"], capture_output=True, text=True, check=True).stdout)
    except (OSError, ValueError, subprocess.CalledProcessError):
        return set()
    return set(link["ifname"] for link in data if link.get("linkinfo", {}).get("info_kind") not in (None, "veth"))


def interfaces():
    addrs = addresses()
    virtual = virtual_links()
    out = []
    for name in sorted(os.listdir("/sys/class/net")):
        if name == "lo" or name in virtual or not os.path.exists("/sys/class/net/%s/address" % name):
            continue
        speed = read("/sys/class/net/%s/speed" % name)
        out.append({"name": name, "mac_address": read("/sys/class/net/%s/address" % name),
                    "ipv4_address": addrs.get(name, {}).get("inet"), "ipv6_address": addrs.get(name, {}).get("inet6"),
                    "has_carrier": read("/sys/class/net/%s/carrier" % name) == "1",
                    "speed_mbps": int(speed) if speed.lstrip("-").isdigit() and int(speed) > 0 else None,
                    "vendor": None, "product": None, "client_id": None, "biosdevname": None, "lldp": None})
    return out


def boot_interface(nics, toward):
    """The NIC this machine reaches `toward` from: the one it would have PXE-booted on (no packet is sent)."""
    if not toward:
        return None
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect((toward, 9))
        local = probe.getsockname()[0]
    except OSError:
        return None
    finally:
        probe.close()
    for nic in nics:
        if nic["ipv4_address"] == local:
            return nic["mac_address"]
    return None


def inventory(toward=None):
    nics = interfaces()
    all_disks = disks()
    firmware = {"vendor": read("/sys/class/dmi/id/bios_vendor") or None, "version": read("/sys/class/dmi/id/bios_version") or None,
                "build_date": read("/sys/class/dmi/id/bios_date") or None}
    return {"interfaces": nics, "cpu": cpu(), "memory": memory(), "disks": all_disks,
            "bmc_address": None, "bmc_v6address": None,
            "system_vendor": {"product_name": read("/sys/class/dmi/id/product_name") or "ooo-lab-machine",
                              "serial_number": read("/sys/class/dmi/id/product_serial") or None,
                              "manufacturer": read("/sys/class/dmi/id/sys_vendor") or None, "firmware": firmware},
            "boot": {"current_boot_mode": "uefi", "pxe_interface": boot_interface(nics, toward)},
            "hostname": socket.gethostname()}


# Benchmarks: short, each repeated and the best kept, so that a busy neighbour does not make a machine look slow.

def _hash_for(seconds):
    block = b"\x5a" * 65536
    count = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        hashlib.sha256(block).digest()
        count += 1
    return count


def _cpu_worker(args):
    return _hash_for(args)


def bench_cpu(seconds=0.5, repeats=3):
    single = max(_hash_for(seconds) for _repeat in range(repeats)) / seconds
    workers = len(os.sched_getaffinity(0))
    best = 0.0
    with multiprocessing.Pool(workers) as pool:
        for _repeat in range(repeats):
            best = max(best, sum(pool.map(_cpu_worker, [seconds] * workers)) / seconds)
    return round(single), round(best)


def bench_memory(size_mb=32, repeats=3):
    source = bytearray(os.urandom(1024)) * (size_mb * 1024)
    best = 0.0
    for _repeat in range(repeats):
        start = time.perf_counter()
        copies = 0
        while time.perf_counter() - start < 0.3:
            bytes(source)
            copies += 1
        best = max(best, copies * size_mb / (time.perf_counter() - start))
    return round(best)


def bench_disk(directory="/var/tmp", size_mb=32, repeats=2):
    path = os.path.join(directory, "ooo-lab-agent-bench")
    chunk = os.urandom(MIB)
    best_write = best_read = 0.0
    try:
        for _repeat in range(repeats):
            start = time.perf_counter()
            with open(path, "wb") as handle:
                for _i in range(size_mb):
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            best_write = max(best_write, size_mb / (time.perf_counter() - start))
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
                start = time.perf_counter()
                while os.read(fd, MIB):
                    pass
                best_read = max(best_read, size_mb / (time.perf_counter() - start))
            finally:
                os.close(fd)
    finally:
        if os.path.exists(path):
            os.unlink(path)
    return round(best_write), round(best_read)


def benchmarks():
    cpu_single, cpu_all = bench_cpu()
    disk_write, disk_read = bench_disk()
    return {"cpu_single": cpu_single, "cpu_all": cpu_all, "memory_mbps": bench_memory(),
            "disk_write_mbps": disk_write, "disk_read_mbps": disk_read}


def post(url, body, timeout):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-OpenStack-Ironic-API-Version": "1.84"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")


def inspect(args):
    ironic = args.ironic.rstrip("/")
    host = urllib.parse.urlsplit(ironic).hostname
    data = {"inventory": inventory(host)}
    disk = root_disk(data["inventory"]["disks"])
    if disk:
        data["root_disk"] = disk
    data["boot_interface"] = data["inventory"]["boot"]["pxe_interface"]
    if args.benchmarks:
        data["benchmarks"] = benchmarks()
    deadline = time.monotonic() + args.timeout
    last = None
    while True:
        try:
            answer = post(ironic + "/v1/continue_inspection", data, timeout=30)
            print(json.dumps({"posted": True, "node": answer.get("node", {}).get("uuid") if isinstance(answer.get("node"), dict)
                              else answer.get("uuid"), "benchmarks": data.get("benchmarks"),
                              "pxe_interface": data["boot_interface"]}))
            return 0
        except urllib.error.HTTPError as exc:
            # 404: no node waiting for this machine yet; 409: the node is locked or not in "inspect wait" yet.
            last = "HTTP %d: %s" % (exc.code, exc.read().decode(errors="replace")[:300])
            if exc.code not in (404, 409, 503):
                break
        except OSError as exc:
            last = str(exc)
        if time.monotonic() > deadline:
            break
        time.sleep(args.interval)
    print(json.dumps({"posted": False, "error": last}))
    return 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("inventory")
    sub.add_parser("benchmarks")
    p_inspect = sub.add_parser("inspect")
    p_inspect.add_argument("--ironic", required=True, help="Ironic API URL, e.g. http://198.18.0.1:6385")
    p_inspect.add_argument("--benchmarks", action="store_true", help="run short CPU, memory and disk benchmarks and send them")
    p_inspect.add_argument("--timeout", type=float, default=300.0)
    p_inspect.add_argument("--interval", type=float, default=2.0)
    args = parser.parse_args(argv)
    if args.command == "inventory":
        print(json.dumps(inventory()))
        return 0
    if args.command == "benchmarks":
        print(json.dumps(benchmarks()))
        return 0
    return inspect(args)


if __name__ == "__main__":
    sys.exit(main())
