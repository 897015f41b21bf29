# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure helpers for runs over many clouds of ``clouds.yaml``.

Nothing here talks to a cloud: selection of entries by name or pattern, a
description of an entry that carries no credential, the floating-IP model of a
probed cloud, and the public IPv4 address of a server found the way the
shade-era ``get_server_external_ipv4`` logic finds it.
"""

from __future__ import annotations

import fnmatch
import ipaddress

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError

# Keys of a clouds.yaml entry that are safe to show (no credential among them).
SAFE_AUTH_KEYS = ("auth_url", "project_name", "project_id", "project_domain_name", "user_domain_name", "domain_name", "username", "user_id")
SAFE_ENTRY_KEYS = ("region_name", "interface", "identity_api_version", "image_format", "floating_ip_source", "auth_type", "verify")


def target_label(name, region, region_count):
    """The label of one (cloud, region) pair: the cloud's name, or ``name/region`` when the entry has several regions."""
    if region_count > 1 and region:
        return "%s/%s" % (name, region)
    return name


def select_clouds(entries, include, exclude=None):
    """Pure: pick (cloud, region) entries by name, ``name/region`` label or shell-style pattern.

    ``entries`` is a list of dicts with ``label``, ``cloud`` and ``region_name``.
    An ``include`` item that is not a pattern and matches nothing is an error, so a
    typo in a survey answer is not a silent no-op. The order of ``entries`` is kept.
    """
    problems = []
    chosen = []
    for item in include:
        if not isinstance(item, str) or not item:
            problems.append("clouds: %r is not a cloud name or pattern; give names of clouds.yaml entries or shell patterns such as 'lab-*'" % (item,))
            continue
        hits = [e for e in entries if fnmatch.fnmatchcase(e["label"], item) or fnmatch.fnmatchcase(e["cloud"], item)]
        if not hits and not any(c in item for c in "*?["):
            known = ", ".join(sorted(set(e["cloud"] for e in entries))) or "none"
            problems.append("clouds: no entry named '%s' in clouds.yaml (known: %s); fix the name or add the entry" % (item, known))
        chosen.extend(h["label"] for h in hits)
    if problems:
        raise ValidationError(problems)
    dropped = set()
    for item in exclude or []:
        dropped.update(e["label"] for e in entries if fnmatch.fnmatchcase(e["label"], item) or fnmatch.fnmatchcase(e["cloud"], item))
    wanted = set(chosen) - dropped
    return [e for e in entries if e["label"] in wanted]


def describe_entry(config):
    """Pure: the parts of a clouds.yaml entry (as openstacksdk resolved it) that are safe to show."""
    auth = config.get("auth") or {}
    out = dict((k, auth[k]) for k in SAFE_AUTH_KEYS if auth.get(k) not in (None, ""))
    out.update((k, config[k]) for k in SAFE_ENTRY_KEYS if config.get(k) not in (None, ""))
    return out


def floating_ip_model(services, external_networks, extensions, floating_ip_source="neutron"):
    """Pure: how a server on this cloud gets a public address.

    ``neutron``: floating IPs from an external network through a Neutron router;
    ``provider``: external networks but no router extension, servers attach to
    them directly; ``nova``: a cloud without Neutron (legacy nova-network floating
    IPs); ``none``: no way to a public address (or disabled with
    ``floating_ip_source: None`` in clouds.yaml).
    """
    if str(floating_ip_source).lower() == "none":
        return "none"
    if "network" in services:
        if external_networks:
            return "neutron" if "router" in extensions else "provider"
        return "none"
    if "compute" in services:
        return "nova"
    return "none"


def _ipv4(value):
    try:
        address = ipaddress.ip_address(str(value))
    except ValueError:
        return None
    return address if address.version == 4 else None


def _addresses(server):
    """(network name, address dict) of every address of a server, in a stable order."""
    for network in sorted(server.get("addresses") or {}):
        for entry in server["addresses"][network] or []:
            if isinstance(entry, dict):
                yield network, entry


def external_ipv4(server, ports=None, external_networks=None):
    """Pure: the public IPv4 address of a server and where it was found.

    The order is the one shade's ``get_server_external_ipv4`` used:
    1. the server's access IPv4 (``accessIPv4``) when set;
    2. a fixed IP of one of the server's ports on an external network;
    3. a floating IP (``OS-EXT-IPS:type: floating``);
    4. an address on a network named like an external network, or ``public``;
    5. any globally routable IPv4 address.
    Returns ``{"address": ..., "source": ...}``; both are None when nothing fits.
    """
    external_networks = external_networks or []
    ext_ids = set(n.get("id") for n in external_networks if n.get("id"))
    ext_names = set(n.get("name") for n in external_networks if n.get("name")) | {"public"}

    access = _ipv4(server.get("access_ipv4") or server.get("accessIPv4") or "")
    if access:
        return {"address": str(access), "source": "access_ipv4"}

    server_id = server.get("id")
    for port in ports or []:
        if server_id and port.get("device_id") not in (None, server_id):
            continue
        if port.get("network_id") not in ext_ids:
            continue
        for fixed in port.get("fixed_ips") or []:
            address = _ipv4(fixed.get("ip_address"))
            if address:
                return {"address": str(address), "source": "external_port"}

    for network, entry in _addresses(server):
        address = _ipv4(entry.get("addr"))
        if address and entry.get("OS-EXT-IPS:type") == "floating":
            return {"address": str(address), "source": "floating_ip"}

    for network, entry in _addresses(server):
        address = _ipv4(entry.get("addr"))
        if address and network in ext_names:
            return {"address": str(address), "source": "public_network"}

    for network, entry in _addresses(server):
        address = _ipv4(entry.get("addr"))
        if address and address.is_global:
            return {"address": str(address), "source": "globally_routable"}

    return {"address": None, "source": None}


def _by_cloud(items, key="cloud"):
    return dict((i.get(key), i) for i in items or [] if isinstance(i, dict))


def summary_rows(probed, images=None, servers=None):
    """Pure: one row per cloud from the probe, the image fan-out and the server boots.

    ``probed`` is the ``clouds`` list of ``clouds_info``; ``images`` the result of
    the ``image`` module (its ``clouds`` list is read); ``servers`` a list of dicts
    with ``cloud``, ``id``, ``address``, ``source``, ``failed`` and ``msg``. A
    cloud's ``status`` is ``failed`` when any stage failed for it.
    """
    image_rows = _by_cloud((images or {}).get("clouds"))
    server_rows = _by_cloud(servers)
    rows = []
    for cloud in probed:
        name = cloud["name"]
        row = dict(cloud=name, region=cloud.get("region_name") or "-", reachable=bool(cloud.get("reachable") and not cloud.get("error")),
                   floating_ip_model=cloud.get("floating_ip_model") or "-", image_format=cloud.get("image_format") or "-",
                   compute=bool(cloud.get("compute")), status="ok", errors=[], image=None, server=None)
        if cloud.get("error"):
            row["errors"].append(cloud["error"])
        if images is not None and row["reachable"]:
            found = image_rows.get(name)
            if found is None:
                row["image"] = "not run"
            elif found.get("failed"):
                row["image"] = "failed"
                row["errors"].append(found.get("msg") or "image upload failed")
            else:
                row["image"] = "%s %s" % (found.get("action") or "none", (found.get("id") or "")[:8])
                row["image_id"] = found.get("id")
        if servers is not None and row["reachable"]:
            found = server_rows.get(name)
            if not row["compute"]:
                row["server"] = "skipped (no compute service)"
            elif found is None:
                row["server"] = "not run"
            elif found.get("failed"):
                row["server"] = "failed"
                row["errors"].append(found.get("msg") or "server boot failed")
            else:
                row["server"] = "%s (%s)" % (found.get("address") or "no public IPv4", found.get("source") or "-")
                row["server_id"] = found.get("id")
                row["address"] = found.get("address")
        if row["errors"]:
            row["status"] = "failed"
        row["error"] = "; ".join(row.pop("errors"))
        rows.append(row)
    return rows


def summary_table(rows):
    """Pure: the summary rows as aligned text lines (the last column is the error, if any)."""
    columns = [("CLOUD", "cloud"), ("REGION", "region"), ("STATUS", "status"), ("FLOATING-IP", "floating_ip_model"),
               ("FORMAT", "image_format"), ("IMAGE", "image"), ("SERVER", "server"), ("ERROR", "error")]
    cells = [[h for h, _k in columns]] + [[str(r.get(k) if r.get(k) not in (None, "") else "-") for _h, k in columns] for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(columns) - 1)]
    return ["  ".join(c[i].ljust(widths[i]) for i in range(len(widths))) + "  " + c[-1] for c in cells]


def legacy_warnings(name, entry):
    """Pure: warnings for a clouds.yaml entry (as written, before openstacksdk expands it) that a shade or
    os-client-config era file may hold and that no longer works, each naming the entry, the key and the fix.

    openstacksdk warns itself about the keys it still reads but has deprecated (``cloud:`` for ``profile:``,
    ``external_network``, a comma-separated ``region_name``); clouds_info passes those on. These are the ones it
    reads without a word but that cannot work against a current cloud.
    """
    if not isinstance(entry, dict):
        return ["clouds.yaml entry %s: expected a mapping, got %s; it is ignored" % (name, type(entry).__name__)]
    out = []
    auth = entry.get("auth") if isinstance(entry.get("auth"), dict) else {}
    version = str(entry.get("identity_api_version", "")).strip()
    url = str(auth.get("auth_url") or "").rstrip("/")
    if version in ("2", "2.0") or url.endswith("/v2.0") or entry.get("auth_type") in ("v2password", "v2token"):
        out.append("clouds.yaml entry %s: Keystone's v2.0 API (identity_api_version 2, a /v2.0 auth_url or auth_type v2*) "
                   "was removed in Queens; use identity_api_version: 3, a /v3 auth_url, and user_domain_name and "
                   "project_domain_name in auth" % name)
    if "tenant_name" in auth or "tenant_id" in auth:
        out.append("clouds.yaml entry %s: auth.tenant_name/tenant_id are Keystone v2 names; use project_name/project_id" % name)
    return out


def server_rows(boots, port_results, state):
    """Pure: one row per cloud of the multi-cloud server playbook: its server's public IPv4 address and where it was
    found, 'deleted' when the state is absent, or the failure.

    ``boots`` are the results of the server task looped over the clouds (``item.name``, ``server``, ``failed``,
    ``msg``); ``port_results`` those of the port lookup looped over the boots (``item.item.name``, ``ports``);
    ``item.external_networks`` are the cloud's external networks.
    """
    rows = []
    for boot in boots:
        name = boot["item"]["name"]
        if boot.get("failed"):
            rows.append({"cloud": name, "failed": True, "msg": boot.get("msg") or "server task failed"})
        elif state == "absent":
            rows.append({"cloud": name, "address": "deleted", "source": "absent"})
        else:
            ports = [p for r in port_results if ((r.get("item") or {}).get("item") or {}).get("name") == name
                     for p in r.get("ports") or []]
            found = external_ipv4(boot["server"], ports, boot["item"].get("external_networks") or [])
            rows.append({"cloud": name, "id": boot["server"]["id"], "address": found["address"], "source": found["source"]})
    return rows
