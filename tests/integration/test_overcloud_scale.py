"""playbooks/overcloud_scale.yml on the lab's overcloud: a compute taken out and brought back, HAProxy following.

Runs after the deployment tests (tests/integration/conftest.py), on the deployed overcloud.
"""
import json

import pytest

from conftest import container_ids, containers, haproxy_backends, recap, run_playbook, running

NODES_FILE = "/var/lib/ooo-undercloud/overcloud-nodes.json"
QUICK = ["-e", "overcloud_validations=false", "-e", "overcloud_sanity=false"]


def conn_overcloud():
    import openstack
    return openstack.connect(cloud="overcloud")


def compute_backends():
    return [(server, status) for listen, server, status in haproxy_backends() if listen == "compute_status"]


def test_scale_in_refuses_to_lose_servers(lab):
    """A server on compute-2: taking compute-2 out is refused before anything changes, naming the server."""
    conn = conn_overcloud()
    image, flavor = conn.image.find_image("ooo-guest"), conn.compute.find_flavor("ooo.tiny")
    server = conn.compute.create_server(name="it-scale-guest", image_id=image.id, flavor_id=flavor.id, networks="none",
                                        availability_zone="nova:compute-2")
    try:
        server = conn.compute.wait_for_server(server, wait=180)
        before = container_ids("compute-2"), container_ids("controller-0"), open(NODES_FILE).read()
        rc, output = run_playbook("overcloud_scale.yml", "-e", "overcloud_scale_role=Compute",
                                  "-e", json.dumps({"overcloud_scale_remove": ["compute-2"]}), *QUICK, check=False)
        assert rc != 0
        assert "compute-2 hosts it-scale-guest (%s): scaling in would lose them" % server.id in output, output[-3000:]
        assert "overcloud_scale_force=true" in output
        assert (container_ids("compute-2"), container_ids("controller-0"), open(NODES_FILE).read()) == before, "nothing changed"
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)


def test_scale_in_then_out_with_haproxy_following(lab, conn):
    compute0, controller = container_ids("compute-0"), container_ids("controller-0")
    assert compute_backends() == [("compute-0", "UP"), ("compute-2", "UP")]

    _rc, output = run_playbook("overcloud_scale.yml", "-e", "overcloud_scale_role=Compute",
                               "-e", json.dumps({"overcloud_scale_remove": ["compute-2"]}), *QUICK)
    assert compute_backends() == [("compute-0", "UP")], "HAProxy no longer sends to the removed machine"
    assert not running("ooo-lab-compute-2"), "the removed machine's services are stopped, and Ironic undeployed it"
    assert json.load(open(NODES_FILE))["Compute"] == ["compute-0"]
    assert recap(output, "compute-0")["changed"] == 0, "the machine that stays is untouched"
    assert container_ids("compute-0") == compute0
    # Undeployed in Ironic, its disk cleaned, powered off.
    node = conn.baremetal.find_node("compute-2")
    assert (node.provision_state, node.power_state) == ("available", "power off")
    with open("/var/lib/ooo-lab/disks/compute-2.img", "rb") as disk:
        assert disk.read(512)[510:512] != b"\x55\xaa", "metadata cleaning erased the partition table"
    after_in = container_ids("controller-0")
    # HAProxy drops the backend; nova_discover_hosts (a one-shot) runs again for the new list of computes.
    rerun = ("haproxy", "nova_discover_hosts")
    assert {k: v for k, v in after_in.items() if k not in rerun} == {k: v for k, v in controller.items() if k not in rerun}, \
        "on the controller only HAProxy changed"
    assert containers("controller-0")["nova_discover_hosts"] == ("tripleo_step5", "exited", 0)
    assert [s.host for s in conn_overcloud().compute.services(binary="nova-compute")] == ["compute-0"], \
        "the removed compute's nova-compute service is deleted from Nova"
    assert [a.host for a in conn_overcloud().network.agents(binary="neutron-openvswitch-agent")] == ["compute-0"], \
        "and its Open vSwitch agent from Neutron"

    _rc, output = run_playbook("overcloud_scale.yml", "-e", "overcloud_scale_role=Compute", "-e", "overcloud_scale_count=2", *QUICK)
    assert compute_backends() == [("compute-0", "UP"), ("compute-2", "UP")]
    assert containers("compute-2")["compute_agent"][:2] == ("tripleo_step4", "running")
    assert sorted(s.host for s in conn_overcloud().compute.services(binary="nova-compute") if s.state == "up") == [
        "compute-0", "compute-2"], "the new compute registered and was mapped (nova_discover_hosts waited for it)"
    assert sorted(a.host for a in conn_overcloud().network.agents(binary="neutron-openvswitch-agent")) == ["compute-0", "compute-2"]
    assert conn.baremetal.find_node("compute-2").provision_state == "active", "deployed again by Ironic"
    assert json.load(open(NODES_FILE))["Compute"] == ["compute-0", "compute-2"], "the role keeps compute-0 first"
    assert container_ids("compute-0") == compute0, "scale-out leaves the deployed machines alone"
    assert recap(output, "compute-0")["changed"] == 0


@pytest.mark.parametrize("extra, message", [
    (["-e", "overcloud_scale_role=Storage", "-e", "overcloud_scale_count=1"],
     "overcloud_scale_role: Storage is not a role of the plan; its roles are Compute, Controller"),
    (["-e", "overcloud_scale_role=Compute", "-e", '{"overcloud_scale_remove": ["compute-1"]}'],
     "overcloud_scale_remove: compute-1 is not a deployed Compute machine; the role has compute-0, compute-2"),
    (["-e", "overcloud_scale_role=Compute", "-e", "overcloud_scale_count=1"], "overcloud_scale_count: 1 must be a whole number at least the current count 2"),
    (["-e", "overcloud_scale_role=Compute"], "nothing to do: give overcloud_scale_count=N"),
    (["-e", "overcloud_scale_role=Controller", "-e", '{"overcloud_scale_remove": ["controller-0"]}'],
     "overcloud_scale_remove: controller-0 is the bootstrap machine of Controller (it holds the public VIP); it cannot be removed"),
])
def test_bad_scale_request_is_refused_before_anything_changes(lab, extra, message):
    before = container_ids("controller-0"), container_ids("compute-2"), open(NODES_FILE).read()
    rc, output = run_playbook("overcloud_scale.yml", *extra, check=False)
    assert rc != 0
    assert message in " ".join(output.split()), output[-2000:]
    assert recap(output)["changed"] == 0
    assert (container_ids("controller-0"), container_ids("compute-2"), open(NODES_FILE).read()) == before
