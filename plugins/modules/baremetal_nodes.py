#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: baremetal_nodes
short_description: Enroll a whole bare-metal fleet in Ironic, idempotently
version_added: 0.1.0
description:
  - Takes a fleet, as a list or as a file in TripleO's C(instackenv.json) format or our C(nodes.yaml) format, validates
    every node before any write and reports all problems at once, each naming the node and the field.
  - Reads Ironic once, compares each node with what Ironic has, and creates or updates only what differs, nodes and
    ports, concurrently over one connection.
  - Ironic masks BMC passwords, so secrets are compared through a salted scrypt digest kept in the node's C(extra)
    (C(ooo_secrets_hash)); a password changed in the fleet file is detected, an unchanged one reports no change. A
    node whose digest is older (PBKDF2 of 1000 rounds, from earlier versions) has its password written once more.
  - Ports of a node that the fleet does not list are left alone (inspection may have created them).
  - With O(state=absent) the listed nodes are removed; nodes that are deployed or busy are refused unless O(force=true).
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Returns the per-node actions that would be taken and makes no write call.
  diff_mode:
    support: full
    description: Shows, per node, the fields that would change (never their secret values).
options:
  concurrency:
    description: How many nodes are written at the same time.
    type: int
    default: 8
  drivers:
    description:
      - Hardware types accepted in the fleet. By default the ones Ironic reports (that needs a system-scoped token),
        else the well-known ones.
    type: list
    elements: str
  file_format:
    description: Format of O(nodes_file) or O(nodes); C(auto) recognizes instackenv by its C(pm_*) and C(mac) fields.
    type: str
    default: auto
    choices: [auto, instackenv, nodes_yaml]
  force:
    description: With O(state=absent), also remove deployed or busy nodes (they are put in maintenance first).
    type: bool
    default: false
  nodes:
    description:
      - The fleet. Each node has C(name), C(driver), C(driver_info) (BMC address, user name, password), C(ports)
        (MACs, optionally C(pxe_enabled)), C(properties) (C(cpus), C(memory_mb), C(local_gb), C(cpu_arch)),
        C(capabilities) (dict or C(k:v,k:v)), C(traits), C(resource_class), C(root_device) hints, C(extra),
        and interfaces such as C(boot_interface).
      - Mutually exclusive with O(nodes_file).
      - Elements are mappings; anything else is reported with the node's position.
    type: list
    elements: raw
  nodes_file:
    description: A file on the host with the fleet; C(.json) is read as JSON, anything else as YAML; the list is under C(nodes).
    type: path
  state:
    description: C(present) enrolls or updates the nodes, C(absent) removes them.
    type: str
    default: present
    choices: [present, absent]
'''

EXAMPLES = r'''
- name: Enroll the fleet from an instackenv.json
  ooo.lifecycle.baremetal_nodes:
    cloud: undercloud
    nodes_file: /home/stack/instackenv.json

- name: Enroll two nodes
  ooo.lifecycle.baremetal_nodes:
    cloud: undercloud
    nodes:
      - name: controller-0
        driver: ipmi
        driver_info: {ipmi_address: 192.0.2.10, ipmi_username: admin, ipmi_password: "{{ bmc_password }}"}
        ports: [{address: "52:54:00:00:00:10"}]
        properties: {cpus: 16, memory_mb: 65536, local_gb: 500, cpu_arch: x86_64}
        capabilities: {profile: control, boot_mode: uefi}
'''

RETURN = r'''
nodes:
  description: One result per node, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
    uuid:
      description: Node UUID (none for a node that check mode would create).
      type: str
    action:
      description: C(create), C(update), C(delete) or C(none).
      type: str
    changes:
      description: The fields that differ, by name (secret values are never shown).
      type: list
      elements: str
    ports:
      description: Port actions, each with C(action) and C(address).
      type: list
      elements: dict
    failed:
      description: Present and true when this node failed; see C(msg).
      type: bool
    seconds:
      description: Time spent on this node.
      type: float
summary:
  description: How many nodes were created, updated, deleted, unchanged and failed.
  returned: always
  type: dict
  sample: {create: 2, update: 1, delete: 0, none: 97, failed: 0}
writes:
  description: Number of write calls made to Ironic (0 in check mode and when nothing changed).
  returned: always
  type: int
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import fleet
from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal.enroll import Fleet, load_entries, prepare
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import OOOError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)


def read_file(path):
    with open(path) as handle:
        return handle.read()


def run_module(module):
    params = module.params
    entries = load_entries(params, read_file)
    for entry in entries:
        for value in fleet.secrets_of(entry.get("driver_info")).values():
            module.no_log_values.add(str(value))
        if entry.get("pm_password"):
            module.no_log_values.add(str(entry["pm_password"]))
    conn = None
    drivers = params["drivers"]
    if params["state"] == "present" and not drivers:
        conn = open_connection(params)
        drivers = Fleet(conn, module.check_mode).enabled_drivers()
    nodes = prepare(entries, drivers=drivers) if params["state"] == "present" else None
    if params["state"] == "absent":
        names = [e.get("name") for e in entries]
        missing = [i for i, n in enumerate(names) if not n]
        if missing:
            raise OOOError("Invalid input: " + "; ".join("node #%d: name is required" % i for i in missing))
    conn = conn or open_connection(params)
    worker = Fleet(conn, module.check_mode, params["concurrency"])
    if params["state"] == "present":
        results = worker.present(nodes)
    else:
        results = worker.absent(names, force=params["force"])
    summary = {"create": 0, "update": 0, "delete": 0, "none": 0, "failed": 0}
    for result in results:
        summary[result["action"]] += 1
        summary["failed"] += 1 if result.get("failed") else 0
    changed = any(r["action"] != "none" for r in results)
    out = dict(changed=changed, nodes=results, summary=summary, writes=worker.writes)
    if module._diff:
        out["diff"] = dict(before="".join("%s: %s\n" % (r["name"], ", ".join(r["changes"])) for r in results if r["action"] in ("update", "delete")),
                           after="".join("%s: %s %s\n" % (r["name"], r["action"], ", ".join(r["changes"])) for r in results
                                         if r["action"] != "none"))
    if summary["failed"]:
        failed = [r for r in results if r.get("failed")]
        out["msg"] = "Failed to enroll %d of %d nodes: %s" % (len(failed), len(results), "; ".join(r["msg"] for r in failed[:10]))
        module.fail_json(**out)
    return out


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            concurrency=dict(type="int", default=8),
            drivers=dict(type="list", elements="str"),
            file_format=dict(type="str", default="auto", choices=["auto", "instackenv", "nodes_yaml"]),
            force=dict(type="bool", default=False),
            nodes=dict(type="list", elements="raw"),
            nodes_file=dict(type="path"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        mutually_exclusive=[("nodes", "nodes_file")],
        required_one_of=[("nodes", "nodes_file")],
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
