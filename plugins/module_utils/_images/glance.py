# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Content-addressed image uploads to one Glance.

An image is identified by the sha256 of the source file and the disk format it
is stored in, kept as the properties ``ooo_source_sha256`` and
``ooo_disk_format`` next to ``ooo_image_name`` (the logical name, which
survives rotation).  Same content: no bytes are sent.  New content under the
same name: a new image is uploaded, and only once it is active are the older
ones renamed ``<name>.old.<id8>``, hidden (``os_hidden``) and, beyond
``keep_copies``, deleted.
"""

from __future__ import annotations

import os
import time

from ansible_collections.ooo.lifecycle.plugins.module_utils._images.source import HashingReader, conversion_problem, target_format
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError, ValidationError, failed
from ansible_collections.ooo.lifecycle.plugins.module_utils._waiters import wait_for

SHA_PROP = "ooo_source_sha256"
FORMAT_PROP = "ooo_disk_format"
NAME_PROP = "ooo_image_name"
SIZE_PROP = "ooo_source_size"
OUR_PROPS = (SHA_PROP, FORMAT_PROP, NAME_PROP, SIZE_PROP)

# Image fields Glance keeps itself; everything else in an image record is a property.
CORE_FIELDS = frozenset((
    "id", "name", "status", "visibility", "protected", "checksum", "os_hash_algo", "os_hash_value", "owner", "size",
    "virtual_size", "min_disk", "min_ram", "disk_format", "container_format", "created_at", "updated_at", "tags", "file",
    "self", "schema", "direct_url", "locations", "os_hidden", "stores", "os_glance_import_task",
))
PATCH_TYPE = "application/openstack-images-v2.1-json-patch"


def image_properties(image):
    """Pure: the user properties of a Glance image record."""
    return dict((k, v) for k, v in image.items() if k not in CORE_FIELDS and not k.startswith("os_glance"))


def metadata_patch(image, desired):
    """Pure: JSON-patch operations that bring ``image`` to ``desired`` metadata.

    ``desired`` holds the fields the module manages: visibility, min_disk,
    min_ram, os_hidden, tags (exact set, when not None), properties (only the
    keys given; values compared as strings), name.
    """
    ops = []
    for field in ("name", "visibility", "min_disk", "min_ram", "os_hidden", "protected"):
        if field in desired and desired[field] is not None and image.get(field) != desired[field]:
            ops.append({"op": "replace", "path": "/" + field, "value": desired[field]})
    tags = desired.get("tags")
    if tags is not None and sorted(set(image.get("tags") or [])) != sorted(set(tags)):
        ops.append({"op": "replace", "path": "/tags", "value": sorted(set(tags))})
    for key, value in sorted((desired.get("properties") or {}).items()):
        if key not in image:
            ops.append({"op": "add", "path": "/" + key, "value": value})
        elif image[key] != value:
            ops.append({"op": "replace", "path": "/" + key, "value": value})
    return ops


def describe_patch(ops):
    """Pure: the changed field names of a patch, for results."""
    return [op["path"][1:] for op in ops]


def is_ours(image, name):
    """Pure: whether this collection uploaded (or adopted) the image: it carries the logical name and the disk format
    properties the upload writes when it creates the record. An image renamed aside by a rotation only gains the
    name property, so another tool's image stays another tool's."""
    return image.get(NAME_PROP) == name and bool(image.get(FORMAT_PROP))


def rotation_plan(name, current_id, images, keep_copies):
    """Pure: which older images to hide (rename) and which to delete.

    ``images`` are every image of the logical name (visible or hidden,
    ours or merely named alike).  Returns (to_hide, to_delete): ``to_hide``
    are the visible ones still carrying the name or not hidden; the newest
    ``keep_copies`` of our older ones are kept, the rest of ours deleted.
    Images of ours that never became active (a failed earlier upload) are
    always deleted.  An image this collection did not upload is never
    deleted, whatever ``keep_copies`` says: it is only renamed aside and
    hidden, so that the name points at one image.
    """
    older = [i for i in images if i["id"] != current_id]
    foreign = [i for i in older if not is_ours(i, name)]
    ours = [i for i in older if is_ours(i, name)]
    broken = [i for i in ours if i.get("status") != "active"]
    kept = [i for i in ours if i not in broken]
    kept.sort(key=lambda i: (i.get("created_at") or "", i["id"]), reverse=True)
    survivors, extra = kept[:max(keep_copies, 0)], kept[max(keep_copies, 0):]
    to_hide = [i for i in survivors + foreign
               if i.get("status") == "active" and (i.get("name") == name or not i.get("os_hidden") or i.get(NAME_PROP) != name)]
    return to_hide, broken + extra


def rotated_name(name, image):
    return "%s.old.%s" % (name, image["id"][:8])


class GlanceError(APIError):
    pass


class CloudUpload(object):
    """Bring one cloud's Glance to the desired image; ``run()`` returns this cloud's result."""

    def __init__(self, conn, cloud_label, source, params, check_mode, log=None):
        self.conn = conn
        self.label = cloud_label
        self.source = source
        self.params = params
        self.check_mode = check_mode
        self.name = params["name"]
        self.writes = 0
        self.bytes_sent = 0
        self.log = log or (lambda msg: None)

    # -- HTTP ------------------------------------------------------------
    def _request(self, method, url, what, expect=(200,), write=False, **kwargs):
        if write:
            self.writes += 1
        try:
            resp = getattr(self.conn.image, method)(url, raise_exc=False, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            raise GlanceError(failed(what, "image", self.name, "%s (cloud %s)" % (exc, self.label)))
        if resp.status_code not in expect:
            raise GlanceError(failed(what, "image", self.name, "HTTP %s from Glance of cloud %s: %s"
                                     % (resp.status_code, self.label, _body(resp))), status_code=resp.status_code)
        return resp

    def list_images(self, params):
        images, url, query = [], "/images", dict(params, limit=200)
        while url:
            data = self._request("get", url, "list", params=query).json()
            images.extend(data.get("images", []))
            nxt = data.get("next")
            url, query = (nxt.split("/v2", 1)[-1], None) if nxt else (None, None)
        return images

    def family(self):
        """Every image of the logical name in this project: ours (by property, hidden or not) and any merely named alike.

        Only images the project owns: an admin sees every project's images, and must neither adopt another
        project's copy nor rotate it out.
        """
        found = {}
        owner = self.conn.current_project_id
        for query in ({NAME_PROP: self.name}, {NAME_PROP: self.name, "os_hidden": "true"}, {"name": self.name}):
            for image in self.list_images(dict(query, owner=owner) if owner else query):
                found[image["id"]] = image
        return sorted(found.values(), key=lambda i: (i.get("created_at") or "", i["id"]))

    def get(self, image_id):
        return self._request("get", "/images/%s" % image_id, "read").json()

    # -- decisions -------------------------------------------------------
    def wanted_format(self):
        cloud_format = self.conn.config.config.get("image_format")
        return target_format(self.source.format, self.params["disk_format"], cloud_format)

    def desired_metadata(self, disk_format, sha, hidden=False, name=None):
        props = dict((k, str(v)) for k, v in (self.params.get("properties") or {}).items())
        if sha:
            props[SHA_PROP] = sha
        props.update({FORMAT_PROP: disk_format, NAME_PROP: self.name, SIZE_PROP: str(self.source.size)})
        return dict(name=name or self.name, visibility=self.params["visibility"], min_disk=self.params["min_disk"],
                    min_ram=self.params["min_ram"], os_hidden=hidden, protected=self.params.get("protected"),
                    tags=self.params.get("tags"), properties=props)

    def find_current(self, images, disk_format):
        """The active image holding this content in this format, or None (hashes only when sizes say it may match)."""
        size = str(self.source.size)
        container = self.params["container_format"]
        ours = [i for i in images if i.get("status") == "active" and i.get(FORMAT_PROP) == disk_format
                and i.get(SIZE_PROP) == size and i.get(SHA_PROP) and i.get("container_format") == container]
        if ours:
            sha = self.source.digest()
            match = [i for i in ours if i[SHA_PROP] == sha]
            if match:
                # Prefer the one carrying the name, then the newest.
                match.sort(key=lambda i: (i.get("name") == self.name, i.get("created_at") or ""), reverse=True)
                return match[0], "ours"
        # Adopt an image uploaded by other means: same name, same bytes (Glance's own hash).
        if disk_format == self.source.format:
            foreign = [i for i in images if i.get("status") == "active" and not i.get(SHA_PROP) and i.get("name") == self.name
                       and i.get("disk_format") == disk_format and i.get("size") == self.source.size and i.get("os_hash_value")
                       and i.get("container_format") == container]
            for image in foreign:
                if self.source.digest(image.get("os_hash_algo") or "sha512") == image["os_hash_value"]:
                    return image, "adopted"
        return None, None

    # -- the run ---------------------------------------------------------
    def run(self):
        started = time.monotonic()
        disk_format = self.wanted_format()
        why = conversion_problem(self.source.format, disk_format)
        if why:
            raise ValidationError(["disk_format: cloud %s wants %s: %s" % (self.label, disk_format, why)])
        result = dict(cloud=self.label, name=self.name, disk_format=disk_format, changed=False, action="none", bytes_sent=0,
                      rotated=[], deleted=[], updated_fields=[])
        if disk_format != self.source.format:
            result["converted_from"] = self.source.format
        images = self.family()
        before = [image_summary(i) for i in images if i.get("name") == self.name]
        current, how = self.find_current(images, disk_format)
        if current is None:
            result.update(changed=True, action="upload", method=self.method())
            if not self.check_mode:
                current = self.upload(disk_format)
                result["method"] = self.used_method
                images = self.family()
        else:
            sha = current.get(SHA_PROP) or self.source.digest()
            ops = metadata_patch(current, self.desired_metadata(disk_format, sha))
            if how == "adopted":
                result.update(changed=True, action="adopt")
            if ops:
                result.update(changed=True, updated_fields=describe_patch(ops))
                if result["action"] == "none":
                    result["action"] = "update"
                if not self.check_mode:
                    current = self.patch(current["id"], ops, "update")
        to_hide, to_delete = rotation_plan(self.name, current["id"] if current else None, images, self.params["keep_copies"])
        for image in to_hide:
            ops = metadata_patch(image, dict(name=rotated_name(self.name, image), os_hidden=True,
                                             properties={NAME_PROP: self.name}, protected=None))
            if ops:
                result["changed"] = True
                result["rotated"].append(dict(id=image["id"], name=rotated_name(self.name, image)))
                if not self.check_mode:
                    self.patch(image["id"], ops, "rotate")
        for image in to_delete:
            result["changed"] = True
            result["deleted"].append(dict(id=image["id"], name=image.get("name"), status=image.get("status")))
            if not self.check_mode:
                if image.get("protected"):
                    # protected guards the current image; a copy rotated out beyond keep_copies goes.
                    self.patch(image["id"], [{"op": "replace", "path": "/protected", "value": False}], "unprotect an old copy of")
                self._request("delete", "/images/%s" % image["id"], "delete an old copy of", expect=(204, 404), write=True)
        if current is not None:
            result.update(id=current["id"], image=image_summary(current), checksum=current.get("checksum"))
        result.update(bytes_sent=self.bytes_sent, writes=self.writes, seconds=round(time.monotonic() - started, 3))
        result["diff"] = dict(before=dict(images=before), after=dict(images=[image_summary(current)] if current else [
            dict(name=self.name, disk_format=disk_format, status="(to be uploaded)")]))
        return result

    def method(self):
        method = self.params["method"]
        if method != "auto":
            return method
        return "put"

    def offered_import_methods(self):
        resp = self._request("get", "/info/import", "read the import methods for")
        return (resp.json().get("import-methods") or {}).get("value") or []

    def patch(self, image_id, ops, what):
        resp = self._request("patch", "/images/%s" % image_id, what, json=ops, headers={"Content-Type": PATCH_TYPE}, write=True)
        return resp.json()

    def upload(self, disk_format):
        method = self.method()
        self.used_method = method
        if method in ("glance-direct", "web-download"):
            offered = self.offered_import_methods()
            if method not in offered:
                raise ValidationError(["method: %s is not offered by the Glance of cloud %s (it offers: %s)"
                                       % (method, self.label, ", ".join(offered) or "none")])
        path = self.source.file_for(disk_format)
        if path == self.source.path and method != "web-download":
            # The digest is computed on the way up; a background hash would only compete with the upload.
            self.source.cancel_prefetch()
        sha = self.source.known_digest()
        meta = self.desired_metadata(disk_format, sha)
        body = dict(name=meta["name"], disk_format=disk_format, container_format=self.params["container_format"],
                    visibility=meta["visibility"], min_disk=meta["min_disk"], min_ram=meta["min_ram"])
        if meta["tags"]:
            body["tags"] = sorted(set(meta["tags"]))
        body.update(meta["properties"])
        image = self._request("post", "/images", "create", expect=(201,), json=body, write=True).json()
        try:
            if method == "put":
                if self._put(image["id"], path):
                    image = self.wait_active(image["id"])
                else:
                    method = self.used_method = "glance-direct"
            if method in ("glance-direct", "web-download"):
                if method == "glance-direct":
                    streamed = self._send(image["id"], "/images/%s/stage" % image["id"], path, "stage", hash_source=path == self.source.path)
                    if streamed:
                        self.source.remember("sha256", streamed)
                    self._import(image["id"], {"name": "glance-direct"})
                else:
                    self._import(image["id"], {"name": "web-download", "uri": self.params["url"]})
                image = self.wait_active(image["id"])
            if SHA_PROP not in image:
                image = self.patch(image["id"], [{"op": "add", "path": "/" + SHA_PROP, "value": self.source.digest()}], "record the digest of")
            if self.params.get("protected"):
                image = self.patch(image["id"], [{"op": "replace", "path": "/protected", "value": True}], "protect")
        except Exception:
            # Leave nothing half-made: a failed upload's record is removed; older copies were not touched.
            self._request("delete", "/images/%s" % image["id"], "remove the failed upload of", expect=(204, 404), write=True)
            raise
        return image

    def _put(self, image_id, path):
        """Plain upload; False when the cloud refuses it and method auto may use glance-direct instead."""
        try:
            streamed = self._send(image_id, "/images/%s/file" % image_id, path, "upload", hash_source=path == self.source.path)
        except GlanceError as exc:
            # A cloud whose policy forbids plain uploads: with method auto, use the import it offers.
            if self.params["method"] != "auto" or exc.details.get("status_code") not in (403, 405, 415) \
                    or "glance-direct" not in self.offered_import_methods():
                raise
            return False
        if streamed:
            self.source.remember("sha256", streamed)
        return True

    def _send(self, image_id, url, path, what, hash_source):
        size = os.path.getsize(path)
        with open(path, "rb") as handle:
            reader = HashingReader(handle, size)
            self._request("put", url, what, expect=(204, 201, 200), data=reader, write=True,
                          headers={"Content-Type": "application/octet-stream", "Content-Length": str(size)})
        self.bytes_sent += reader.sent
        return reader.hasher.hexdigest() if hash_source else None

    def _import(self, image_id, method):
        self._request("post", "/images/%s/import" % image_id, "import", expect=(202,), json={"method": method}, write=True)

    def wait_active(self, image_id):
        def failed_reason(image):
            if image.get("status") in ("killed", "deleted", "deactivated"):
                return "image %s went %s" % (image_id, image["status"])
            if image.get("os_glance_failed_import"):
                return "import failed (os_glance_failed_import=%s)" % image["os_glance_failed_import"]
            return None
        return wait_for(lambda: self.get(image_id), lambda i: i.get("status") == "active", failed_reason,
                        timeout=self.params["timeout"], interval=0.5, what="image %s on cloud %s" % (self.name, self.label))


def _body(resp):
    text = (resp.text or "").strip()
    return " ".join(text.split())[:400]


def image_summary(image):
    if image is None:
        return None
    keep = ("id", "name", "status", "disk_format", "container_format", "size", "visibility", "min_disk", "min_ram", "tags",
            "checksum", "os_hash_algo", "os_hash_value", "os_hidden", "protected", "created_at")
    out = dict((k, image.get(k)) for k in keep if k in image)
    out["properties"] = image_properties(image)
    return out
