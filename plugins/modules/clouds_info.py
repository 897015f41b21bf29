#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: clouds_info
short_description: List the clouds of clouds.yaml and probe what each one can do
version_added: 0.3.0
description:
  - Reads C(clouds.yaml) (and C(secure.yaml)) the way openstacksdk does, including C(OS_CLIENT_CONFIG_FILE) and the
    C(OS_*) environment (an C(envvars) entry), picks the entries named by O(clouds) and O(exclude), and returns one
    result per cloud and region. No credential is ever returned.
  - With O(probe), each selected cloud is contacted concurrently; the probe authenticates, lists the services of the
    catalog in its region, the disk formats and import methods Glance accepts, whether Neutron and Nova exist, the
    external networks and the floating-IP model (C(neutron), C(provider), C(nova) or C(none)).
  - A cloud that cannot be reached or authenticated is reported with its error in its result and in
    RV(failed_clouds); it does not stop the others unless O(any_errors_fatal) is set. The task fails when no
    selected cloud could be probed.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to show.
options:
  clouds:
    description:
      - Names of C(clouds.yaml) entries or shell-style patterns (C(lab-*)); C(name/region) picks one region of an
        entry with several. A plain name that matches no entry is an error naming the known entries.
    type: list
    elements: str
    default: ["*"]
  exclude:
    description: Names or patterns of entries to leave out (applied after O(clouds)).
    type: list
    elements: str
    default: []
  probe:
    description: Contact each selected cloud. When false, only the entries are listed.
    type: bool
    default: true
  concurrency:
    description: How many clouds are probed at the same time.
    type: int
    default: 8
  api_timeout:
    description: Seconds each API request of a probe may take before the cloud is reported unreachable.
    type: int
    default: 20
  interface:
    description: Endpoint interface of the catalog to probe.
    type: str
    default: public
    choices: [admin, internal, public]
  any_errors_fatal:
    description: Fail the task when any selected cloud cannot be probed (the others are still probed).
    type: bool
    default: false
requirements:
  - python >= 3.9
  - openstacksdk >= 4.0.0
'''

EXAMPLES = r'''
- name: Probe every cloud whose name starts with lab-
  ooo.lifecycle.clouds_info:
    clouds: ["lab-*"]
  register: probed

- name: Only the entries, without contacting the clouds
  ooo.lifecycle.clouds_info:
    probe: false
'''

RETURN = r'''
clouds:
  description: One entry per selected cloud and region, in clouds.yaml order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The label of the target, the cloud's name or C(name/region) when the entry has several regions.
      type: str
    cloud:
      description: The C(clouds.yaml) entry name.
      type: str
    region_name:
      description: The region.
      type: str
    config:
      description: The entry's settings that carry no secret (auth_url, project, user, image_format, ...).
      type: dict
    reachable:
      description: Whether the probe authenticated. Not returned when O(probe) is false.
      type: bool
    error:
      description: Why the probe failed.
      type: str
    services:
      description: Service types of the catalog in this region and interface.
      type: list
      elements: str
    compute:
      description: Whether Nova is in the catalog.
      type: bool
    network:
      description: Whether Neutron is in the catalog.
      type: bool
    image_formats:
      description: Disk formats Glance accepts (from its image schema).
      type: list
      elements: str
    image_format:
      description: The disk format to upload to this cloud (the entry's C(image_format), openstacksdk's default C(qcow2)).
      type: str
    image_import_methods:
      description: Glance's import methods.
      type: list
      elements: str
    external_networks:
      description: Neutron networks with C(router:external), as C(id) and C(name).
      type: list
      elements: dict
    floating_ip_model:
      description: C(neutron), C(provider), C(nova) or C(none).
      type: str
    project_id:
      description: The project the credentials are scoped to.
      type: str
reachable:
  description: Labels of the clouds the probe authenticated against.
  returned: always
  type: list
  elements: str
failed_clouds:
  description: Labels of the clouds that could not be probed.
  returned: always
  type: list
  elements: str
config_file:
  description: The clouds.yaml that was read (C(null) when only the environment defines a cloud).
  returned: always
  type: str
secure_file:
  description: The secure.yaml that was read, if any.
  returned: always
  type: str
'''

import re
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.clouds import (
    describe_entry,
    floating_ip_model,
    legacy_warnings,
    select_clouds,
    target_label,
)
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError, ValidationError, at_least
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import SECRET_AUTH_KEYS, sdk_message

try:
    import openstack
    import openstack.config
    HAS_OPENSTACKSDK = True
    IMPORT_ERROR = None
except ImportError:
    HAS_OPENSTACKSDK = False
    IMPORT_ERROR = traceback.format_exc()


def read_entries(module):
    """Every (cloud, region) of clouds.yaml, and the secrets in them (to mask)."""
    try:
        # openstacksdk warns (Python warnings) about the keys it has deprecated; they become the task's warnings.
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            config = openstack.config.OpenStackConfig()
            regions = config.get_all()
    except Exception as exc:  # pylint: disable=broad-except
        module.fail_json(msg="Failed to read clouds.yaml: %s; check the file named by OS_CLIENT_CONFIG_FILE or "
                             "~/.config/openstack/clouds.yaml" % sdk_message(exc))
    said = set()
    for warning in caught:
        text = " ".join(str(warning.message).split())
        if text not in said and "/openstack/" in (warning.filename or ""):
            said.add(text)
            module.warn("clouds.yaml: %s" % text)
    for name, entry in sorted(((getattr(config, "cloud_config", None) or {}).get("clouds") or {}).items()):
        for text in legacy_warnings(name, entry):
            module.warn(text)
    counts = {}
    for region in regions:
        counts[region.name] = counts.get(region.name, 0) + 1
    entries = []
    for region in regions:
        auth = region.config.get("auth") or {}
        for key in SECRET_AUTH_KEYS:
            if isinstance(auth.get(key), str) and auth[key]:
                module.no_log_values.add(auth[key])
        entries.append(dict(
            label=target_label(region.name, region.region_name, counts[region.name]),
            cloud=region.name,
            region_name=region.region_name or None,
            config=describe_entry(region.config),
        ))
    files = dict(config_file=getattr(config, "config_filename", None), secure_file=getattr(config, "secure_config_filename", None))
    return entries, files


def _schema_formats(conn):
    schema = conn.image.get("/schemas/image").json()
    return list(schema.get("properties", {}).get("disk_format", {}).get("enum") or [])


def _import_methods(conn):
    info = conn.image.get("/info/import").json()
    return list((info.get("import-methods") or {}).get("value") or [])


def probe_error(exc):
    """A short cause: keystoneauth's connection failures carry a whole urllib3 traceback in their text."""
    message = sdk_message(exc)
    reason = re.search(r"\[Errno -?\d+\] ([^\"')]+)", message)
    url = re.search(r"connection to (\S+?):? ", message)
    if reason and url:
        return "cannot reach %s (%s)" % (url.group(1), reason.group(1).strip())
    return message


def probe(entry, params):
    """Authenticate against one cloud and find what it offers; errors go into the result."""
    result = dict(name=entry["label"], cloud=entry["cloud"], region_name=entry["region_name"], config=entry["config"],
                  reachable=False, error=None, services=[], compute=False, network=False, image_formats=[],
                  image_format=entry["config"].get("image_format") or "qcow2", image_import_methods=[],
                  external_networks=[], floating_ip_model="none", project_id=None)
    step = "connect to"
    try:
        kwargs = dict(cloud=entry["cloud"], api_timeout=params["api_timeout"], interface=params["interface"])
        if entry["region_name"]:
            kwargs["region_name"] = entry["region_name"]
        conn = openstack.connect(**kwargs)
        conn.authorize()
        result["reachable"] = True
        result["project_id"] = conn.current_project_id
        step = "read the service catalog of"
        access = conn.session.auth.get_access(conn.session)
        endpoints = access.service_catalog.get_endpoints(interface=params["interface"], region_name=entry["region_name"])
        services = sorted(t for t, found in endpoints.items() if found)
        result["services"] = services
        result["compute"] = "compute" in services
        result["network"] = "network" in services
        extensions = []
        if "image" in services:
            step = "read the image schema of"
            result["image_formats"] = _schema_formats(conn)
            result["image_import_methods"] = _import_methods(conn)
        if result["network"]:
            step = "list the external networks of"
            result["external_networks"] = [dict(id=n.id, name=n.name) for n in conn.network.networks(is_router_external=True)]
            extensions = [e.alias for e in conn.network.extensions()]
        result["floating_ip_model"] = floating_ip_model(services, result["external_networks"], extensions,
                                                        entry["config"].get("floating_ip_source", "neutron"))
    except Exception as exc:  # pylint: disable=broad-except
        result["error"] = "Failed to %s cloud %s: %s" % (step, entry["label"], probe_error(exc))
        if step != "connect to":
            result["reachable"] = True
    return result


def run_module(module):
    params = module.params
    problems = at_least(params, 1, "concurrency", "api_timeout")
    if problems:
        raise ValidationError(problems)
    entries, files = read_entries(module)
    if not entries:
        module.fail_json(msg="Failed to find any cloud: no clouds.yaml entry and no OS_* environment; write "
                             "~/.config/openstack/clouds.yaml or set OS_CLIENT_CONFIG_FILE", clouds=[], reachable=[], failed_clouds=[], **files)
    selected = select_clouds(entries, params["clouds"], params["exclude"])
    if not selected:
        module.fail_json(msg="Failed to select clouds: %s (minus %s) matched none of %s" % (
            params["clouds"], params["exclude"], ", ".join(e["label"] for e in entries)), clouds=[], reachable=[], failed_clouds=[], **files)
    if not params["probe"]:
        module.exit_json(changed=False, clouds=[dict(name=e["label"], cloud=e["cloud"], region_name=e["region_name"], config=e["config"])
                                                for e in selected], reachable=[], failed_clouds=[], **files)
    with ThreadPoolExecutor(max_workers=max(1, min(params["concurrency"], len(selected)))) as pool:
        results = list(pool.map(lambda e: probe(e, params), selected))
    failed_clouds = [r["name"] for r in results if r["error"]]
    reachable = [r["name"] for r in results if not r["error"]]
    out = dict(changed=False, clouds=results, reachable=reachable, failed_clouds=failed_clouds, **files)
    if failed_clouds and (params["any_errors_fatal"] or not reachable):
        errors = "; ".join(r["error"] for r in results if r["error"])
        module.fail_json(msg="Failed to probe %d of %d clouds: %s" % (len(failed_clouds), len(results), errors), **out)
    module.exit_json(**out)


def main():
    module = OOOModule(
        argument_spec=dict(
            clouds=dict(type="list", elements="str", default=["*"]),
            exclude=dict(type="list", elements="str", default=[]),
            probe=dict(type="bool", default=True),
            concurrency=dict(type="int", default=8),
            api_timeout=dict(type="int", default=20),
            interface=dict(type="str", default="public", choices=["admin", "internal", "public"]),
            any_errors_fatal=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    if not HAS_OPENSTACKSDK:
        module.fail_json(msg="Failed to import openstacksdk; install it on the host running the module (pip install openstacksdk)",
                         exception=IMPORT_ERROR)
    try:
        run_module(module)
    except OOOError as exc:
        module.fail_json(**exc.to_fail_kwargs())


if __name__ == "__main__":
    main()
