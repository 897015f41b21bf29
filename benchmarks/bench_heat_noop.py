"""Benchmark: 20 successive no-op runs of a 50-resource Heat stack.

Side by side against the undercloud's Heat, the same template and parameters:
- ours: `ooo.lifecycle.heat_stack`;
- peer: `openstack.cloud.stack` of the `ansible` package (own venv with openstacksdk 4.14.0).
Each creates its stack once, then runs N more times with nothing changed. Counted per tool: the
update calls Heat received (stack-level UPDATE_IN_PROGRESS events, read from Heat, not from the
tools' own reports), the runs reporting changed, and the time of the N runs.

    python benchmarks/bench_heat_noop.py [--resources 50] [--runs 20]
"""
import argparse
import uuid

from bench_identity_catalog import PEER_COLLECTIONS, TOP, VENV, ensure_peer_venv
from bench_image_upload import WORK, run_task


def write_template(path, count):
    lines = ["---", "heat_template_version: 2021-04-16", "parameters:", "  prefix:", "    type: string", "resources:"]
    for i in range(count):
        lines += ["  value_%02d:" % i, "    type: OS::Heat::Value", "    properties:", "      type: string",
                  "      value: {list_join: ['-', [{get_param: prefix}, '%02d']]}" % i]
    lines += ["outputs:", "  first:", "    value: {get_attr: [value_00, value]}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def update_events(conn, name):
    """How many updates Heat ran on the stack (its own UPDATE_IN_PROGRESS events)."""
    stack = conn.orchestration.get("/stacks/%s" % name).json()["stack"]
    events = conn.orchestration.get("/stacks/%s/%s/events" % (name, stack["id"]), params={"limit": 1000}).json()["events"]
    return sum(1 for e in events if e.get("resource_name") == name and e.get("resource_status") == "UPDATE_IN_PROGRESS")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--resources", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    import openstack
    conn = openstack.connect(cloud="undercloud")
    peer_python = ensure_peer_venv()
    template = WORK / ("stack-%d.yaml" % args.resources)
    write_template(template, args.resources)
    prefix = "bench-noop-%s" % uuid.uuid4().hex[:6]
    tools = {
        "ours": (VENV / "bin" / "python", "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS),
                 {"ooo.lifecycle.heat_stack": {"cloud": "undercloud", "name": prefix + "-ours", "template": str(template),
                                               "parameters": {"prefix": "p"}, "timeout": 600}}),
        "peer": (peer_python, str(PEER_COLLECTIONS),
                 {"openstack.cloud.stack": {"cloud": "undercloud", "name": prefix + "-peer", "template": str(template),
                                            "parameters": {"prefix": "p"}, "timeout": 600}}),
    }
    rows = {}
    try:
        for who, (python, colls, task) in tools.items():
            create, _result = run_task(task, python, colls)
            total, changed = 0.0, 0
            for _run in range(args.runs):
                elapsed, result = run_task(task, python, colls)
                total += elapsed
                changed += 1 if result.get("changed") else 0
            rows[who] = dict(create=create, total=total, changed=changed, updates=update_events(conn, task[next(iter(task))]["name"]))
    finally:
        for who, (python, colls, task) in tools.items():
            name = task[next(iter(task))]["name"]
            run_task({"ooo.lifecycle.heat_stack": {"cloud": "undercloud", "name": name, "state": "absent"}}, VENV / "bin" / "python",
                     tools["ours"][1])
    print("stack of %d OS::Heat::Value resources, %d no-op runs after the create" % (args.resources, args.runs))
    print("%-6s %9s %12s %10s %14s %16s" % ("", "create s", "no-op runs s", "per run s", "changed runs", "Heat updates run"))
    for who in ("ours", "peer"):
        r = rows[who]
        print("%-6s %9.2f %12.2f %10.2f %14d %16d" % (who, r["create"], r["total"], r["total"] / args.runs, r["changed"], r["updates"]))
    print("ratio peer/ours, time of the no-op runs: %.1fx; update calls: ours %d, peer %d"
          % (rows["peer"]["total"] / rows["ours"]["total"], rows["ours"]["updates"], rows["peer"]["updates"]))


if __name__ == "__main__":
    main()
