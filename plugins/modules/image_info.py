#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: image_info
short_description: Read Glance images, including the rotated copies ooo.lifecycle.image keeps
version_added: 0.2.0
description:
  - Lists images by O(name), by O(id) or by property filters, with their core fields and properties.
  - With O(name) and O(copies=true), also returns the hidden, renamed older copies that M(ooo.lifecycle.image) rotated
    out (newest first), so a playbook can roll back to one.
  - Optionally hashes a local O(filename) and says which image, if any, holds its content (RV(matching_id)).
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Read-only.
  diff_mode:
    support: none
    description: Read-only.
options:
  copies:
    description: With O(name), also return the rotated (hidden) copies.
    type: bool
    default: false
  filename:
    description: A local image file; its sha256 is compared with the images' C(ooo_source_sha256).
    type: path
  id:
    description: One image ID.
    type: str
  name:
    description: Image name.
    type: str
  properties:
    description: Only images whose properties have these values.
    type: dict
'''

EXAMPLES = r'''
- name: Which copies of the overcloud image are there?
  ooo.lifecycle.image_info:
    cloud: undercloud
    name: overcloud-full
    copies: true
  register: overcloud_images
'''

RETURN = r'''
images:
  description: The images found, the current (visible, named) ones first, then rotated copies, newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Image ID.
      type: str
    name:
      description: Image name.
      type: str
    status:
      description: Glance status.
      type: str
    disk_format:
      description: Disk format.
      type: str
    size:
      description: Size in bytes.
      type: int
    rotated:
      description: True for a copy rotated out by M(ooo.lifecycle.image).
      type: bool
    properties:
      description: User properties, including C(ooo_source_sha256).
      type: dict
matching_id:
  description: With O(filename), the ID of the active image holding the file's content, or null.
  returned: when O(filename) is given
  type: str
sha256:
  description: With O(filename), the file's sha256.
  returned: when O(filename) is given
  type: str
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._images.glance import NAME_PROP, SHA_PROP, CloudUpload, image_summary
from ansible_collections.ooo.lifecycle.plugins.module_utils._images.source import Source, check_readable
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    describe_cloud,
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def run_module(module):
    params = module.params
    if params.get("filename"):
        check_readable(params["filename"])
    conn = open_connection(params)
    reader = CloudUpload(conn, describe_cloud(params), None, dict(name=params.get("name")), True)
    filters = dict((k, str(v)) for k, v in (params.get("properties") or {}).items())
    if params.get("id"):
        images = [reader.get(params["id"])]
    elif params.get("name") and params["copies"]:
        images = [i for i in reader.family() if all(i.get(k) == v for k, v in filters.items())]
    else:
        query = dict(filters)
        if params.get("name"):
            query["name"] = params["name"]
        images = reader.list_images(query)
    name = params.get("name")
    out_images = []
    for image in images:
        summary = image_summary(image)
        summary["rotated"] = bool(name and image.get(NAME_PROP) == name and image.get("name") != name)
        out_images.append(summary)
    out_images.sort(key=lambda i: (not i["rotated"], i.get("created_at") or ""), reverse=True)
    out = dict(changed=False, images=out_images)
    if params.get("filename"):
        sha = Source(params["filename"], None).digest()
        out["sha256"] = sha
        match = [i for i in out_images if i["properties"].get(SHA_PROP) == sha and i.get("status") == "active"]
        out["matching_id"] = match[0]["id"] if match else None
    return out


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            copies=dict(type="bool", default=False),
            filename=dict(type="path"),
            id=dict(type="str"),
            name=dict(type="str"),
            properties=dict(type="dict"),
        ),
        mutually_exclusive=[("id", "name")],
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
