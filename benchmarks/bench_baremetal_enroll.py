"""Benchmark: enrolling a fleet of fake-hardware nodes with ports in Ironic (enrollment only).

Ours: one `ooo.lifecycle.baremetal_nodes` task for the whole fleet.
Peer: `openstack.cloud.baremetal_node` in a loop, one task item per node (openstack.cloud 2.5.0
from the `ansible` package; it needs openstacksdk < 4.15, so it runs from .work/bench-peer,
made once with openstacksdk 4.14.0 - see bench_identity_catalog.py).
Floor: the same creates as plain concurrent HTTP requests to Ironic's API (8 threads).

All three against the same Ironic of the lab (`make lab` first), in one run; each tool
enrolls its own fleet twice (create, then a rerun that must change nothing), then it is deleted.

    python benchmarks/bench_baremetal_enroll.py [--nodes N]
"""
import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor

from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, ensure_peer_venv, run


def fleet(prefix, count):
    return [{"name": "%s-%04d" % (prefix, i), "driver": "fake-hardware",
             "ports": [{"address": "52:54:01:%02x:%02x:%02x" % (abs(hash(prefix)) % 256, i // 256, i % 256)}],
             "properties": {"cpus": 4, "memory_mb": 8192, "local_gb": 40, "cpu_arch": "x86_64"}} for i in range(count)]


def ours_playbook(nodes):
    return [{"name": "ours", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Enroll", "ooo.lifecycle.baremetal_nodes": {"cloud": "undercloud", "nodes": nodes, "concurrency": 8}}]}]


def peer_playbook(nodes):
    items = [{"name": n["name"], "mac": n["ports"][0]["address"], "properties": n["properties"]} for n in nodes]
    return [{"name": "peer", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Enroll", "loop": items, "openstack.cloud.baremetal_node": {
            "cloud": "undercloud", "name": "{{ item.name }}", "driver": "fake-hardware", "driver_info": {}, "nics": [{"mac": "{{ item.mac }}"}],
            "properties": "{{ item.properties }}"}}]}]


def raw_api(conn):
    """(keystone session, Ironic's /v1 URL, headers) for plain HTTP requests: the floor of the benchmarks."""
    endpoint = conn.baremetal.get_endpoint().rstrip("/")
    if not endpoint.endswith("/v1"):
        endpoint += "/v1"
    return conn.session, endpoint, {"X-OpenStack-Ironic-API-Version": "1.81", "Content-Type": "application/json"}


def floor(conn, nodes):
    """Plain API: POST /v1/nodes then POST /v1/ports per node, 8 at a time, one keystone session."""
    session, endpoint, headers = raw_api(conn)

    def one(node):
        body = {"name": node["name"], "driver": "fake-hardware", "properties": node["properties"]}
        created = session.post(endpoint + "/nodes", data=json.dumps(body), headers=headers).json()
        session.post(endpoint + "/ports", data=json.dumps({"node_uuid": created["uuid"], "address": node["ports"][0]["address"]}),
                     headers=headers)

    start = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, nodes))
    return time.monotonic() - start


def cleanup(conn, prefix):
    doomed = [n.id for n in conn.baremetal.nodes() if n.name and n.name.startswith(prefix)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(conn.baremetal.delete_node, doomed))


def main():
    import openstack
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100)
    args = parser.parse_args()
    conn = openstack.connect(cloud="undercloud")
    peer_python = ensure_peer_venv()
    times = {}
    for who in ("ours", "peer", "floor"):
        prefix = "bench-%s" % who
        cleanup(conn, prefix)
        nodes = fleet(prefix, args.nodes)
        if who == "floor":
            times[who] = (floor(conn, nodes), None)
        else:
            book = ours_playbook(nodes) if who == "ours" else peer_playbook(nodes)
            python = VENV / "bin" / "python" if who == "ours" else peer_python
            colls = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS) if who == "ours" else str(PEER_COLLECTIONS)
            create = run(book, python, colls)
            rerun = run(book, python, colls)
            times[who] = (create[0], rerun)
        cleanup(conn, prefix)
        print("%-5s create %.1fs%s" % (who, times[who][0], "" if times[who][1] is None else
                                       ", rerun %.1fs (%d changed)" % (times[who][1][0], times[who][1][1])), flush=True)
    print()
    print("nodes=%d (fake-hardware, one port each), enrollment only" % args.nodes)
    print("peer/ours create: %.1fx   ours/floor create: %.2fx   peer/ours rerun: %.1fx"
          % (times["peer"][0] / times["ours"][0], times["ours"][0] / times["floor"][0], times["peer"][1][0] / times["ours"][1][0]))


if __name__ == "__main__":
    main()
