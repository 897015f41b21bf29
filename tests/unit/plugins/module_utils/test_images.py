"""Pure functions of the image upload: format choice, metadata patches, rotation."""
import pytest

from ansible_collections.ooo.lifecycle.plugins.module_utils._images.glance import metadata_patch, rotation_plan
from ansible_collections.ooo.lifecycle.plugins.module_utils._images.source import conversion_problem, target_format


@pytest.mark.parametrize("source,requested,cloud,expected", [
    ("raw", "cloud", "qcow2", "qcow2"),
    ("raw", "cloud", None, "raw"),
    ("qcow2", "source", "raw", "qcow2"),
    ("qcow2", "raw", "qcow2", "raw"),
    ("iso", "cloud", "qcow2", "iso"),
])
def test_target_format(source, requested, cloud, expected):
    assert target_format(source, requested, cloud) == expected


def test_conversion_problem():
    assert conversion_problem("raw", "raw") is None
    assert conversion_problem("raw", "qcow2") is None
    assert "not one Glance knows" in conversion_problem("raw", "qed")
    assert "cannot convert iso to qcow2" in conversion_problem("iso", "qcow2")
    assert conversion_problem("raw", "aki") is None and conversion_problem("raw", "ami") is None
    assert "a ari image is stored as the file's raw bytes, and this file is qcow2" in conversion_problem("qcow2", "ari")


def test_metadata_patch_only_touches_what_differs():
    image = {"name": "a", "visibility": "private", "min_disk": 0, "min_ram": 0, "os_hidden": False, "tags": ["x"], "hw": "1"}
    desired = dict(name="a", visibility="private", min_disk=0, min_ram=512, os_hidden=False, tags=["x"], properties={"hw": "1", "new": "v"})
    assert metadata_patch(image, desired) == [{"op": "replace", "path": "/min_ram", "value": 512},
                                              {"op": "add", "path": "/new", "value": "v"}]
    assert metadata_patch(image, dict(tags=None, properties={"hw": "1"})) == []
    assert metadata_patch(image, dict(tags=[])) == [{"op": "replace", "path": "/tags", "value": []}]


def img(id_, created, name="n", status="active", hidden=False, ours=True):
    image = dict(id=id_, created_at=created, name=name, status=status, os_hidden=hidden)
    if ours:
        image["ooo_image_name"] = "n"
        image["ooo_disk_format"] = "raw"
    return image


def test_rotation_keeps_the_newest_copies_and_deletes_broken_uploads():
    images = [img("a", "1"), img("b", "2", name="n.old.b", hidden=True), img("c", "3"), img("q", "4", status="queued"), img("d", "5")]
    hide, delete = rotation_plan("n", "d", images, keep_copies=2)
    assert [i["id"] for i in hide] == ["c"]                     # b is already hidden and renamed
    assert sorted(i["id"] for i in delete) == ["a", "q"]
    hide, delete = rotation_plan("n", "d", images, keep_copies=0)
    assert hide == [] and sorted(i["id"] for i in delete) == ["a", "b", "c", "q"]


def test_rotation_hides_a_foreign_image_of_the_same_name():
    hide, delete = rotation_plan("n", "new", [img("old", "1", ours=False), img("new", "2")], keep_copies=1)
    assert [i["id"] for i in hide] == ["old"] and delete == []


def test_rotation_never_deletes_an_image_it_did_not_upload():
    # Another tool's images named alike (one already renamed aside by an earlier rotation, which gave it only the
    # name property; one never active): with keep_copies 0 every older copy of ours goes, theirs stay.
    aside = img("aside", "1", name="n.old.aside", hidden=True, ours=False)
    aside["ooo_image_name"] = "n"
    images = [aside, img("theirs", "2", ours=False), img("stuck", "3", status="queued", ours=False), img("mine", "4"), img("new", "5")]
    hide, delete = rotation_plan("n", "new", images, keep_copies=0)
    assert [i["id"] for i in delete] == ["mine"]
    assert [i["id"] for i in hide] == ["theirs"]
