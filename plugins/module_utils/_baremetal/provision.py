# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Drive nodes through Ironic's provision states, concurrently, with a failure policy."""

from __future__ import annotations

import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.ooo.lifecycle.plugins.module_utils._baremetal import states
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError, OOOError, ValidationError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import sdk_message
from ansible_collections.ooo.lifecycle.plugins.module_utils._waiters import WaitTimeout, wait_for


UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


class Provisioner(object):
    """Walks each node from wherever it is to the target, one verb at a time."""

    def __init__(self, conn, params, check_mode):
        self.conn = conn
        self.p = params
        self.check_mode = check_mode
        self.stop = threading.Event()
        self.writes = 0
        self._lock = threading.Lock()

    def _get(self, ident):
        try:
            return self.conn.baremetal.get_node(ident)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to read node %s: %s" % (ident, sdk_message(exc)))

    def _write(self, what, fn, *args, **kwargs):
        with self._lock:
            self.writes += 1
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("%s: %s" % (what, sdk_message(exc)))

    def _settle(self, node, deadline):
        """Wait until the node leaves transitional states; return it."""
        if not states.is_transitional(node.provision_state):
            return node
        began = time.time()
        time.sleep(self.p["poll_interval"])  # it was just read: look again after one interval, not at once
        seen = [node]

        def fetch():
            seen[0] = self._get(node.id)
            return seen[0]
        try:
            return wait_for(fetch, lambda n: not states.is_transitional(n.provision_state),
                            timeout=max(0.0, deadline - time.monotonic()), interval=self.p["poll_interval"],
                            what="node %s to leave %s" % (node.name or node.id, node.provision_state))
        except WaitTimeout as exc:
            state = seen[0].provision_state
            if state not in states.AGENT_WAIT:
                raise
            silence = states.agent_silence(getattr(seen[0], "driver_internal_info", None), began, time.time(), seen[0].power_state)
            message = "%s: %s" % (exc.message, silence)
            if state in states.ABORTABLE and not self.check_mode:
                # Left waiting, the node would block every rerun until Ironic's own callback timeout (30 minutes by
                # default); aborted, it is in a failed state that a rerun starts again from.
                what = "deployment" if state == "wait call-back" else "cleaning"
                try:
                    self._write("Failed to abort node %s" % (node.name or node.id), self._abort, node)
                    message += "; the %s was aborted and the machine powered off, a rerun starts it again" % what
                except OOOError as again:
                    message += "; the %s could not be aborted (%s)" % (what, again.message)
            raise WaitTimeout(message)

    def _abort(self, node):
        """Abort the node's wait for its agent, then power the machine off. A deployment waiting for its agent can be
        aborted from Ironic's API 1.110 on (openstacksdk asks for 1.13, which allows only the other aborts): the request
        names its version."""
        response = self.conn.baremetal.put("/nodes/%s/states/provision" % node.id, json={"target": "abort"},
                                           headers={"X-OpenStack-Ironic-API-Version": "1.110"})
        if response.status_code >= 400:
            raise APIError("HTTP %d: %s" % (response.status_code, response.text[:300]))
        # Aborted, the machine still runs its ramdisk, whose agent keeps asking for the deployment: at a rerun it would
        # take the new deployment's agent token before the machine reboots, and the rebooted agent would be refused.
        # Powered off, the rerun boots one agent.
        wait_for(lambda: self._get(node.id), lambda n: not states.is_transitional(n.provision_state) and not n.reservation,
                 timeout=60, interval=1, what="node %s to settle after the abort" % (node.name or node.id))
        self.conn.baremetal.set_node_power_state(node.id, "power off", wait=True, timeout=60)

    def _inspected(self, node):
        """Whether Ironic finished an inspection of the node (openstacksdk's Node does not map this field)."""
        if self.p["target"] != "inspected":
            return False  # only the route to "inspected" depends on it
        try:
            response = self.conn.baremetal.get("/nodes/%s" % node.id, params={"fields": "inspection_finished_at"},
                                               headers={"X-OpenStack-Ironic-API-Version": "1.81"})
            response.raise_for_status()
            return bool(response.json().get("inspection_finished_at"))
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to read node %s: %s" % (node.name or node.id, sdk_message(exc)))

    def plan(self, node):
        if not self.p.get("target"):
            return []
        return states.route(node.provision_state, self.p["target"], inspected=self._inspected(node))

    def _boot_devices(self, node):
        """The boot devices the node's management interface supports (fake-hardware's has no disk)."""
        try:
            found = self.conn.baremetal.get_node_supported_boot_devices(node.id)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to read the boot devices of node %s: %s" % (node.name, sdk_message(exc)))
        return found.get("supported_boot_devices", []) if isinstance(found, dict) else list(found or [])

    def _power(self, node, result, deadline):
        """Bring the node's power to ``power`` (on: from its disk, as a machine that already has its OS)."""
        want = "power %s" % self.p["power"]
        if node.power_state == want:
            return
        result["power"] = want
        if self.check_mode:
            return
        if want == "power on" and node.provision_state != "active" and "disk" in self._boot_devices(node):
            # An active node boots as Ironic deployed it; any other boots from its disk, not into a ramdisk.
            self._write("Failed to set the boot device of node %s" % node.name, self.conn.baremetal.set_node_boot_device,
                        node.id, "disk", persistent=True)
        self._write("Failed to %s node %s" % (want, node.name), self.conn.baremetal.set_node_power_state, node.id, want)
        wait_for(lambda: self._get(node.id), lambda n: n.power_state == want or bool(n.last_error and n.target_power_state is None),
                 timeout=max(1.0, deadline - time.monotonic()), interval=self.p["poll_interval"],
                 what="node %s to %s" % (node.name, want))
        after = self._get(node.id)
        if after.power_state != want:
            raise OOOError("Failed to %s node %s: %s" % (want, node.name, after.last_error or "power state is %s" % after.power_state))

    def drive(self, ident, node=None):
        """One node from where it is to the target; every failure, an API error included, stays in its result."""
        started = time.monotonic()
        try:
            return self._drive(ident, node, started)
        except Exception as exc:  # pylint: disable=broad-except
            # An API blip outside the walk (reading the node before or after it): this node fails, the others go on.
            message = exc.message if isinstance(exc, OOOError) else "Failed to provision node %s: %s" % (ident, sdk_message(exc))
            if self.p["on_failure"] == "fail":
                self.stop.set()
            return self._done({"name": getattr(node, "name", None) or ident, "uuid": getattr(node, "id", None), "verbs": [],
                               "attempts": 1, "failed": True, "msg": message}, started)

    def _drive(self, ident, node, started):
        deadline = started + self.p["timeout"]
        node = node if node is not None else self._get(ident)
        result = {"name": node.name, "uuid": node.id, "before": node.provision_state, "verbs": [], "attempts": 1}
        if node.is_maintenance and self.p.get("skip_maintenance") and not states.is_transitional(node.provision_state) \
                and self.p.get("target") and self.plan(node):
            # Ironic refuses most verbs on a node in maintenance; quarantined nodes are set aside, not failed.
            result.update(after=node.provision_state, skipped=True, seconds=0.0,
                          msg="Skipped node %s: in maintenance (%s)" % (node.name, node.maintenance_reason or "no reason given"))
            return result
        if self.p.get("target") == "available" and node.provision_state == "active":
            # Deployed: in use. Making the fleet available never undeploys a machine (target undeployed does).
            result.update(after=node.provision_state, skipped=True, seconds=0.0,
                          msg="Left node %s active: it is deployed (target undeployed undeploys it)" % node.name)
            return result
        try:
            if not self.p.get("target"):
                self._power(node, result, deadline)
                result["after"] = node.provision_state
                return self._done(result, started)
            if self.check_mode:
                verbs = self.plan(node) if not states.is_transitional(node.provision_state) else ["(wait)"]
                result.update(verbs=verbs or [], after=self.p["target"] if verbs is not None else node.provision_state)
                if verbs is None:
                    raise OOOError("Failed to provision node %s: no way from %s to %s" % (node.name, node.provision_state, self.p["target"]))
                if self.p.get("power"):
                    self._power(node, result, deadline)
                return result
            retries_left = self.p["retries"] if self.p["on_failure"] == "retry" else 0
            inspected_now = False
            last = None  # (verb, state it was run from)
            while True:
                node = self._settle(node, deadline)
                if last is not None and node.provision_state == last[1] and node.last_error:
                    # Ironic took the node back where the verb started (a manage whose power check failed goes back
                    # to enroll): the verb failed, and running it again would fail the same way.
                    raise OOOError("Failed to %s node %s: %s" % (last[0], node.name, node.last_error))
                if node.provision_state in states.FAILED and result["verbs"]:
                    if retries_left > 0 and not self.stop.is_set():
                        retries_left -= 1
                        result["attempts"] += 1
                    else:
                        raise OOOError("Failed to provision node %s: %s (%s)" % (node.name, node.provision_state,
                                                                                 node.last_error or "no error recorded"))
                verbs = states.route(node.provision_state, self.p["target"], inspected=inspected_now or self._inspected(node))
                if self.p["target"] == "inspected" and inspected_now:
                    verbs = [v for v in (verbs or []) if v != "inspect"]
                if verbs is None:
                    raise OOOError("Failed to provision node %s: no way from %s to %s" % (node.name, node.provision_state, self.p["target"]))
                if not verbs:
                    break
                if self.stop.is_set():
                    raise OOOError("Failed to provision node %s: stopped because another node failed (on_failure: fail)" % node.name)
                verb = verbs[0]
                if verb == "active" and self.p.get("image"):
                    self._write("Failed to set the image of node %s" % node.name, self.conn.baremetal.patch_node, node.id,
                                [{"op": "add", "path": "/instance_info/image_source", "value": self.p["image"]}]
                                + ([{"op": "add", "path": "/instance_info/image_checksum", "value": self.p["image_checksum"]}]
                                   if self.p.get("image_checksum") else [])
                                + ([{"op": "add", "path": "/instance_info/image_disk_format", "value": self.p["image_disk_format"]}]
                                   if self.p.get("image_disk_format") else []))
                kwargs = {}
                if verb == "active" and self.p.get("config_drive"):
                    kwargs["config_drive"] = self.p["config_drive"]
                # openstacksdk reads the node back after the request: that is the fresh state, no second GET.
                after = self._write("Failed to %s node %s" % (verb, node.name), self.conn.baremetal.set_node_provision_state,
                                    node.id, verb, **kwargs)
                result["verbs"].append(verb)
                last = (verb, node.provision_state)
                inspected_now = inspected_now or verb == "inspect"
                node = after if getattr(after, "provision_state", None) else self._get(node.id)
            if self.p.get("power"):
                self._power(self._get(node.id), result, deadline)
        except Exception as exc:  # pylint: disable=broad-except
            message = exc.message if isinstance(exc, OOOError) else "Failed to provision node %s: %s" % (node.name, sdk_message(exc))
            result.update(failed=True, msg=message)
            if self.p["on_failure"] == "maintenance" and not self.check_mode:
                try:
                    self._write("Failed to set maintenance on node %s" % result["name"], self.conn.baremetal.set_node_maintenance,
                                result["uuid"], "ooo.lifecycle: %s" % message)
                    result["maintenance"] = True
                except OOOError as again:
                    result["msg"] += "; " + again.message
            elif self.p["on_failure"] == "fail":
                self.stop.set()
        if not result.get("after"):
            try:
                result["after"] = self._get(result["uuid"]).provision_state
            except OOOError as exc:
                # The walk's outcome (its verbs, its failure) is kept; only the final read is missing.
                result.update(after=None, read_error=exc.message)
        return self._done(result, started)

    @staticmethod
    def _done(result, started):
        result["seconds"] = round(time.monotonic() - started, 2)
        return result

    def _read_all(self, idents):
        """The listed nodes in one call (a fleet of 1000 is one request, not 1000); unknown ones are read one by one."""
        try:
            nodes = list(self.conn.baremetal.nodes(details=True))
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to list the bare-metal nodes: %s" % sdk_message(exc))
        by_key = {}
        for node in nodes:
            by_key[node.id] = node
            if node.name:
                by_key[node.name] = node
        return [by_key.get(ident) for ident in idents]

    def resolve_image(self):
        """A Glance image given by name becomes its ID (Ironic takes only IDs and URLs); the newest active one wins."""
        image = self.p.get("image")
        if not image or "://" in image or UUID.match(image):
            return
        try:
            found = self.conn.image.get("/images", params={"name": image, "status": "active"}).json().get("images", [])
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to look up image %s in Glance: %s" % (image, sdk_message(exc)))
        if not found:
            raise ValidationError(["image: no active image named %s in Glance; upload it (ooo.lifecycle.image) or give its ID" % image])
        self.p = dict(self.p, image=sorted(found, key=lambda i: i.get("created_at") or "")[-1]["id"])

    def find(self, idents):
        """Every listed node, read before anything is written; the unknown ones are bad input, named all at once."""
        known = self._read_all(idents) if len(idents) > 1 else [None] * len(idents)
        missing = []
        for index, ident in enumerate(idents):
            if known[index] is not None:
                continue
            try:
                known[index] = self.conn.baremetal.get_node(ident)
            except Exception as exc:  # pylint: disable=broad-except
                if getattr(exc, "status_code", None) == 404 or exc.__class__.__name__ == "NotFoundException":
                    missing.append(ident)
                else:
                    raise APIError("Failed to read node %s: %s" % (ident, sdk_message(exc)))
        if missing:
            raise ValidationError(["nodes: %s is not a node of Ironic; enroll it first (ooo.lifecycle.baremetal_nodes) or fix the "
                                   "name" % name for name in missing])
        return known

    def run(self, idents):
        if self.p["target"] == "active":
            self.resolve_image()
        known = self.find(idents)
        with ThreadPoolExecutor(max_workers=max(1, min(self.p["concurrency"], len(idents) or 1))) as pool:
            return list(pool.map(self.drive, idents, known))
