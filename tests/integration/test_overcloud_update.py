"""playbooks/overcloud_update.yml on the lab's overcloud: a rolling update of the computes behind the VIP.

The lab has one controller, so its APIs cannot stay up while it is updated (docs/overcloud.md); the computes'
status service has two backends behind HAProxy, and the rolling update of the Compute role must lose no request
through the VIP. Runs after the deployment tests, on the deployed overcloud.
"""
import json
import subprocess

from conftest import container_ids, containers, haproxy_backends, machine, recap, run_playbook

UPDATED = "198.18.0.1:8787/ooo/services:2026.2-1"
BROKEN = "198.18.0.1:8787/ooo/broken:2026.2-2"
PROBE = "/var/lib/ooo-undercloud/reports/update-probe.json"
QUICK = ["-e", '{"overcloud_validations": false, "overcloud_update_roles": ["Compute"]}']


def image_of(host, name):
    out = machine(host, "podman", "inspect", "--format", "{{.ImageName}}", name).stdout
    return out.strip()


def push(local, remote):
    subprocess.run(["podman", "push", "--quiet", "--tls-verify=false", local, remote], check=True, capture_output=True)


def test_rolling_update_of_the_computes_loses_no_request_through_the_vip(lab):
    push("localhost/ooo-services:2026.2", UPDATED)
    controller = container_ids("controller-0")
    _rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=" + UPDATED, *QUICK)
    probe = json.load(open(PROBE))
    assert probe["requests"] >= 500 and probe["failed"] == 0, {k: probe[k] for k in ("requests", "failed", "failures")}
    for host in ("compute-0", "compute-2"):
        assert image_of(host, "compute_agent") == UPDATED
        assert containers(host)["compute_agent"][1] == "running"
    assert container_ids("controller-0") == controller, "the controller is not in the update"
    # Batches: the canary alone, then the others.
    assert output.index("compute-0") < output.index("compute-2")
    assert [row[2] for row in haproxy_backends() if row[0] == "compute_status"] == ["UP", "UP"]


def test_failing_canary_is_rolled_back_and_the_rest_untouched(lab):
    # An image without the service's program: the canary's status service never becomes healthy.
    subprocess.run(["bash", "scripts/busybox_image.sh"], check=True, capture_output=True)
    push("localhost/ooo-busybox:latest", BROKEN)
    before = container_ids("compute-2"), image_of("compute-0", "compute_agent")
    rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=" + BROKEN, "-e", "overcloud_healthcheck_timeout=15",
                              *QUICK, check=False)
    assert rc != 0
    flat = " ".join(output.split())
    assert "the update failed on compute-0" in flat and "rolled back to its previous containers" in flat, output[-3000:]
    assert image_of("compute-0", "compute_agent") == before[1], "the canary runs its previous image again"
    assert containers("compute-0")["compute_agent"][1] == "running"
    assert container_ids("compute-2") == before[0], "the machines after the canary were not touched"
    assert [row[2] for row in haproxy_backends() if row[0] == "compute_status"] == ["UP", "UP"], "the canary is back in HAProxy"


def test_missing_image_is_refused_before_anything_changes(lab):
    before = container_ids("compute-0")
    rc, output = run_playbook("overcloud_update.yml", "-e", "overcloud_update_image=198.18.0.1:8787/ooo/services:nope", check=False)
    assert rc != 0
    assert "overcloud_update_image: 198.18.0.1:8787/ooo/services:nope is not in the registry" in " ".join(output.split())
    assert recap(output)["changed"] == 0 and container_ids("compute-0") == before
