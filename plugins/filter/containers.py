# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re

from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.health import problems


def container_problems(containers, wanted=None, config_id_prefix=None, host=None):
    """What is wrong with container_startup_info's containers; see module_utils/_containers/health.py."""
    return problems(containers or {}, wanted, config_id_prefix, host)


def container_host_problems(result, config_id_prefix=None):
    """The problems of one machine's container_startup_info result (from a loop over machines), named 'host/NAME';
    a machine that could not be read is one problem, with the reason."""
    if result.get("failed") or result.get("unreachable") or "containers" not in result:
        return ["%s: %s" % (result.get("item"), result.get("msg") or "cannot read its containers")]
    return problems(result.get("containers") or {}, None, config_id_prefix, result.get("item"))


def ooo_duplicates(items):
    """The items that occur more than once, each once, in the order of their second occurrence."""
    seen, dups = set(), []
    for item in items or []:
        if item in seen and item not in dups:
            dups.append(item)
        seen.add(item)
    return dups


def container_step_conflicts(paths, steps):
    """'step N: A and B' for each step with more than one startup config among ``paths`` (a step_N directory or a
    container-startup-config-step_N.json)."""
    out = []
    for step in steps:
        found = [p for p in paths if re.search(r"[/_-]step_%s(\.json)?$" % re.escape(str(step)), p)]
        if len(found) > 1:
            out.append("step %s: %s" % (step, " and ".join(found)))
    return out


def registry_manifest_url(image):
    """'HOST[:PORT]/v2/NAME/manifests/REFERENCE' for an image 'HOST[:PORT]/NAME[:TAG|@DIGEST]' (tag 'latest' when it
    has neither), the registry API's URL of its manifest, without the scheme. An image without a registry host (its
    first component has no '.' or ':' and is not 'localhost') has no such URL: that is an error naming it."""
    from ansible.errors import AnsibleFilterError  # pylint: disable=import-outside-toplevel

    text = str(image or "")
    host, _sep, rest = text.partition("/")
    if not rest or not ("." in host or ":" in host or host == "localhost"):
        raise AnsibleFilterError("%r names no registry: give the image as REGISTRY[:PORT]/NAME:TAG" % text)
    if "@" in rest:
        name, reference = rest.split("@", 1)
    else:
        name, _colon, reference = rest.rpartition(":") if ":" in rest.rsplit("/", 1)[-1] else (rest, "", "latest")
    if not name or not reference:
        raise AnsibleFilterError("%r has an empty name or tag: give the image as REGISTRY[:PORT]/NAME:TAG" % text)
    return "%s/v2/%s/manifests/%s" % (host, name, reference)


TESTINFRA_REPORT = "OOO-TESTINFRA-REPORT: "


def testinfra_problems(result):
    """The failed checks of a step's testinfra run (roles/overcloud_common/tasks/testinfra.yml), from the report line
    its plugin prints: 'FILE: CHECK: what it said' each. A run that printed no report (pytest or testinfra missing, a
    crash) is one problem, with the end of its output and the fix."""
    lines = [line for line in (result.get("stdout_lines") or []) if line.startswith(TESTINFRA_REPORT)]
    if not lines:
        tail = ((result.get("stderr") or "") + (result.get("stdout") or "") or result.get("msg") or "").strip().splitlines()[-3:]
        return ["the testinfra checks did not run (rc %s): %s; the controller needs pytest-testinfra in the Python that runs "
                "Ansible (requirements.txt; execution-environment.yml for AWX)" % (result.get("rc"), " | ".join(tail) or "no output")]
    report = json.loads(lines[-1][len(TESTINFRA_REPORT):])
    out = ["%s: %s" % (f["check"], f["message"]) for f in report.get("failed") or []]
    if not out and result.get("rc") not in (0, None):
        out.append("the testinfra run ended with rc %s after %d checks: %s" % (
            result.get("rc"), report.get("checks", 0), " | ".join((result.get("stdout") or "").strip().splitlines()[-3:])))
    return out


class FilterModule(object):
    def filters(self):
        return {"container_problems": container_problems, "container_host_problems": container_host_problems,
                "ooo_duplicates": ooo_duplicates, "container_step_conflicts": container_step_conflicts,
                "testinfra_problems": testinfra_problems, "registry_manifest_url": registry_manifest_url}
