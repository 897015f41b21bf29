"""Benchmark: registering service users, role assignments, services and endpoints in Keystone.

Ours: one `ooo.lifecycle.identity_catalog` task for the whole set.
Peer: what an operator would otherwise write, the openstack.cloud modules of the
`ansible` package (project, identity_role, identity_user, role_assignment,
catalog_service, endpoint), one task per kind looping over the items. openstack.cloud
2.5.0 fails with openstacksdk >= 4.15, so the peer runs from its own venv with
openstacksdk 4.14.0, made once under .work/bench-peer.

Both run against the real undercloud of the lab (`make lab` first), side by side,
each twice: the first run creates everything, the second must change nothing.
Prints wall times, the number of changed tasks/items, and the ratios.

    python benchmarks/bench_identity_catalog.py [--services N] [--rounds R]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOP = Path(__file__).resolve().parents[1]
VENV = TOP / ".venv"
PEER_VENV = TOP / ".work" / "bench-peer"
PEER_COLLECTIONS = next((VENV / "lib").glob("python3*/site-packages"))


def ensure_peer_venv():
    python = PEER_VENV / "bin" / "python"
    marker = PEER_VENV / ".ready"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(PEER_VENV / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                        "ansible-core==2.19.14", "openstacksdk==4.14.0"], check=True)
        marker.write_text("ok\n")
    return python


def items(prefix, count):
    return [dict(name="%s-svc%02d" % (prefix, i), type="%s-type%02d" % (prefix, i), password="Bench-%s-%02d-pw" % (prefix, i),
                 public="http://198.18.0.1:%d" % (20000 + i), internal="http://198.18.0.1:%d" % (21000 + i))
            for i in range(count)]


def ours_playbook(prefix, count):
    svcs = items(prefix, count)
    task = {
        "name": "Register the services",
        "ooo.lifecycle.identity_catalog": {
            "cloud": "undercloud",
            "projects": [{"name": prefix + "-project"}],
            "users": [{"name": s["name"], "password": s["password"], "roles": [{"role": "admin", "project": prefix + "-project"}]}
                      for s in svcs],
            "services": [{"name": s["name"], "type": s["type"], "endpoints": {"public": s["public"], "internal": s["internal"]}}
                         for s in svcs],
        },
    }
    return [{"name": "ours", "hosts": "localhost", "gather_facts": False, "tasks": [task]}]


def peer_playbook(prefix, count):
    svcs = items(prefix, count)
    endpoints = [dict(service=s["name"], interface=i, url=s[i]) for s in svcs for i in ("public", "internal")]
    tasks = [
        {"name": "Project", "openstack.cloud.project": {"name": prefix + "-project", "domain": "default"}},
        {"name": "Users", "loop": svcs, "no_log": True,
         "openstack.cloud.identity_user": {"name": "{{ item.name }}", "password": "{{ item.password }}", "domain": "default",
                                           "update_password": "always"}},
        {"name": "Role assignments", "loop": svcs,
         "openstack.cloud.role_assignment": {"user": "{{ item.name }}", "role": "admin", "project": prefix + "-project"}},
        {"name": "Services", "loop": svcs,
         "openstack.cloud.catalog_service": {"name": "{{ item.name }}", "service_type": "{{ item.type }}"}},
        {"name": "Endpoints", "loop": endpoints,
         "openstack.cloud.endpoint": {"service": "{{ item.service }}", "endpoint_interface": "{{ item.interface }}",
                                      "url": "{{ item.url }}", "region": "regionOne"}},
    ]
    return [{"name": "peer", "hosts": "localhost", "gather_facts": False,
             "module_defaults": {"group/openstack.cloud.openstack": {"cloud": "undercloud"}}, "tasks": tasks}]


def run(playbook, python, collections):
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as handle:
        json.dump(playbook, handle)
        path = handle.name
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_PYTHON_INTERPRETER=str(python), ANSIBLE_CONFIG=str(TOP / "ansible.cfg"))
    start = time.monotonic()
    proc = subprocess.run([str(Path(python).parent / "ansible-playbook"), "-i", "localhost,", "-c", "local", path],
                          capture_output=True, text=True, env=env, cwd=TOP, check=False)
    elapsed = time.monotonic() - start
    os.unlink(path)
    if proc.returncode != 0:
        raise SystemExit("playbook failed:\n%s\n%s" % (proc.stdout[-3000:], proc.stderr[-3000:]))
    data = json.loads(proc.stdout)
    changed = 0
    for task in data["plays"][0]["tasks"]:
        result = task["hosts"]["localhost"]
        changed += sum(1 for r in result.get("results", [result]) if r.get("changed"))
    return elapsed, changed


def cleanup(prefix, count):
    import openstack
    conn = openstack.connect(cloud="undercloud")
    ident = conn.identity
    names = {s["name"] for s in items(prefix, count)}
    services = {s.id for s in ident.services() if s.name in names}
    for ep in list(ident.endpoints()):
        if ep.service_id in services:
            ident.delete_endpoint(ep)
    for sid in services:
        ident.delete_service(sid)
    for user in list(ident.users()):
        if user.name in names:
            ident.delete_user(user)
    project = ident.find_project(prefix + "-project")
    if project:
        ident.delete_project(project)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    peer_python = ensure_peer_venv()
    ours_collections = "%s:%s" % (TOP / ".collections", PEER_COLLECTIONS)
    rows = []
    for round_no in range(args.rounds):
        for who in ("ours", "peer"):
            prefix = "bench-%s-%d" % (who, round_no)
            cleanup(prefix, args.services)
            if who == "ours":
                book, python, colls = ours_playbook(prefix, args.services), VENV / "bin" / "python", ours_collections
            else:
                book, python, colls = peer_playbook(prefix, args.services), peer_python, str(PEER_COLLECTIONS)
            create = run(book, python, colls)
            rerun = run(book, python, colls)
            cleanup(prefix, args.services)
            rows.append((who, round_no, create, rerun))
            print("%-5s round %d: create %.1fs (%d changed), rerun %.1fs (%d changed)"
                  % (who, round_no, create[0], create[1], rerun[0], rerun[1]), flush=True)

    def best(who, index):
        return min(r[index][0] for r in rows if r[0] == who)

    print()
    print("services=%d (each: user, role assignment, service, 2 endpoints)" % args.services)
    print("%-22s %8s %8s %7s" % ("", "ours", "peer", "peer/ours"))
    for label, index in (("create (best of rounds)", 2), ("rerun (best of rounds)", 3)):
        print("%-22s %7.1fs %7.1fs %6.1fx" % (label, best("ours", index), best("peer", index), best("peer", index) / best("ours", index)))
    ours_rerun_changes = max(r[3][1] for r in rows if r[0] == "ours")
    peer_rerun_changes = max(r[3][1] for r in rows if r[0] == "peer")
    print("changed items on rerun: ours %d, peer %d" % (ours_rerun_changes, peer_rerun_changes))


if __name__ == "__main__":
    main()
