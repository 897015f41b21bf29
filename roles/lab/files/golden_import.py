"""Turn a Glance disk image into a podman image a lab machine runs: the lab's "write the image to disk".

    golden_import.py --cloud undercloud --image overcloud-golden --tag localhost/ooo-golden \
        --hook roles/lab/files/customize.sh --registry 198.18.0.1:8787

Downloads the image (any format qemu-img reads; converted to raw), copies its ext4 file
system out without mounting it (debugfs rdump), applies the lab's deploy-time configuration
(the customize hook, as a config drive would on real hardware) and imports the tree into
podman as TAG:<image id>, labelled with the Glance ID and checksum. An image already imported
is not fetched again. Prints one JSON line: {"changed": bool, "image": TAG:ID, "id": ..., "checksum": ...}.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile


def run(cmd, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        sys.exit("%s failed (rc %d): %s" % (" ".join(cmd), proc.returncode, proc.stderr.strip() or proc.stdout.strip()))
    return proc.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cloud", required=True)
    parser.add_argument("--image", required=True, help="Glance image name or ID")
    parser.add_argument("--tag", required=True)
    parser.add_argument("--hook", required=True)
    parser.add_argument("--registry", required=True)
    parser.add_argument("--workdir", default="/var/tmp")
    args = parser.parse_args()

    import openstack
    conn = openstack.connect(cloud=args.cloud)
    found = conn.image.get("/images/%s" % args.image, raise_exc=False)
    if found.status_code == 200:
        image = found.json()
    else:
        matches = [i for i in conn.image.get("/images", params={"name": args.image}).json()["images"] if i["status"] == "active"]
        if not matches:
            sys.exit("no active image %s in Glance of cloud %s" % (args.image, args.cloud))
        image = sorted(matches, key=lambda i: i["created_at"])[-1]
    ref = "%s:%s" % (args.tag, image["id"])
    current = subprocess.run(["podman", "image", "inspect", "--format", '{{ index .Labels "ooo.glance-checksum" }}', ref],
                             capture_output=True, text=True, check=False)
    if current.returncode == 0 and current.stdout.strip() == (image.get("os_hash_value") or ""):
        print(json.dumps(dict(changed=False, image=ref, id=image["id"], checksum=image.get("os_hash_value"))))
        return

    work = tempfile.mkdtemp(prefix="ooo-golden-", dir=args.workdir)
    try:
        disk = os.path.join(work, "disk.%s" % image["disk_format"])
        resp = conn.image.get("/images/%s/file" % image["id"], stream=True)
        if resp.status_code != 200:
            sys.exit("download of image %s failed: HTTP %s" % (image["id"], resp.status_code))
        with open(disk, "wb") as handle:
            for block in resp.iter_content(8 << 20):
                handle.write(block)
        raw = disk
        if image["disk_format"] != "raw":
            raw = os.path.join(work, "disk.raw")
            run(["qemu-img", "convert", "-O", "raw", disk, raw])
            os.unlink(disk)
        root = os.path.join(work, "root")
        os.mkdir(root)
        run(["debugfs", "-R", "rdump / %s" % root, raw])
        os.unlink(raw)
        run(["sh", args.hook, root, args.registry])
        tar = subprocess.Popen(["tar", "-C", root, "--numeric-owner", "-cf", "-", "."], stdout=subprocess.PIPE)
        run(["podman", "import", "--change", 'CMD ["/bin/sleep", "infinity"]',
             "--change", "LABEL ooo.glance-id=%s" % image["id"], "--change", "LABEL ooo.glance-checksum=%s" % image.get("os_hash_value"),
             "-", ref], stdin=tar.stdout)
        tar.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(dict(changed=True, image=ref, id=image["id"], checksum=image.get("os_hash_value"))))


if __name__ == "__main__":
    main()
