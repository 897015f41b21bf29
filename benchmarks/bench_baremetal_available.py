"""Benchmark: enroll a fleet of fake-hardware nodes with ports and bring them to "available".

Ours: `ooo.lifecycle.baremetal_nodes` then `ooo.lifecycle.baremetal_provision target=available`, two tasks
for the whole fleet.
Peer: `openstack.cloud.baremetal_node` in a loop, one task item per node, with `wait: true` (its
`register_machine` creates the node and its port, then runs manage and provide and waits for
"available"; `baremetal_node_action` only deploys and powers, so it has nothing to do here).
openstack.cloud 2.5.0 comes from the `ansible` package and needs openstacksdk < 4.15: it runs from
.work/bench-peer (openstacksdk 4.14.0, see bench_identity_catalog.py).
Floor: the same API calls as plain concurrent HTTP requests (POST node, POST port, manage, wait,
provide, wait), 16 threads on one keystone session.

All three against the same Ironic of the lab (`make lab` first), in one run. The peer loop is
serial and costs the same per node whatever the fleet size, so with --peer-sample K < N it runs
K nodes and its time for N is K's time scaled by N/K (printed as such).

    python benchmarks/bench_baremetal_available.py [--nodes 1000] [--peer-sample 100]
"""
import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from bench_baremetal_enroll import cleanup, raw_api
from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, ensure_peer_venv, run


def fleet(prefix, count, salt):
    return [{"name": "%s-%04d" % (prefix, i), "driver": "fake-hardware",
             "ports": [{"address": "52:54:02:%02x:%02x:%02x" % (salt, i // 256, i % 256)}],
             "properties": {"cpus": 4, "memory_mb": 8192, "local_gb": 40, "cpu_arch": "x86_64"}} for i in range(count)]


def ours_playbook(nodes):
    names = [n["name"] for n in nodes]
    return [{"name": "ours", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Enroll", "ooo.lifecycle.baremetal_nodes": {"cloud": "undercloud", "nodes": nodes, "concurrency": 16}},
        {"name": "Provide", "ooo.lifecycle.baremetal_provision": {"cloud": "undercloud", "nodes": names, "target": "available",
                                                                  "concurrency": 16, "poll_interval": 0.5, "timeout": 3600}}]}]


def peer_playbook(nodes):
    items = [{"name": n["name"], "mac": n["ports"][0]["address"], "properties": n["properties"]} for n in nodes]
    return [{"name": "peer", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Enroll and provide", "loop": items, "openstack.cloud.baremetal_node": {
            "cloud": "undercloud", "name": "{{ item.name }}", "driver": "fake-hardware", "driver_info": {},
            "nics": [{"mac": "{{ item.mac }}"}], "properties": "{{ item.properties }}", "wait": True, "timeout": 600}}]}]


def floor(conn, nodes):
    session, endpoint, headers = raw_api(conn)

    def wait_for(uuid, state):
        while True:
            node = session.get(endpoint + "/nodes/" + uuid, headers=headers).json()
            if node["provision_state"] == state and not node.get("target_provision_state"):
                return
            if node["provision_state"].endswith("failed"):
                raise RuntimeError("%s: %s" % (uuid, node.get("last_error")))
            time.sleep(0.5)

    def one(node):
        body = {"name": node["name"], "driver": "fake-hardware", "properties": node["properties"]}
        uuid = session.post(endpoint + "/nodes", data=json.dumps(body), headers=headers).json()["uuid"]
        session.post(endpoint + "/ports", data=json.dumps({"node_uuid": uuid, "address": node["ports"][0]["address"]}),
                     headers=headers)
        for verb, state in (("manage", "manageable"), ("provide", "available")):
            session.put(endpoint + "/nodes/%s/states/provision" % uuid, data=json.dumps({"target": verb}), headers=headers)
            wait_for(uuid, state)

    start = time.monotonic()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(one, nodes))
    return time.monotonic() - start


def count_available(conn, prefix):
    return sum(1 for n in conn.baremetal.nodes(fields=["name", "provision_state"])
               if n.name and n.name.startswith(prefix + "-") and n.provision_state == "available")


def main():
    import openstack
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--peer-sample", type=int, default=100, help="nodes the peer loop runs (scaled to --nodes)")
    args = parser.parse_args()
    conn = openstack.connect(cloud="undercloud")
    peer_python = ensure_peer_venv()
    ours_collections = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS)
    times = {}
    for salt, who in enumerate(("floor", "ours", "peer")):
        prefix = "bench-avail-%s" % who
        cleanup(conn, prefix)
        count = min(args.peer_sample, args.nodes) if who == "peer" else args.nodes
        nodes = fleet(prefix, count, salt)
        if who == "floor":
            elapsed, rerun = floor(conn, nodes), None
        elif who == "ours":
            elapsed, _changed = run(ours_playbook(nodes), VENV / "bin" / "python", ours_collections)
            rerun = run(ours_playbook(nodes), VENV / "bin" / "python", ours_collections)
        else:
            elapsed, _changed = run(peer_playbook(nodes), peer_python, str(PEER_COLLECTIONS))
            rerun = run(peer_playbook(nodes), peer_python, str(PEER_COLLECTIONS))
        ready = count_available(conn, prefix)
        if ready != count:
            raise SystemExit("%s: only %d of %d nodes available" % (who, ready, count))
        scaled = elapsed * args.nodes / count
        times[who] = (scaled, rerun, count, elapsed)
        print("%-5s %d nodes to available in %.1fs%s%s" % (
            who, count, elapsed, "" if count == args.nodes else " (x%d = %.1fs for %d)" % (args.nodes // count, scaled, args.nodes),
            "" if rerun is None else "; rerun %.1fs, %d changed" % rerun), flush=True)
        cleanup(conn, prefix)
    print()
    print("nodes=%d fake-hardware, one port each, enroll -> manageable -> available" % args.nodes)
    print("ours %.1fs   peer loop %.1fs%s   floor %.1fs" % (
        times["ours"][0], times["peer"][0], " (scaled from %d)" % times["peer"][2] if times["peer"][2] != args.nodes else "",
        times["floor"][0]))
    print("peer/ours: %.1fx   ours/floor: %.2fx" % (times["peer"][0] / times["ours"][0], times["ours"][0] / times["floor"][0]))
    if times["peer"][1]:
        print("rerun (no change): ours %.1fs for %d nodes, peer %.1fs for %d nodes"
              % (times["ours"][1][0], args.nodes, times["peer"][1][0], times["peer"][2]))


if __name__ == "__main__":
    main()
