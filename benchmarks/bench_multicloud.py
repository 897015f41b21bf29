"""Benchmark: one image to several clouds of clouds.yaml, first run and unchanged re-run.

Side by side, in one run, against the lab's clouds (undercloud, lab-ops, lab-east in regionTwo wanting raw, and
lab-down, unreachable):
- ours: playbooks/multicloud_images.yml (probe all clouds concurrently, one ooo.lifecycle.image task fanning out,
  each format converted once, content-addressed);
- peer: what a user writes without it: a loop of `openstack.cloud.image` over the clouds (the `ansible` package's
  collection, own venv with openstacksdk 4.14.0, see bench_identity_catalog.py), a qemu-img conversion task for the
  qcow2 clouds, and `ignore_errors` so the unreachable cloud does not stop the loop.

Prints wall seconds of each run and the ratios peer/ours; the peer's re-run is also a no-op (openstack.cloud.image
finds the image by name), so the re-run ratio compares the cost of deciding that nothing is to do.

    python benchmarks/bench_multicloud.py [--mib 256]
"""
import argparse
import json
import os
import subprocess
import time
import uuid

import openstack

from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, ensure_peer_venv
from bench_image_upload import make_file

WORK = TOP / ".work" / "bench-multicloud"
CLOUDS = ["undercloud", "lab-ops", "lab-east", "lab-down"]


def run_playbook(args, python, collections):
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"),
               ANSIBLE_PYTHON_INTERPRETER=str(python), PATH="%s:%s" % (python.parent, os.environ["PATH"]))
    start = time.monotonic()
    proc = subprocess.run([str(python.parent / "ansible-playbook")] + args, capture_output=True, text=True, env=env, cwd=TOP, check=False)
    elapsed = time.monotonic() - start
    if proc.returncode != 0:
        raise SystemExit("playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    return elapsed, proc.stdout


def peer_book(image, name):
    qcow2 = str(WORK / "peer.qcow2")
    book = [{"name": "peer", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [
        {"name": "Convert for the qcow2 clouds", "ansible.builtin.command": {
            "argv": ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", str(image), qcow2], "creates": qcow2}},
        {"name": "Upload to each cloud", "openstack.cloud.image": {
            "cloud": "{{ item.cloud }}", "name": name, "filename": "{{ item.file }}", "disk_format": "{{ item.format }}",
            "container_format": "bare", "is_public": False, "timeout": 600},
         "loop": [{"cloud": c, "format": "raw" if c == "lab-east" else "qcow2", "file": str(image) if c == "lab-east" else qcow2}
                  for c in CLOUDS],
         "ignore_errors": True},
    ]}]
    path = WORK / "peer.yml"
    path.write_text(json.dumps(book))
    return path


def cleanup(name):
    for cloud in CLOUDS[:-1]:
        conn = openstack.connect(cloud=cloud)
        for image in list(conn.image.images(owner=conn.current_project_id)) + list(conn.image.images(owner=conn.current_project_id, os_hidden=True)):
            if image.name == name or image.name.startswith(name + ".old."):
                conn.image.delete_image(image)
    for leftover in WORK.glob("peer.qcow2"):
        leftover.unlink()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    image = WORK / "disk.raw"
    make_file(image, args.mib)
    peer_python = ensure_peer_venv()
    ours_python = VENV / "bin" / "python"
    ours_collections = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS)
    tag = uuid.uuid4().hex[:6]
    rows = {}
    for who in ("ours", "peer"):
        name = "bench-multicloud-%s-%s" % (who, tag)
        if who == "ours":
            extra = json.dumps({"multicloud_clouds": CLOUDS, "multicloud_image_file": str(image), "multicloud_image_name": name})
            cmd, python, colls = [str(TOP / "playbooks" / "multicloud_images.yml"), "-e", extra], ours_python, ours_collections
        else:
            cmd, python, colls = [str(peer_book(image, name))], peer_python, str(PEER_COLLECTIONS)
        try:
            first, _out = run_playbook(cmd, python, colls)
            rerun, _out = run_playbook(cmd, python, colls)
        finally:
            cleanup(name)
        rows[who] = (first, rerun)
        print("%-5s first %6.1f s   re-run %6.1f s" % (who, first, rerun), flush=True)
    print("image %d MiB to %d clouds (one unreachable)" % (args.mib, len(CLOUDS)))
    print("ratio peer/ours: first %.2f, re-run %.2f" % (rows["peer"][0] / rows["ours"][0], rows["peer"][1] / rows["ours"][1]))


if __name__ == "__main__":
    main()
