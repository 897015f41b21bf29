"""The golden image: built with mmdebstrap, uploaded to Glance, and a lab machine deployed from it."""
import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import recap, run_playbook

IMAGE_FILE = Path("/var/lib/ooo-undercloud/images/overcloud-golden.raw")
DEPLOYED = Path("/var/lib/ooo-lab/deployed.yml")
MACHINE = "compute-2"


def podman(*args):
    return subprocess.run(["podman"] + list(args), capture_output=True, text=True, check=False)


def machine_image():
    return podman("container", "inspect", "--format", "{{ .ImageName }}", "ooo-lab-" + MACHINE).stdout.strip()


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
    # A file system with the packages and none of a host's configuration.
    listing = subprocess.run(["debugfs", "-R", "cat /etc/machine-id", str(IMAGE_FILE)], capture_output=True, text=True, check=True)
    assert listing.stdout == ""
    hostname = subprocess.run(["debugfs", "-R", "stat /etc/hostname", str(IMAGE_FILE)], capture_output=True, text=True, check=False)
    assert "File not found" in hostname.stderr
    python_yaml = subprocess.run(["debugfs", "-R", "ls /usr/lib/python3/dist-packages/yaml", str(IMAGE_FILE)], capture_output=True,
                                 text=True, check=False)
    assert "__init__.py" in python_yaml.stdout
    images = conn.image.get("/images", params={"name": "overcloud-golden"}).json()["images"]
    assert len(images) == 1 and images[0]["status"] == "active"
    # The undercloud's clouds.yaml entry has no image_format: openstacksdk's default, qcow2, was made from the raw file.
    assert images[0]["disk_format"] == "qcow2" and images[0]["ooo_disk_format"] == "qcow2"
    assert images[0]["os_distro"] == "debian" and images[0]["golden_build_hash"] == (IMAGE_FILE.parent / "overcloud-golden.raw.build-hash").read_text().strip()


def test_lab_machine_deployed_from_the_glance_image_and_back(golden, conn):
    deploy = ["-e", json.dumps({"lab_deploy_machines": [MACHINE]})]
    undeploy = ["-e", json.dumps({"lab_deploy_machines": [MACHINE], "lab_deploy_state": "available"})]
    try:
        _rc, output = run_playbook("lab_deploy.yml", *deploy)
        assert recap(output)["changed"] > 0
        image = conn.image.get("/images", params={"name": "overcloud-golden"}).json()["images"][0]
        assert machine_image() == "localhost/ooo-golden:%s" % image["id"]
        node = conn.baremetal.get_node(MACHINE)
        assert node.provision_state == "active" and node.instance_info["image_source"] == image["id"]
        # The machine runs what the image holds (python3-yaml is not in the lab image) plus the lab's deploy-time configuration.
        assert podman("exec", "ooo-lab-" + MACHINE, "python3", "-c", "import yaml").returncode == 0
        assert "198.18.0.1:8787" in podman("exec", "ooo-lab-" + MACHINE, "cat", "/etc/containers/registries.conf").stdout
        assert yaml.safe_load(DEPLOYED.read_text()) == {MACHINE: "localhost/ooo-golden:%s" % image["id"]}
        # Its lab agent was put back: it still reports its hardware.
        assert podman("exec", "ooo-lab-" + MACHINE, "python3", "/usr/local/bin/ooo-lab-agent", "inventory").returncode == 0

        _rc, output = run_playbook("lab_deploy.yml", *deploy)
        assert recap(output)["changed"] == 0
    finally:
        _rc, output = run_playbook("lab_deploy.yml", *undeploy)
    assert machine_image() == "localhost/ooo-lab-machine:latest"
    assert conn.baremetal.get_node(MACHINE).provision_state == "available"
    assert yaml.safe_load(DEPLOYED.read_text()) == {}
    _rc, output = run_playbook("lab_deploy.yml", *undeploy)
    assert recap(output)["changed"] == 0
