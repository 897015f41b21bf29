"""The golden image: built with mmdebstrap and uploaded to Glance by content."""
import contextlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TOP, recap, run_playbook

sys.path.insert(0, str(TOP / "roles" / "images" / "files"))
import wholedisk  # noqa: E402  pylint: disable=wrong-import-position

IMAGE_FILE = Path("/var/lib/ooo-undercloud/images/overcloud-golden.raw")


@contextlib.contextmanager
def root_file_system():
    """The image's root file system (its one partition) as a read-only loop device."""
    with open(IMAGE_FILE, "rb") as handle:
        parts = wholedisk.partitions(handle.read(512))
    assert len(parts) == 1, "a whole-disk image with one partition: %s" % parts
    _index, bootable, ptype, start, sectors = parts[0]
    assert bootable and ptype == 0x83
    loop = subprocess.run(["losetup", "--find", "--show", "--read-only", "--offset", str(start * 512), "--sizelimit",
                           str(sectors * 512), str(IMAGE_FILE)], capture_output=True, text=True, check=True).stdout.strip()
    try:
        yield loop
    finally:
        subprocess.run(["losetup", "--detach", loop], check=False)


@pytest.fixture(scope="module")
def golden(lab):
    """The golden image built and uploaded: check -> apply -> check -> apply of playbooks/images.yml."""
    changed = []
    for args in (["--check"], [], ["--check"], []):
        _rc, output = run_playbook("images.yml", *args)
        changed.append(recap(output)["changed"])
    return changed


def test_golden_image_is_built_once_and_uploaded_by_content(golden, conn):
    first_check, first, second_check, second = golden
    assert second_check == 0 and second == 0, "nothing rebuilt or uploaded the second time"
    assert IMAGE_FILE.exists() and (IMAGE_FILE.parent / (IMAGE_FILE.name + ".build-hash")).exists()
    info = subprocess.run(["qemu-img", "info", "--output=json", str(IMAGE_FILE)], capture_output=True, text=True, check=True)
    assert json.loads(info.stdout)["format"] == "raw"
    # A whole disk: a partition table and one partition with a file system that has the packages and none of a
    # host's configuration.
    with root_file_system() as root:
        listing = subprocess.run(["debugfs", "-R", "cat /etc/machine-id", root], capture_output=True, text=True, check=True)
        assert listing.stdout == ""
        hostname = subprocess.run(["debugfs", "-R", "stat /etc/hostname", root], capture_output=True, text=True, check=False)
        assert "File not found" in hostname.stderr
        python_yaml = subprocess.run(["debugfs", "-R", "ls /usr/lib/python3/dist-packages/yaml", root], capture_output=True,
                                     text=True, check=False)
        assert "__init__.py" in python_yaml.stdout
        stamp = subprocess.run(["debugfs", "-R", "cat /etc/ooo-golden-build", root], capture_output=True, text=True, check=True)
        assert stamp.stdout.strip() == (IMAGE_FILE.parent / "overcloud-golden.raw.build-hash").read_text().strip()
    images = conn.image.get("/images", params={"name": "overcloud-golden"}).json()["images"]
    assert len(images) == 1 and images[0]["status"] == "active"
    # The undercloud's clouds.yaml entry has no image_format: openstacksdk's default, qcow2, was made from the raw file.
    assert images[0]["disk_format"] == "qcow2" and images[0]["ooo_disk_format"] == "qcow2"
    assert images[0]["os_distro"] == "debian" and images[0]["golden_build_hash"] == (IMAGE_FILE.parent / "overcloud-golden.raw.build-hash").read_text().strip()
