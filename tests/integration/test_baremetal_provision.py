"""ooo.lifecycle.baremetal_provision against the real Ironic (fake-hardware nodes)."""
import uuid

import pytest

from conftest import run_module

ENROLL = "ooo.lifecycle.baremetal_nodes"
MODULE = "ooo.lifecycle.baremetal_provision"


@pytest.fixture
def nodes(conn):
    prefix = "pv%s" % uuid.uuid4().hex[:4]
    names = ["%s-%d" % (prefix, i) for i in range(3)]
    run_module(ENROLL, {"cloud": "undercloud", "nodes": [
        {"name": n, "driver": "fake-hardware", "ports": [{"address": "52:54:00:%s:%02x:01" % (prefix[-2:], i)}]}
        for i, n in enumerate(names)]})
    yield names
    for name in names:
        node = conn.baremetal.find_node(name)
        if node is not None:
            conn.baremetal.set_node_maintenance(node, "test cleanup")
            conn.baremetal.delete_node(node)


def states_of(conn, names):
    return [conn.baremetal.get_node(n).provision_state for n in names]


def four_times(args):
    results = [run_module(MODULE, args, check=True), run_module(MODULE, args), run_module(MODULE, args, check=True),
               run_module(MODULE, args)]
    for result in results:
        assert not result.get("failed"), result.get("msg")
        assert {"changed", "nodes", "writes"} <= set(result)
    return results


def test_enroll_to_available_check_apply_check_apply(conn, nodes):
    args = {"cloud": "undercloud", "nodes": nodes, "target": "available", "poll_interval": 0.5}
    first, second, third, fourth = four_times(args)
    assert first["changed"] and first["writes"] == 0
    assert [r["verbs"] for r in first["nodes"]] == [["manage", "provide"]] * 3
    assert second["changed"] and [r["verbs"] for r in second["nodes"]] == [["manage", "provide"]] * 3
    assert all(r["before"] == "enroll" and r["after"] == "available" for r in second["nodes"])
    assert not third["changed"] and not fourth["changed"] and fourth["writes"] == 0
    assert states_of(conn, nodes) == ["available"] * 3


def test_to_active_and_back(conn, nodes):
    args = {"cloud": "undercloud", "nodes": nodes, "target": "active", "poll_interval": 0.5}
    result = run_module(MODULE, args)
    assert not result.get("failed"), result.get("msg")
    assert [r["verbs"] for r in result["nodes"]] == [["manage", "provide", "active"]] * 3
    assert states_of(conn, nodes) == ["active"] * 3
    assert not run_module(MODULE, args)["changed"]
    # Making the fleet available never undeploys a deployed machine.
    kept = run_module(MODULE, dict(args, target="available"))
    assert not kept["changed"] and kept["writes"] == 0 and all(r.get("skipped") and "Left node" in r["msg"] for r in kept["nodes"])
    assert states_of(conn, nodes) == ["active"] * 3
    back = run_module(MODULE, dict(args, target="undeployed"))
    assert [r["verbs"] for r in back["nodes"]] == [["deleted"]] * 3
    assert states_of(conn, nodes) == ["available"] * 3
    down = run_module(MODULE, dict(args, target="manageable", nodes=nodes[:1]))
    assert down["nodes"][0]["verbs"] == ["manage"]


def test_failed_deploy_follows_the_policy(conn, nodes):
    run_module(MODULE, {"cloud": "undercloud", "nodes": nodes, "target": "available", "poll_interval": 0.5})
    # A deploy that fails for real: the node's deploy interface refuses (a deploy step that does not exist).
    broken = nodes[0]
    conn.baremetal.patch_node(broken, [{"op": "add", "path": "/instance_info/image_source", "value": "http://198.18.0.1:1/none"}])
    conn.baremetal.update_node(broken, deploy_interface="direct")
    args = {"cloud": "undercloud", "nodes": nodes, "target": "active", "poll_interval": 0.5, "timeout": 120}
    failed = run_module(MODULE, dict(args, on_failure="maintenance"))
    by_name = {r["name"]: r for r in failed["nodes"]}
    assert not failed.get("failed")
    assert by_name[broken].get("failed") is True and by_name[broken].get("maintenance") is True
    assert by_name[nodes[1]]["after"] == "active" and by_name[nodes[2]]["after"] == "active"
    node = conn.baremetal.get_node(broken)
    assert node.is_maintenance and node.maintenance_reason.startswith("ooo.lifecycle: Failed to")
    # In maintenance now: by default it is set aside, not driven and not a failure.
    skipped = run_module(MODULE, dict(args, nodes=[broken], on_failure="fail"))
    assert not skipped.get("failed") and not skipped["changed"] and skipped["writes"] == 0
    assert skipped["nodes"][0]["skipped"] is True and "in maintenance (ooo.lifecycle: Failed to" in skipped["nodes"][0]["msg"]
    stopped = run_module(MODULE, dict(args, nodes=[broken], on_failure="fail", skip_maintenance=False))
    assert stopped.get("failed") is True
    assert stopped["msg"].startswith("Failed to bring 1 of 1 nodes to active")


def test_unknown_nodes_are_named_before_any_write(conn, nodes):
    """One mistyped name among good ones: refused up front, every unknown name given, no node touched."""
    before = [conn.baremetal.get_node(n).updated_at for n in nodes]
    result = run_module(MODULE, {"cloud": "undercloud", "nodes": nodes + ["no-such-node", "nor-this-one"], "target": "available"})
    assert result["failed"]
    for name in ("no-such-node", "nor-this-one"):
        assert "nodes: %s is not a node of Ironic; enroll it first" % name in result["msg"], result["msg"]
    assert states_of(conn, nodes) == ["enroll"] * 3
    assert [conn.baremetal.get_node(n).updated_at for n in nodes] == before
    single = run_module(MODULE, {"cloud": "undercloud", "nodes": ["no-such-node"], "target": "available"})
    assert single["failed"] and "nodes: no-such-node is not a node of Ironic" in single["msg"]
