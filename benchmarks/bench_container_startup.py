"""Benchmark: 50 containers from one startup config on this host's podman and on a Docker engine - first converge
and a no-op rerun.

Ours: one `ooo.lifecycle.container_startup` task (runtime podman, then runtime docker).
Loop: `containers.podman.podman_container` in a loop, one item per container (containers.podman from the
`ansible` package), with the same names, image, command, environment and labels; on docker,
`community.docker.docker_container` in a loop (also from the `ansible` package).
paunch: `paunch apply` (paunch 7.0.4 from PyPI, in .work/bench-paunch), the tool TripleO used; whether it
still runs against today's podman is part of the result.

Image: localhost/ooo-busybox:latest (scripts/busybox_image.sh, loaded into the Docker engine that scripts/dockerd.sh
starts). All in one run, each cleaned up after.

    python benchmarks/bench_container_startup.py [--containers 50]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, run

IMAGE = "localhost/ooo-busybox:latest"
PAUNCH_VENV = TOP / ".work" / "bench-paunch"


def config(prefix, count):
    return dict(("%s-%02d" % (prefix, i), {"image": IMAGE, "command": ["sleep", "3600"], "stop_signal": "KILL",
                                           "environment": {"INDEX": str(i)}, "start_order": i % 3, "net": "none"})
                for i in range(count))


def ours_playbook(prefix, count, runtime="podman"):
    return [{"name": "ours", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Start", "ooo.lifecycle.container_startup": {
            "config_id": prefix, "config": config(prefix, count), "concurrency": 4, "runtime": runtime}}]}]


def loop_playbook(prefix, count):
    items = [{"name": name, "env": spec["environment"]} for name, spec in sorted(config(prefix, count).items())]
    return [{"name": "loop", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Start", "loop": items, "containers.podman.podman_container": {
            "name": "{{ item.name }}", "image": IMAGE, "command": ["sleep", "3600"], "env": "{{ item.env }}", "stop_signal": 9,
            "network": "none", "state": "started", "label": {"config_id": prefix, "managed_by": "bench"}}}]}]


def docker_loop_playbook(prefix, count):
    items = [{"name": name, "env": spec["environment"]} for name, spec in sorted(config(prefix, count).items())]
    return [{"name": "loop", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Start", "loop": items, "community.docker.docker_container": {
            "name": "{{ item.name }}", "image": IMAGE, "command": ["sleep", "3600"], "env": "{{ item.env }}", "stop_signal": "KILL",
            "network_mode": "none", "state": "started", "labels": {"config_id": prefix, "managed_by": "bench"}}}]}]


def cleanup(prefix, cli="podman"):
    ids = subprocess.run([cli, "ps", "-aq", "--filter", "name=^%s-" % prefix], capture_output=True, text=True, check=False).stdout.split()
    if ids:
        subprocess.run([cli, "rm", "-f"] + ids, capture_output=True, check=False)


def running(prefix, cli="podman"):
    out = subprocess.run([cli, "ps", "-q", "--filter", "name=^%s-" % prefix], capture_output=True, text=True, check=False).stdout
    return len(out.split())


def ensure_paunch():
    python = PAUNCH_VENV / "bin" / "python"
    if not (PAUNCH_VENV / ".ready").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PAUNCH_VENV)], check=True)
        subprocess.run([str(PAUNCH_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", "paunch==7.0.4"], check=True)
        (PAUNCH_VENV / ".ready").write_text("")
    return PAUNCH_VENV / "bin" / "paunch"


def paunch_apply(prefix, count):
    # paunch 7 reads a directory of hashed-NAME.json files, one definition each (TripleO's last layout).
    directory = tempfile.mkdtemp()
    for name, spec in config(prefix, count).items():
        with open(os.path.join(directory, "hashed-%s.json" % name), "w") as handle:
            json.dump(spec, handle)
    start = time.monotonic()
    proc = subprocess.run([str(ensure_paunch()), "apply", "--file", directory, "--config-id", prefix, "--managed-by", "paunch",
                           "--default-runtime", "podman"], capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - start
    shutil.rmtree(directory)
    return elapsed, proc


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--containers", type=int, default=50)
    args = parser.parse_args()
    subprocess.run(["bash", str(TOP / "scripts" / "busybox_image.sh")], check=True, capture_output=True)
    colls = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS)
    python = VENV / "bin" / "python"
    subprocess.run(["bash", str(TOP / "scripts" / "dockerd.sh")], check=True, capture_output=True)
    subprocess.run("podman save %s | docker load" % IMAGE, shell=True, check=True, capture_output=True)
    times = {}
    books = {"ours": lambda prefix: ours_playbook(prefix, args.containers),
             "loop": lambda prefix: loop_playbook(prefix, args.containers),
             "ours-docker": lambda prefix: ours_playbook(prefix, args.containers, "docker"),
             "loop-docker": lambda prefix: docker_loop_playbook(prefix, args.containers)}
    for who, book_of in books.items():
        prefix = "bench-%s" % who
        cli = "docker" if who.endswith("docker") else "podman"
        cleanup(prefix, cli)
        book = book_of(prefix)
        first = run(book, python, colls)
        up = running(prefix, cli)
        rerun = run(book, python, colls)
        times[who] = (first[0], rerun[0], rerun[1])
        print("%-11s first converge %.1fs (%d running), no-op rerun %.2fs (%d changed)" % (who, first[0], up, rerun[0], rerun[1]),
              flush=True)
        cleanup(prefix, cli)
    prefix = "bench-paunch"
    cleanup(prefix)
    try:
        first, proc = paunch_apply(prefix, args.containers)
        up = running(prefix)
        if proc.returncode != 0 or up != args.containers:
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            print("paunch first apply: rc %d after %.1fs, %d of %d running: %s" % (proc.returncode, first, up, args.containers, " | ".join(tail)))
        else:
            rerun, _proc = paunch_apply(prefix, args.containers)
            times["paunch"] = (first, rerun, None)
            print("paunch first converge %.1fs (%d running), no-op rerun %.2fs" % (first, up, rerun))
    except subprocess.CalledProcessError as exc:
        print("paunch could not be installed: %s" % exc)
    cleanup(prefix)
    print()
    print("containers=%d" % args.containers)
    print("podman: first converge: loop/ours %.1fx   no-op rerun: loop/ours %.1fx (ours %.2fs)" % (
        times["loop"][0] / times["ours"][0], times["loop"][1] / times["ours"][1], times["ours"][1]))
    print("docker: first converge: loop/ours %.1fx   no-op rerun: loop/ours %.1fx (ours %.2fs)" % (
        times["loop-docker"][0] / times["ours-docker"][0], times["loop-docker"][1] / times["ours-docker"][1], times["ours-docker"][1]))
    if "paunch" in times:
        print("paunch/ours: first %.1fx, rerun %.1fx" % (times["paunch"][0] / times["ours"][0], times["paunch"][1] / times["ours"][1]))


if __name__ == "__main__":
    main()
