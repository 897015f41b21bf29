"""Multi-cloud runs over clouds.yaml: probe, image fan-out, servers, failure isolation, fail-fast, secrets.

The lab's clouds.yaml has four entries (playbooks/lab_clouds.yml): the undercloud admin, lab-ops and lab-east (own
projects and users; lab-east in regionTwo with image_format raw; passwords only in secure.yaml) and lab-down,
unreachable on purpose.
"""
import json
import os
import subprocess

import pytest
import yaml

from conftest import CLOUDS_YAML, TOP, VENV_BIN, ansible_env, recap, run_module, run_playbook

SECURE_YAML = CLOUDS_YAML.parent / "secure.yaml"
LAB_CLOUDS = ["undercloud", "lab-ops", "lab-east", "lab-down"]
IMAGE_NAME = "ooo-multicloud-test"


@pytest.fixture(scope="module")
def secrets(lab, passwords):
    """Every credential of the lab's clouds, to look for in outputs."""
    secure = yaml.safe_load(SECURE_YAML.read_text())["clouds"]
    found = [entry["auth"]["password"] for entry in secure.values()] + [passwords["admin"]]
    assert all(len(s) >= 16 for s in found)
    return found


@pytest.fixture(scope="module")
def image_file(tmp_path_factory):
    """A small raw disk image with random content (so each test session uploads new bytes)."""
    path = tmp_path_factory.mktemp("multicloud") / "disk.raw"
    path.write_bytes(os.urandom(4 * 1024 * 1024))
    return path


def test_clouds_yaml_has_the_lab_entries_and_no_password(lab):
    clouds = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]
    assert set(LAB_CLOUDS) <= set(clouds)
    for name, entry in clouds.items():  # the undercloud's and the overcloud's entries too
        assert "password" not in entry["auth"], "%s: passwords live in secure.yaml only" % name
    assert oct(SECURE_YAML.stat().st_mode & 0o777) == "0o600"
    assert oct(CLOUDS_YAML.stat().st_mode & 0o777) == "0o600"


def test_clouds_yaml_module_check_apply_check_apply_and_bad_input(lab, passwords, tmp_path):
    """ooo.lifecycle.clouds_yaml on an operator's files: other entries and keys kept, the password only in secure.yaml,
    openstacksdk merging the two into a working cloud; bad input refused before any write."""
    path, secure = tmp_path / "clouds.yaml", tmp_path / "secure.yaml"
    path.write_text("# mine\nclouds:\n  mine: {auth: {auth_url: 'http://192.0.2.9:5000/v3'}, region_name: r9}\ncache: {expiration_time: 0}\n")
    path.chmod(0o644)
    entry = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]["undercloud"]
    entry["auth"].pop("password", None)
    args = {"name": "uc", "path": str(path), "entry": entry, "secrets": {"auth": {"password": passwords["admin"]}}}
    results = [run_module("ooo.lifecycle.clouds_yaml", args, check=(n % 2 == 0), diff=True, raw=True) for n in range(4)]
    (check, _out1), (apply, _out2), (check2, _out3), (apply2, _out4) = results
    assert check["changed"] and apply["changed"] and check["written"] == apply["written"] == [str(path), str(secure)]
    assert not check2["changed"] and not apply2["changed"] and apply2["written"] == []
    for result, output in results:
        assert passwords["admin"] not in output
    assert "********" in check["diff"]["after"] and "auth_url" in check["diff"]["after"]
    doc = yaml.safe_load(path.read_text())
    assert doc["cache"] == {"expiration_time": 0} and doc["clouds"]["mine"]["region_name"] == "r9"
    assert doc["clouds"]["uc"] == entry and "password" not in doc["clouds"]["uc"]["auth"]
    assert yaml.safe_load(secure.read_text()) == {"clouds": {"uc": {"auth": {"password": passwords["admin"]}}}}
    assert oct(path.stat().st_mode & 0o777) == oct(secure.stat().st_mode & 0o777) == "0o600"
    env = {"OS_CLIENT_CONFIG_FILE": str(path), "OS_CLIENT_SECURE_FILE": str(secure)}
    probed = run_module("ooo.lifecycle.clouds_info", {"clouds": ["uc"]}, env=env)
    assert probed["reachable"] == ["uc"], probed
    before = (path.read_bytes(), secure.read_bytes())
    inline = dict(entry, auth=dict(entry["auth"], password=passwords["admin"]))
    bad = run_module("ooo.lifecycle.clouds_yaml", dict(args, entry=inline, name="uc2"), raw=True)
    assert bad[0]["failed"] and "entry.auth.password: a secret does not belong in clouds.yaml; pass it as secrets.auth.password" in bad[0]["msg"]
    assert passwords["admin"] not in bad[1] and (path.read_bytes(), secure.read_bytes()) == before
    gone = run_module("ooo.lifecycle.clouds_yaml", {"name": "uc", "path": str(path), "state": "absent"})
    assert gone["changed"] and "uc" not in yaml.safe_load(path.read_text())["clouds"]
    assert yaml.safe_load(secure.read_text()) == {"clouds": {}}


def test_probe_reports_each_cloud_and_isolates_the_unreachable_one(lab, secrets):
    result, output = run_module("ooo.lifecycle.clouds_info", {"clouds": LAB_CLOUDS}, raw=True)
    assert not result.get("failed"), result.get("msg")
    by_name = {c["name"]: c for c in result["clouds"]}
    assert [c["name"] for c in result["clouds"]] == sorted(LAB_CLOUDS), "clouds.yaml order (the file is sorted) kept"
    assert result["reachable"] == ["lab-east", "lab-ops", "undercloud"]
    assert result["failed_clouds"] == ["lab-down"]
    assert by_name["lab-down"]["error"] == ("Failed to connect to cloud lab-down: cannot reach http://198.18.0.1:5999/v3/auth/tokens"
                                            " (Connection refused)")
    # The undercloud: Ironic, Heat and Glance in regionOne, no Nova or Neutron.
    uc = by_name["undercloud"]
    assert {"identity", "image", "baremetal", "orchestration"} <= set(uc["services"])
    assert uc["compute"] is False and uc["network"] is False and uc["floating_ip_model"] == "none"
    assert {"raw", "qcow2"} <= set(uc["image_formats"]) and uc["image_format"] == "qcow2"
    # lab-east: its own region holds only Keystone and Glance; its clouds.yaml wants raw.
    east = by_name["lab-east"]
    assert east["region_name"] == "regionTwo" and east["services"] == ["identity", "image"]
    assert east["image_format"] == "raw" and east["config"]["project_name"] == "lab-east"
    assert by_name["lab-ops"]["project_id"] != uc["project_id"]
    for secret in secrets:
        assert secret not in output, "a credential leaked into the module output"


def test_unknown_cloud_name_is_refused_naming_the_known_ones(lab):
    result = run_module("ooo.lifecycle.clouds_info", {"clouds": ["lab-opps"]})
    assert result["failed"]
    assert "no entry named 'lab-opps'" in result["msg"] and "lab-ops" in result["msg"]
    # Only listing, no contact: patterns and exclusions.
    result = run_module("ooo.lifecycle.clouds_info", {"clouds": ["lab-*"], "exclude": ["lab-down"], "probe": False})
    assert [c["name"] for c in result["clouds"]] == ["lab-east", "lab-ops"] and result["reachable"] == []


def test_os_client_config_file_secure_yaml_and_os_cloud(lab, tmp_path):
    """An operator's own clouds.yaml + secure.yaml given by environment variables (as AWX's credential does)."""
    clouds = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]
    secure = yaml.safe_load(SECURE_YAML.read_text())["clouds"]
    (tmp_path / "clouds.yaml").write_text(yaml.safe_dump({"clouds": {"ops": clouds["lab-ops"]}}))
    (tmp_path / "secure.yaml").write_text(yaml.safe_dump({"clouds": {"ops": secure["lab-ops"]}}))
    env = dict(OS_CLIENT_CONFIG_FILE=str(tmp_path / "clouds.yaml"), OS_CLIENT_SECURE_FILE=str(tmp_path / "secure.yaml"))
    cmd = [str(VENV_BIN / "ansible"), "localhost", "-m", "ooo.lifecycle.clouds_info"]
    proc = subprocess.run(cmd, cwd=TOP, env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", **env),
                          capture_output=True, text=True, timeout=300, check=False)
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert [c["name"] for c in result["clouds"]] == ["ops"] and result["reachable"] == ["ops"]
    assert result["config_file"] == str(tmp_path / "clouds.yaml")
    # OS_CLOUD picks the entry for a module given no cloud at all.
    proc = subprocess.run([str(VENV_BIN / "ansible"), "localhost", "-m", "ooo.lifecycle.image_info", "-a", json.dumps({"name": "none-such"})],
                          cwd=TOP, env=ansible_env(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
                                                   OS_CLOUD="ops", **env),
                          capture_output=True, text=True, timeout=300, check=False)
    result = json.loads(proc.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    assert not result.get("failed"), result.get("msg")


def stats_of(output):
    """The set_stats data of a run (callback_result_format yaml prints them under CUSTOM STATS)."""
    marker = "CUSTOM STATS:"
    assert marker in output, output[-3000:]
    return output.split(marker, 1)[1]


def run_images(image_file, *args, name=IMAGE_NAME, check=True):
    extra = json.dumps({"multicloud_clouds": LAB_CLOUDS, "multicloud_image_file": str(image_file), "multicloud_image_name": name,
                        "multicloud_report_file": str(image_file.parent / "report.md")})
    return run_playbook("multicloud_images.yml", "-e", extra, *args, check=check)


def glance_images(cloud, name):
    import openstack
    conn = openstack.connect(cloud=cloud)
    # The project's own images: an admin sees every project's.
    return list(conn.image.images(name=name, owner=conn.current_project_id))


def test_images_fan_out_with_isolation_idempotent(lab, image_file, secrets):
    changed = []
    outputs = []
    for args in (["--check"], [], ["--check"], []):
        _rc, output = run_images(image_file, *args, "-v")
        changed.append(recap(output)["changed"])
        outputs.append(output)
    assert changed[1] >= 1 and changed[2] == 0 and changed[3] == 0, changed
    assert recap(outputs[1])["failed"] == 0, "the unreachable cloud does not fail the play"
    report = (image_file.parent / "report.md").read_text()
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in report.splitlines() if line.startswith("| ") and "---" not in line]
    rows = {c[0]: c[1:] for c in cells}
    assert rows["lab-down"][1] == "failed" and "5999" in rows["lab-down"][6]
    for cloud in ("undercloud", "lab-ops", "lab-east"):
        assert rows[cloud][1] == "ok", rows[cloud]
        assert rows[cloud][4].startswith("none "), "second run: nothing uploaded on %s" % cloud
    # Each cloud got the image in its own project, in its own format (lab-east raw, the others qcow2).
    formats = {}
    for cloud in ("undercloud", "lab-ops", "lab-east"):
        images = glance_images(cloud, IMAGE_NAME)
        assert len(images) == 1, (cloud, images)
        formats[cloud] = images[0].disk_format
    assert formats == {"undercloud": "qcow2", "lab-ops": "qcow2", "lab-east": "raw"}
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    assert "multicloud_failed_clouds" in stats_of(outputs[3])


def test_fail_fast_aborts_before_any_upload(lab, image_file):
    name = IMAGE_NAME + "-failfast"
    rc, output = run_images(image_file, "-e", '{"multicloud_fail_fast": true}', name=name, check=False)
    assert rc != 0 and recap(output)["failed"] == 1
    assert "lab-down" in output
    for cloud in ("undercloud", "lab-ops", "lab-east"):
        assert glance_images(cloud, name) == [], "fail-fast stops before any cloud is written"


def test_missing_image_file_is_refused_before_any_cloud(lab, tmp_path):
    rc, output = run_images(tmp_path / "nope.qcow2", check=False)
    assert rc != 0 and "multicloud_image_file" in output and "nope.qcow2" in output
    assert "Probe the selected clouds" not in output


def test_servers_skip_clouds_without_nova_and_report(lab, tmp_path):
    report = tmp_path / "servers.md"
    _rc, output = run_playbook("multicloud_servers.yml", "-e", json.dumps({"multicloud_clouds": LAB_CLOUDS, "multicloud_report_file": str(report)}))
    text = report.read_text()
    for cloud in ("undercloud", "lab-ops", "lab-east"):
        line = [ln for ln in text.splitlines() if ln.startswith("| %s |" % cloud)][0]
        assert "| ok |" in line and "skipped (no compute service)" in line
    down = [ln for ln in text.splitlines() if ln.startswith("| lab-down |")]
    assert len(down) == 1 and "| failed |" in down[0]
    assert recap(output)["failed"] == 0


def test_shade_era_clouds_yaml_works_unchanged_and_what_is_obsolete_is_said(lab, passwords, tmp_path):
    """A clouds.yaml and secure.yaml shaped like shade's documented examples (tests/integration/files/shade)."""
    shade = TOP / "tests" / "integration" / "files" / "shade"
    (tmp_path / "clouds.yaml").write_text((shade / "clouds.yaml").read_text())
    (tmp_path / "secure.yaml").write_text((shade / "secure.yaml").read_text().replace("@ADMIN_PASSWORD@", passwords["admin"]))
    env = {"OS_CLIENT_CONFIG_FILE": str(tmp_path / "clouds.yaml"), "OS_CLIENT_SECURE_FILE": str(tmp_path / "secure.yaml")}
    listed = run_module("ooo.lifecycle.clouds_info", {"probe": False}, env=env)
    by_name = dict((c["name"], c) for c in listed["clouds"])
    assert set(by_name) == {"lab-shade/regionOne", "lab-shade/regionTwo", "rax-like", "old-cloud-keyword", "keystone-v2"}, sorted(by_name)
    assert by_name["lab-shade/regionTwo"]["config"]["image_format"] == "raw"
    assert by_name["rax-like"]["region_name"] == "DFW" and by_name["rax-like"]["config"]["image_format"] == "vhd", "the profile expanded"
    said = " ".join(" ".join(listed.get("warnings") or []).split())
    assert "uses the keyword 'cloud'" in said and "'profile' keyword" in said, said
    assert "clouds.yaml entry keystone-v2: Keystone's v2.0 API" in said and "use identity_api_version: 3" in said
    assert "tenant_name/tenant_id are Keystone v2 names" in said
    assert "lab-shade" not in said and "rax-like" not in said, "nothing is said about the entries that are fine"
    probed = run_module("ooo.lifecycle.clouds_info", {"clouds": ["lab-shade"]}, env=env)
    assert probed["reachable"] == ["lab-shade/regionOne", "lab-shade/regionTwo"], probed.get("msg") or probed["failed_clouds"]
    image = run_module("ooo.lifecycle.image_info", {"cloud": "lab-shade", "name": "none-such"}, env=env)
    assert not image.get("failed"), image.get("msg")
    assert passwords["admin"] not in json.dumps([listed, probed, image])
