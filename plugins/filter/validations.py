# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible.errors import AnsibleFilterError


def validations_select(catalogue, groups, only=None, skip=None):
    """The validations of ``catalogue`` to run, in its order: those named in ``only`` when it is given, else those in
    one of ``groups``; never those in ``skip``."""
    if not isinstance(catalogue, list):
        raise AnsibleFilterError("validations_select: the input must be the catalogue of validations (a list)")
    only, skip, groups = list(only or []), set(skip or []), set(groups or [])
    return [v for v in catalogue
            if (v["name"] in only or (not only and groups.intersection(v.get("groups") or []))) and v["name"] not in skip]


def plan_container_images(container_configs):
    """Each image the plan's containers use, once, in order: ``container_configs`` is {role: {step: {name: config}}}."""
    if not isinstance(container_configs, dict):
        raise AnsibleFilterError("plan_container_images: the input must be the plan's role_container_configs (a mapping)")
    out = []
    for steps in container_configs.values():
        for containers in (steps or {}).values():
            for config in (containers or {}).values():
                image = (config or {}).get("image")
                if image and image not in out:
                    out.append(image)
    return out


def registry_answer(result):
    """What the registry said about one image, for the container-images validation: ``result`` is one of the uri
    module's loop results (``item`` the image, ``status`` the HTTP status, -1 when the registry was not reached)."""
    image, status = result.get("item"), result.get("status", -1)
    if status == 404:
        return "%s (not in the registry)" % image
    if status == 401:
        return "%s (HTTP 401: the registry refused the pull user; see validations_registry_login_file)" % image
    if status == -1:
        return "%s (registry not reached: %s)" % (image, result.get("msg") or "no answer")
    return "%s (HTTP %s)" % (image, status)


class FilterModule(object):
    def filters(self):
        return {"validations_select": validations_select, "plan_container_images": plan_container_images,
                "registry_answer": registry_answer}
