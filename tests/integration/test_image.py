"""ooo.lifecycle.image and image_info against the undercloud's real Glance.

Each operation runs check -> apply -> check -> apply; the second pair must
report no change, send no byte and make no write call.
"""
import functools
import hashlib
import http.server
import os
import subprocess
import threading
import uuid

import pytest
import yaml

from conftest import CLOUDS_YAML, run_module

MODULE = "ooo.lifecycle.image"
LAB_HOST = "198.18.0.1"
WEB_PORT = 80  # Ironic's HTTP image server holds 8088


def sha256(path):
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            hasher.update(block)
    return hasher.hexdigest()


def make_raw(path, mib=24, seed=None):
    """A sparse raw disk image with some random data at its start (different per call)."""
    subprocess.run(["qemu-img", "create", "-f", "raw", str(path), "%dM" % mib], check=True, capture_output=True)
    with open(path, "r+b") as handle:
        handle.write(seed or os.urandom(2 << 20))
    return str(path)


def family(conn, name):
    """Every image of the name, hidden copies included."""
    found = {}
    for query in ({"ooo_image_name": name}, {"ooo_image_name": name, "os_hidden": "true"}, {"name": name}):
        for image in conn.image.get("/images", params=query).json()["images"]:
            found[image["id"]] = image
    return list(found.values())


def download(conn, image_id, path):
    resp = conn.image.get("/images/%s/file" % image_id, stream=True)
    assert resp.status_code == 200, resp.text
    with open(path, "wb") as handle:
        for block in resp.iter_content(1 << 20):
            handle.write(block)
    return str(path)


@pytest.fixture
def name(conn):
    value = "it-img-%s" % uuid.uuid4().hex[:8]
    yield value
    for image in family(conn, value):
        if image.get("protected"):
            conn.image.patch("/images/%s" % image["id"], json=[{"op": "replace", "path": "/protected", "value": False}],
                             headers={"Content-Type": "application/openstack-images-v2.1-json-patch"})
        conn.image.delete("/images/%s" % image["id"])


def cycle(args):
    """check -> apply -> check -> apply; returns the four results."""
    results = [run_module(MODULE, args, check=True, diff=True), run_module(MODULE, args), run_module(MODULE, args, check=True),
               run_module(MODULE, args)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
    return results


def assert_settled(second_check, second_apply):
    for result in (second_check, second_apply):
        assert result["changed"] is False, result
        assert result["writes"] == 0 and result["bytes_sent"] == 0, result
        assert result["clouds"][0]["action"] == "none"


def test_upload_is_content_addressed_and_converted_to_the_clouds_format(conn, name, tmp_path):
    path = make_raw(tmp_path / "disk.raw")
    args = dict(cloud="undercloud", name=name, filename=path, visibility="private", min_ram=512, tags=["golden"],
                properties={"hw_architecture": "x86_64"})
    check = run_module(MODULE, args, check=True, diff=True)
    assert check["changed"] and check["writes"] == 0 and check["bytes_sent"] == 0
    assert family(conn, name) == [], "check mode created nothing"
    apply, check2 = run_module(MODULE, args), run_module(MODULE, args, check=True)
    before = conn.image.get("/images/%s" % apply["id"]).json()
    apply2 = run_module(MODULE, args)
    # Glance agrees that nothing was written: the record is untouched and no other image appeared.
    assert conn.image.get("/images/%s" % apply["id"]).json()["updated_at"] == before["updated_at"]
    assert [i["id"] for i in family(conn, name)] == [apply["id"]]
    assert check["clouds"][0]["action"] == "upload"
    assert "diff" in check
    assert apply["changed"] and apply["clouds"][0]["action"] == "upload" and apply["bytes_sent"] > 0
    # openstacksdk's image_format for a clouds.yaml entry without one is qcow2: the raw file was converted.
    assert apply["clouds"][0]["disk_format"] == "qcow2" and apply["clouds"][0]["converted_from"] == "raw"
    assert_settled(check2, apply2)
    image = conn.image.get("/images/%s" % apply["id"]).json()
    assert image["ooo_source_sha256"] == sha256(path) and image["disk_format"] == "qcow2" and image["status"] == "active"
    assert image["tags"] == ["golden"] and image["min_ram"] == 512 and image["hw_architecture"] == "x86_64"
    stored = download(conn, image["id"], tmp_path / "stored.qcow2")
    compare = subprocess.run(["qemu-img", "compare", "-f", "raw", "-F", "qcow2", path, stored], capture_output=True, text=True, check=False)
    assert compare.returncode == 0, compare.stdout + compare.stderr
    # No converted copy left behind.
    assert not any(p.startswith(sha256(path)) for p in os.listdir("/var/tmp/ooo-lifecycle-images"))

    # Metadata only: patched in place, no byte sent.
    meta = dict(args, min_ram=1024, tags=["golden", "v2"])
    check3, apply3, check4, apply4 = cycle(meta)
    assert check3["changed"] and check3["clouds"][0]["action"] == "update" and check3["writes"] == 0
    assert sorted(apply3["clouds"][0]["updated_fields"]) == ["min_ram", "tags"] and apply3["bytes_sent"] == 0
    assert apply3["writes"] == 1 and apply3["id"] == apply["id"]
    assert_settled(check4, apply4)

    info = run_module("ooo.lifecycle.image_info", dict(cloud="undercloud", name=name, filename=path))
    assert [i["id"] for i in info["images"]] == [apply["id"]] and info["matching_id"] == apply["id"]


def test_changed_content_is_uploaded_and_older_copies_rotated(conn, name, tmp_path):
    path = str(tmp_path / "disk.raw")
    ids = []
    for round_ in range(3):
        make_raw(path)
        # protected guards the current image; a copy rotated out beyond keep_copies is still deleted.
        args = dict(cloud="undercloud", name=name, filename=path, disk_format="source", keep_copies=1, protected=True)
        check, apply, check2, apply2 = cycle(args)
        assert check["clouds"][0]["action"] == "upload" and check["writes"] == 0
        if ids:
            assert [r["id"] for r in check["clouds"][0]["rotated"]] == [ids[-1]]
            assert [r["id"] for r in apply["clouds"][0]["rotated"]] == [ids[-1]]
        assert_settled(check2, apply2)
        ids.append(apply["id"])
        if round_ == 2:
            assert [d["id"] for d in apply["clouds"][0]["deleted"]] == [ids[0]]
    images = {i["id"]: i for i in family(conn, name)}
    assert set(images) == set(ids[1:]), "keep_copies=1 keeps the current image and one older copy"
    assert images[ids[2]]["name"] == name and not images[ids[2]]["os_hidden"]
    assert images[ids[1]]["name"] == "%s.old.%s" % (name, ids[1][:8]) and images[ids[1]]["os_hidden"]
    assert images[ids[2]]["ooo_source_sha256"] == sha256(path) and images[ids[2]]["protected"]
    info = run_module("ooo.lifecycle.image_info", dict(cloud="undercloud", name=name, copies=True))
    assert [(i["id"], i["rotated"]) for i in info["images"]] == [(ids[2], False), (ids[1], True)]


def test_qcow2_file_stored_as_raw_and_raw_from_clouds_yaml(conn, name, tmp_path, passwords):
    raw = make_raw(tmp_path / "disk.raw")
    qcow2 = str(tmp_path / "disk.qcow2")
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw, qcow2], check=True)
    args = dict(cloud="undercloud", name=name, filename=qcow2, disk_format="raw")
    check, apply, check2, apply2 = cycle(args)
    assert apply["clouds"][0]["disk_format"] == "raw" and apply["clouds"][0]["converted_from"] == "qcow2"
    assert apply["source_format"] == "qcow2"
    assert_settled(check2, apply2)
    stored = download(conn, apply["id"], tmp_path / "stored.raw")
    assert sha256(stored) == sha256(raw)

    # A cloud whose clouds.yaml entry says image_format: raw gets raw without the option.
    entry = yaml.safe_load(CLOUDS_YAML.read_text())["clouds"]["undercloud"]
    secure = yaml.safe_load((CLOUDS_YAML.parent / "secure.yaml").read_text())["clouds"]["undercloud"]
    entry = dict(entry, auth=dict(entry["auth"], **secure["auth"]))
    cloud = dict(entry, image_format="raw", name="undercloud-raw")
    again = run_module(MODULE, dict(cloud=cloud, name=name, filename=qcow2))
    assert again["changed"] is False and again["clouds"][0]["disk_format"] == "raw" and again["bytes_sent"] == 0
    assert again["clouds"][0]["cloud"] == "undercloud-raw"
    assert entry["auth"]["password"] not in str(again)


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # noqa: D401 - keep the test output clean
        return


@pytest.fixture
def web(tmp_path):
    """An HTTP server on the lab's undercloud address that Glance's web-download may fetch from."""
    handler = functools.partial(_Quiet, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer((LAB_HOST, WEB_PORT), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield "http://%s:%d" % (LAB_HOST, WEB_PORT)
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("method", ["glance-direct", "web-download"])
def test_interoperable_import(conn, name, tmp_path, web, method):
    path = make_raw(tmp_path / "disk.raw")
    args = dict(cloud="undercloud", name=name, filename=path, disk_format="source", method=method)
    if method == "web-download":
        args["url"] = "%s/disk.raw" % web
    check, apply, check2, apply2 = cycle(args)
    assert check["clouds"][0]["method"] == method and check["writes"] == 0
    assert apply["clouds"][0]["method"] == method
    if method == "web-download":
        assert apply["bytes_sent"] == 0, "Glance fetched the bytes itself"
    else:
        assert apply["bytes_sent"] == os.path.getsize(path)
    assert_settled(check2, apply2)
    image = conn.image.get("/images/%s" % apply["id"]).json()
    assert image["status"] == "active" and image["ooo_source_sha256"] == sha256(path) and image["size"] == os.path.getsize(path)


def test_many_clouds_one_unreachable(conn, name, tmp_path):
    path = make_raw(tmp_path / "disk.raw")
    secret = "Unreachable-Secret-%s" % uuid.uuid4().hex[:6]
    broken = dict(name="unreachable", auth=dict(auth_url="http://%s:1/v3" % LAB_HOST, username="admin", password=secret,
                                                project_name="admin", user_domain_name="Default", project_domain_name="Default"))
    args = dict(clouds=["undercloud", broken], name=name, filename=path, disk_format="source")
    results = []
    for check in (True, False, True, False):
        result, output = run_module(MODULE, args, check=check, raw=True)
        assert secret not in output
        results.append(result)
    for result in results:
        assert not result.get("failed"), result.get("msg")
        assert result["failed_clouds"] == ["unreachable"]
        good, bad = result["clouds"]
        assert good["cloud"] == "undercloud" and not good.get("failed")
        assert bad["cloud"] == "unreachable" and bad["failed"] and "unreachable" in bad["msg"]
    assert results[0]["changed"] and results[0]["writes"] == 0
    assert results[1]["clouds"][0]["action"] == "upload"
    assert results[2]["clouds"][0]["action"] == "none" and results[3]["clouds"][0]["action"] == "none"
    assert results[3]["writes"] == 0 and results[3]["bytes_sent"] == 0

    fatal = run_module(MODULE, dict(args, any_errors_fatal=True))
    assert fatal["failed"] and "unreachable" in fatal["msg"] and fatal["clouds"][0]["action"] == "none"


def test_bad_input_fails_before_anything_is_written(conn, name, tmp_path):
    missing = run_module(MODULE, dict(cloud="undercloud", name=name, filename=str(tmp_path / "nope.qcow2")))
    assert missing["failed"] and "filename: %s does not exist" % (tmp_path / "nope.qcow2") in missing["msg"]

    locked = make_raw(tmp_path / "locked.raw", mib=4)
    os.chmod(locked, 0)
    os.chmod(tmp_path, 0o755)
    # root reads anything: drop the capabilities that let it, as a normal operator would run.
    nocap = ["setpriv", "--inh-caps=-dac_override,-dac_read_search", "--bounding-set=-dac_override,-dac_read_search"]
    unreadable = run_module(MODULE, dict(cloud="undercloud", name=name, filename=locked), prefix=nocap)
    assert unreadable["failed"] and "cannot be read" in unreadable["msg"] and locked in unreadable["msg"]

    qed = str(tmp_path / "disk.qed")
    subprocess.run(["qemu-img", "create", "-f", "qed", qed, "16M"], check=True, capture_output=True)
    unsupported = run_module(MODULE, dict(cloud="undercloud", name=name, filename=qed))
    assert unsupported["failed"] and "qed format, which Glance does not take" in unsupported["msg"]

    path = make_raw(tmp_path / "disk.raw", mib=4)
    no_url = run_module(MODULE, dict(cloud="undercloud", name=name, filename=path, method="web-download"))
    assert no_url["failed"] and "url: method web-download needs" in no_url["msg"]
    declared = run_module(MODULE, dict(cloud="undercloud", name=name, filename=path, source_format="qcow2"))
    assert declared["failed"] and "source_format: qcow2 was given" in declared["msg"]
    reserved = run_module(MODULE, dict(cloud="undercloud", name=name, filename=path, properties={"ooo_source_sha256": "x"}))
    assert reserved["failed"] and "properties.ooo_source_sha256" in reserved["msg"]

    assert family(conn, name) == [], "a refused input created nothing"
