"""Benchmark: uploading a 1 GiB image to the undercloud's Glance, and the unchanged re-run.

Side by side, in one run, against the same Glance:
- ours: one `ooo.lifecycle.image` task (disk_format source, method put);
- peer: `openstack.cloud.image` of the `ansible` package (own venv with openstacksdk 4.14.0, see
  bench_identity_catalog.py);
- floor: a plain HTTP PUT of the file with curl to an image record made beforehand (no Ansible, no hashing).
Then each tool again with the same file (unchanged), against the time Python takes to sha256 the file.

Prints seconds, MB/s, bytes sent and the ratios:
- first upload: ours throughput / floor throughput (target >= 0.9), task wall time and the module's own time;
- unchanged re-run: the module's own time / hashing time (target <= 1.2), bytes sent (target 0).

    python benchmarks/bench_image_upload.py [--mib 1024]
"""
import argparse
import hashlib
import json
import os
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, ensure_peer_venv

WORK = TOP / ".work" / "bench-image"


def run_task(task, python, collections):
    """Run one task in a playbook; return (wall seconds, the task's result)."""
    book = [{"name": "bench", "hosts": "localhost", "gather_facts": False, "tasks": [task]}]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump(book, handle)
        path = handle.name
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_PYTHON_INTERPRETER=str(python), ANSIBLE_CONFIG=str(TOP / "ansible.cfg"))
    start = time.monotonic()
    proc = subprocess.run([str(Path(python).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", path],
                          capture_output=True, text=True, env=env, cwd=TOP, check=False)
    elapsed = time.monotonic() - start
    os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit("playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed, json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]


def make_file(path, mib):
    if path.exists() and path.stat().st_size == mib << 20:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        for _mib in range(mib):
            handle.write(os.urandom(1 << 20))


def hash_seconds(path):
    start = time.monotonic()
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(8 << 20), b""):
            hasher.update(block)
    return time.monotonic() - start


def floor_put_streamed(conn, path, name):
    image = conn.image.post("/images", json={"name": name, "disk_format": "raw", "container_format": "bare"}).json()
    url = conn.image.get_endpoint().rstrip("/")
    url = (url if url.endswith("/v2") else url + "/v2") + "/images/%s/file" % image["id"]
    start = time.monotonic()
    subprocess.run(["curl", "-sS", "-f", "-T", str(path), "-H", "X-Auth-Token: %s" % conn.auth_token,
                    "-H", "Content-Type: application/octet-stream", "-o", "/dev/null", url], check=True)
    return time.monotonic() - start, image["id"]


def delete_images(conn, prefix):
    for query in ({}, {"os_hidden": "true"}):
        for image in conn.image.get("/images", params=dict(query, limit=500)).json()["images"]:
            if image["name"].startswith(prefix):
                conn.image.delete("/images/%s" % image["id"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=1024)
    args = parser.parse_args()
    import openstack
    conn = openstack.connect(cloud="undercloud")
    peer_python = ensure_peer_venv()
    path = WORK / ("image-%dm.raw" % args.mib)
    make_file(path, args.mib)
    size = path.stat().st_size
    prefix = "bench-img-%s" % uuid.uuid4().hex[:6]
    ours_colls = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS)
    ours_task = {"ooo.lifecycle.image": {"cloud": "undercloud", "name": prefix + "-ours", "filename": str(path), "disk_format": "source",
                                         "method": "put", "keep_copies": 0}}
    peer_task = {"openstack.cloud.image": {"cloud": "undercloud", "name": prefix + "-peer", "filename": str(path), "disk_format": "raw",
                                           "container_format": "bare", "state": "present"}}
    rows = {}
    try:
        rows["hash"] = hash_seconds(path)
        rows["floor"], _id = floor_put_streamed(conn, path, prefix + "-floor")
        rows["ours_wall"], ours = run_task(ours_task, VENV / "bin" / "python", ours_colls)
        rows["ours_module"] = ours["seconds"]
        rows["peer_wall"], peer = run_task(peer_task, peer_python, str(PEER_COLLECTIONS))
        rows["ours_rerun_wall"], ours2 = run_task(ours_task, VENV / "bin" / "python", ours_colls)
        rows["ours_rerun_module"] = ours2["seconds"]
        rows["hash_again"] = hash_seconds(path)
        rows["peer_rerun_wall"], peer2 = run_task(peer_task, peer_python, str(PEER_COLLECTIONS))
    finally:
        delete_images(conn, prefix)
    mb = size / 1e6
    hashing = min(rows["hash"], rows["hash_again"])
    print("image: %d MiB, Glance at %s" % (args.mib, conn.image.get_endpoint()))
    print("%-34s %8s %9s %12s %s" % ("first upload", "seconds", "MB/s", "bytes sent", "changed"))
    print("%-34s %8.2f %9.1f %12d" % ("floor (curl -T PUT)", rows["floor"], mb / rows["floor"], size))
    print("%-34s %8.2f %9.1f %12d %s" % ("ours, module's own time", rows["ours_module"], mb / rows["ours_module"], ours["bytes_sent"], ours["changed"]))
    print("%-34s %8.2f %9.1f %12s %s" % ("ours, task wall (ansible incl.)", rows["ours_wall"], mb / rows["ours_wall"], "", ""))
    print("%-34s %8.2f %9.1f %12s %s" % ("peer openstack.cloud.image, wall", rows["peer_wall"], mb / rows["peer_wall"], "?", peer.get("changed")))
    print("%-34s %8s %9s %12s %s" % ("unchanged re-run", "seconds", "x hash", "bytes sent", "changed"))
    print("%-34s %8.2f %9s" % ("sha256 of the file (hashlib)", hashing, "1.00"))
    rerun = rows["ours_rerun_module"]
    print("%-34s %8.2f %9.2f %12d %s" % ("ours, module's own time", rerun, rerun / hashing, ours2["bytes_sent"], ours2["changed"]))
    print("%-34s %8.2f %9.2f %12s %s" % ("ours, task wall (ansible incl.)", rows["ours_rerun_wall"], rows["ours_rerun_wall"] / hashing, "", ""))
    print("%-34s %8.2f %9.2f %12s %s" % ("peer, wall", rows["peer_rerun_wall"], rows["peer_rerun_wall"] / hashing, "?", peer2.get("changed")))
    print("ratios: ours/floor throughput %.2f (module) %.2f (task wall); peer/floor %.2f; ours first upload %.1fx faster than peer (wall)"
          % (rows["floor"] / rows["ours_module"], rows["floor"] / rows["ours_wall"], rows["floor"] / rows["peer_wall"],
             rows["peer_wall"] / rows["ours_wall"]))
    print("        unchanged re-run: ours %.2fx hashing (module), %.2fx (task wall), %d bytes sent; peer %.2fx hashing (wall)"
          % (rows["ours_rerun_module"] / hashing, rows["ours_rerun_wall"] / hashing, ours2["bytes_sent"], rows["peer_rerun_wall"] / hashing))


if __name__ == "__main__":
    main()
