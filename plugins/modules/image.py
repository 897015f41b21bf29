#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: image
short_description: Upload an image file to Glance by content, to one cloud or many at once
version_added: 0.2.0
description:
  - Uploads O(filename) to Glance as O(name) and keeps it there by content. The sha256 of the file (streamed) is stored
    on the image as the property C(ooo_source_sha256), with C(ooo_disk_format), C(ooo_source_size) and
    C(ooo_image_name). When the cloud already holds an active image with that content in the wanted format, no byte
    is sent and only differing metadata is patched.
  - The file is hashed before anything is sent only when an image of the same name and size exists; otherwise the
    digest is computed while the bytes stream to Glance, so a first upload costs no extra pass over the file.
  - An image of the same name uploaded by other means is adopted (properties added, nothing uploaded) when its
    C(os_hash_value) matches the file.
  - New content under the same name is uploaded as a new image. Once it is active, the older images of the name
    are renamed C(<name>.old.<id8>) and hidden (C(os_hidden)); the newest O(keep_copies) are kept, older ones
    deleted. A failed upload deletes its own half-made image and leaves the older ones untouched.
  - Only images this module uploaded (or adopted) are ever deleted. Another tool's image of the same name is
    renamed aside and hidden, never deleted, whatever O(keep_copies) says.
  - The file's disk format is detected with C(qemu-img info) and converted with C(qemu-img convert) (Debian's
    C(qemu-utils)) when the cloud wants another; by default the format is the cloud's C(image_format) from its
    C(clouds.yaml) entry. Each format is converted once for all clouds.
  - With O(clouds), all clouds are handled concurrently, one result per cloud; a cloud that fails is reported in
    its result and in RV(failed_clouds) and does not stop the others, unless O(any_errors_fatal) is set.
  - The module always waits (within O(timeout)) for an upload or import to become active, since older copies are
    rotated out only then; O(wait) is not used.
  - Every input is checked (file exists and is readable, format is one Glance takes and can be converted as
    asked, O(url) given for web-download) before any cloud is contacted.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Reports per cloud whether the image would be uploaded, adopted, updated, rotated; makes no write call and sends no bytes.
  diff_mode:
    support: full
    description: Shows the images of the name before and after, per cloud.
options:
  any_errors_fatal:
    description: Fail the task when any cloud of O(clouds) fails (the others are still completed). Otherwise the task
      fails only when every cloud failed.
    type: bool
    default: false
  clouds:
    description:
      - Several clouds, each a C(clouds.yaml) entry name or a dict like O(cloud) (a C(name) key in the dict labels it).
        Mutually exclusive with O(cloud).
    type: list
    elements: raw
  concurrency:
    description: How many clouds are worked on at the same time.
    type: int
    default: 4
  container_format:
    description: Glance container format.
    type: str
    default: bare
    choices: [bare, ovf, aki, ari, ami, ova, docker, compressed]
  disk_format:
    description:
      - Disk format to store. C(cloud) takes the cloud's C(image_format) from C(clouds.yaml) (openstacksdk's
        default is C(qcow2)); C(source) keeps the file's format; any other value is a Glance format to convert to.
      - C(aki), C(ari) and C(ami) store a raw file as it is (a kernel, a ramdisk, and a machine image that names them
        in its C(kernel_id) and C(ramdisk_id) properties); give the same O(container_format).
    type: str
    default: cloud
    choices: [cloud, source, raw, qcow2, vmdk, vhd, vhdx, vdi, iso, aki, ari, ami]
  filename:
    description: Path of the image file on the host running the module.
    type: path
    required: true
  keep_copies:
    description: How many older, hidden copies of the name to keep after a new upload (of the images this module uploaded; others are never deleted).
    type: int
    default: 1
  keep_converted:
    description: Keep converted files in O(work_dir) after the run (a cache for the next run).
    type: bool
    default: false
  method:
    description:
      - How the bytes reach Glance. C(put) is the plain upload; C(glance-direct) stages the file and runs Glance's
        interoperable import; C(web-download) asks Glance to fetch O(url) itself (the local O(filename) is then only
        hashed and must hold the same bytes).
      - C(auto) uses C(put), and C(glance-direct) when the cloud refuses a plain upload (403, 405, 415) and offers it.
    type: str
    default: auto
    choices: [auto, put, glance-direct, web-download]
  min_disk:
    description: Minimum disk size in GiB.
    type: int
    default: 0
  min_ram:
    description: Minimum RAM in MiB.
    type: int
    default: 0
  name:
    description: Image name (the logical name; rotated copies carry it in C(ooo_image_name)).
    type: str
    required: true
  properties:
    description: Extra image properties (values are stored as strings). Only the keys given are managed.
    type: dict
  protected:
    description: Protect the current image from deletion (rotated copies are unprotected before deletion is attempted).
    type: bool
  source_format:
    description: The file's format as you expect it; the task fails when C(qemu-img info) detects another.
    type: str
  tags:
    description: Image tags, the exact set (omit to leave tags alone).
    type: list
    elements: str
  url:
    description: For O(method=web-download), the http(s) URL Glance fetches the image from.
    type: str
  visibility:
    description: Image visibility.
    type: str
    default: private
    choices: [public, private, shared, community]
  work_dir:
    description: Where converted copies are written.
    type: path
    default: /var/tmp/ooo-lifecycle-images
'''

EXAMPLES = r'''
- name: Upload the overcloud image to every cloud, converted to each one's format
  ooo.lifecycle.image:
    clouds: [undercloud, site-b, site-c]
    name: overcloud-full
    filename: /var/lib/images/overcloud-full.raw
    visibility: public
    properties:
      hw_architecture: x86_64
    keep_copies: 2

- name: Upload through Glance's import, stored as raw
  ooo.lifecycle.image:
    cloud: undercloud
    name: overcloud-full
    filename: /var/lib/images/overcloud-full.qcow2
    disk_format: raw
    method: glance-direct
'''

RETURN = r'''
id:
  description: With a single O(cloud), the ID of the current image.
  returned: success with O(cloud)
  type: str
image:
  description: With a single O(cloud), the current image (core fields and C(properties)).
  returned: success with O(cloud)
  type: dict
clouds:
  description: One result per cloud, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    cloud:
      description: The cloud's name (never credentials).
      type: str
    changed:
      description: Whether this cloud changed (would change, in check mode).
      type: bool
    action:
      description: C(none), C(upload), C(adopt) or C(update).
      type: str
    method:
      description: For an upload, how the bytes went (C(put), C(glance-direct), C(web-download)).
      type: str
    id:
      description: The current image's ID (absent in check mode before a first upload).
      type: str
    disk_format:
      description: The format stored in this cloud.
      type: str
    converted_from:
      description: The file's format when it was converted.
      type: str
    bytes_sent:
      description: Bytes sent to this cloud's Glance.
      type: int
    writes:
      description: Write calls made to this cloud's Glance.
      type: int
    updated_fields:
      description: Metadata fields patched on the current image.
      type: list
      elements: str
    rotated:
      description: Older images renamed and hidden (C(id), C(name)).
      type: list
      elements: dict
    deleted:
      description: Older copies deleted beyond O(keep_copies), and failed uploads of earlier runs.
      type: list
      elements: dict
    failed:
      description: Present and true when this cloud failed; see C(msg).
      type: bool
    msg:
      description: Why this cloud failed.
      type: str
failed_clouds:
  description: Names of the clouds that failed.
  returned: always
  type: list
  elements: str
sha256:
  description: sha256 of the file, when it was computed.
  returned: when computed
  type: str
source_format:
  description: The file's disk format as detected.
  returned: always
  type: str
bytes_sent:
  description: Bytes sent over all clouds.
  returned: always
  type: int
writes:
  description: Write calls over all clouds.
  returned: always
  type: int
seconds:
  description: Time the module spent, from checking the file to the last cloud's result.
  returned: always
  type: float
'''

import os
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._images.glance import CORE_FIELDS, CloudUpload
from ansible_collections.ooo.lifecycle.plugins.module_utils._images.source import Source, check_readable, conversion_problem, target_format
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError, ValidationError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    describe_cloud,
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def validate(params, source):
    """Everything that can be wrong with the input, before any cloud is contacted."""
    problems = []
    if params["method"] == "web-download" and not params.get("url"):
        problems.append("url: method web-download needs the http(s) URL Glance fetches the image from")
    if params.get("url") and params["method"] != "web-download":
        problems.append("url: only used with method web-download; drop it or set method: web-download")
    if params["keep_copies"] < 0:
        problems.append("keep_copies: must be 0 or more, got %d" % params["keep_copies"])
    requested = params["disk_format"]
    if requested not in ("cloud", "source"):
        why = conversion_problem(source.format, target_format(source.format, requested, None))
        if why:
            problems.append("disk_format: %s" % why)
    for key in (params.get("properties") or {}):
        if key.startswith("ooo_") or key.startswith("os_glance") or key in CORE_FIELDS:
            problems.append("properties.%s: reserved (ooo_ is the module's, os_glance* and the image's own fields are Glance's); "
                            "rename the property or use the option of that name" % key)
    if problems:
        raise ValidationError(problems)


def one_cloud(params, cloud, source, check_mode):
    label = describe_cloud(dict(cloud=cloud))
    try:
        return CloudUpload(open_connection(dict(params, cloud=cloud)), label, source, params, check_mode).run()
    except OOOError as exc:
        return dict(cloud=label, changed=False, failed=True, msg=exc.message, bytes_sent=0, writes=0)
    except Exception as exc:  # pylint: disable=broad-except
        return dict(cloud=label, changed=False, failed=True, msg="Failed on cloud %s: %s: %s" % (label, type(exc).__name__, exc),
                    bytes_sent=0, writes=0)


def run_module(module):
    started = time.monotonic()
    params = module.params
    check_readable(params["filename"])
    source = Source(params["filename"], params["work_dir"], module.run_command, module.get_bin_path("qemu-img"))
    source.probe(params.get("source_format"))
    validate(params, source)

    clouds = params["clouds"] if params.get("clouds") else [params.get("cloud")]
    names = [describe_cloud(dict(cloud=c)) for c in clouds]
    if len(set(names)) != len(names):
        raise ValidationError(["clouds: the same cloud is listed twice (%s)" % ", ".join(sorted(n for n in set(names) if names.count(n) > 1))])
    source.prefetch_digest()
    try:
        with ThreadPoolExecutor(max_workers=max(1, min(params["concurrency"], len(clouds)))) as pool:
            results = list(pool.map(lambda c: one_cloud(params, c, source, module.check_mode), clouds))
    finally:
        source.cancel_prefetch()
        if not params["keep_converted"]:
            for path in source.converted_files():
                try:
                    os.unlink(path)
                except OSError:
                    pass

    diffs = []
    for result in results:
        diff = result.pop("diff", None)
        if diff:
            diffs.append(dict(before_header="%s (%s)" % (params["name"], result["cloud"]), after_header="%s (%s)" % (params["name"], result["cloud"]),
                              before=diff["before"], after=diff["after"]))
    failed = [r["cloud"] for r in results if r.get("failed")]
    out = dict(changed=any(r["changed"] for r in results), clouds=results, failed_clouds=failed, source_format=source.format,
               bytes_sent=sum(r["bytes_sent"] for r in results), writes=sum(r["writes"] for r in results),
               seconds=round(time.monotonic() - started, 3))
    if source.known_digest():
        out["sha256"] = source.known_digest()
    if module._diff and diffs:
        out["diff"] = diffs
    if not params.get("clouds"):
        single = results[0]
        if single.get("failed"):
            out["msg"] = single["msg"]
            module.fail_json(**out)
        out.update(id=single.get("id"), image=single.get("image"))
    elif failed and (params["any_errors_fatal"] or len(failed) == len(results)):
        out["msg"] = "Failed on %d of %d clouds: %s" % (len(failed), len(results), "; ".join(r["msg"] for r in results if r.get("failed")))
        module.fail_json(**out)
    elif failed:
        module.warn("Image %s failed on clouds %s (see clouds[].msg); the other clouds are done" % (params["name"], ", ".join(failed)))
    return out


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            any_errors_fatal=dict(type="bool", default=False),
            clouds=dict(type="list", elements="raw"),
            concurrency=dict(type="int", default=4),
            container_format=dict(type="str", default="bare", choices=["bare", "ovf", "aki", "ari", "ami", "ova", "docker", "compressed"]),
            disk_format=dict(type="str", default="cloud",
                             choices=["cloud", "source", "raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi", "iso", "aki", "ari", "ami"]),
            filename=dict(type="path", required=True),
            keep_copies=dict(type="int", default=1),
            keep_converted=dict(type="bool", default=False),
            method=dict(type="str", default="auto", choices=["auto", "put", "glance-direct", "web-download"]),
            min_disk=dict(type="int", default=0),
            min_ram=dict(type="int", default=0),
            name=dict(type="str", required=True),
            properties=dict(type="dict"),
            protected=dict(type="bool"),
            source_format=dict(type="str"),
            tags=dict(type="list", elements="str"),
            url=dict(type="str"),
            visibility=dict(type="str", default="private", choices=["public", "private", "shared", "community"]),
            work_dir=dict(type="path", default="/var/tmp/ooo-lifecycle-images"),
        ),
        mutually_exclusive=[("cloud", "clouds")],
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
