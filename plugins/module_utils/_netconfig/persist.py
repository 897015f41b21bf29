# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Persistent network configuration: render the canonical model to files, parse files back.

Pure functions: ``render(provider, flat)`` returns {relative path: content};
``parse(provider, files)`` takes {relative path: content} and returns the flat model.
Only files carrying ``HEADER`` are ours (read back, replaced, removed); others are left alone.

Providers:

- ``ifupdown``: one file per device in ``etc/network/interfaces.d/``, Debian's format with
  the Open vSwitch ``ovs_*`` options of openvswitch-switch's ifupdown integration;
- ``ifcfg``: ``etc/sysconfig/network-scripts/ifcfg-*`` plus ``route-*``/``route6-*``, the
  initscripts format os-net-config itself wrote;
- ``nmkeyfile``: NetworkManager keyfiles in ``etc/NetworkManager/system-connections/``
  (Open vSwitch as NM models it: ovs-bridge, ovs-port and ovs-interface connections).

Attributes a format has no key for are kept in keys of our own (``ooo-*`` options in
ifupdown, ``OOO_*`` variables in ifcfg, the ``[user]`` setting in keyfiles), which the
tools ignore, so that parsing gives back exactly the model that was rendered.
"""

from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig import ifcfg, ifupdown, nmkeyfile
from ansible_collections.ooo.lifecycle.plugins.module_utils._netconfig.persist_common import DIRS, HEADER

PROVIDERS = ("ifupdown", "ifcfg", "nmkeyfile")
__all__ = ["DIRS", "HEADER", "PROVIDERS", "render", "parse", "ours"]


def render(provider, flat):
    """{relative path: content} of the persistent config for the flat model."""
    files = {}
    for name in sorted(flat):
        device = flat[name]
        if provider == "ifupdown":
            files["%s/ooo-%s" % (DIRS[provider], name)] = ifupdown.render_one(flat, device)
            continue
        rendered = ifcfg.render_one(flat, device) if provider == "ifcfg" else nmkeyfile.render_one(flat, device)
        for filename, text in rendered.items():
            files["%s/%s" % (DIRS[provider], filename)] = text
    return files


def parse(provider, files):
    """The flat model in ``files`` ({relative path: content}); files without our header are ignored."""
    flat = {"ifupdown": ifupdown.parse, "ifcfg": ifcfg.parse}.get(provider, nmkeyfile.parse)(files)
    for device in flat.values():
        if "members" in device:
            device["members"] = sorted(device["members"])
    return flat


def ours(provider, path, text):
    """True when ``path`` is a persistent file of ``provider`` written by this collection."""
    return path.startswith(DIRS[provider] + "/") and text.startswith(HEADER)
