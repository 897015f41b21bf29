"""Javelin's guest: a network, a port on it and a server with that port, made as the Javelin user before a major
upgrade and proven after it to be the same resources, the server ACTIVE on the same compute, the port bound there.

    javelin_guest.py CLOUD create SPEC_JSON     (the Javelin user's password in the environment: OS_JAVELIN_PASSWORD)
    javelin_guest.py CLOUD verify RECORD_JSON

CLOUD is the overcloud's admin entry of clouds.yaml (create takes its auth_url for the Javelin user; verify looks as
the admin, who sees where a port is bound). SPEC: {"user", "project", "network", "cidr", "port", "server", "image",
"flavor"}. create makes what is missing (a rerun reuses them by name) and waits for the server to be ACTIVE; both print
JSON {"ok": bool, "detail": TEXT, "record": {"server", "port", "network", "host"}}: the ids, and the compute it runs on;
or {"skipped": REASON, "record": {}} when the overcloud has no Nova, Neutron or Glance (create) or no guest was made
(verify).
"""
import json
import os
import sys

import openstack


def create(cloud, spec):
    admin = openstack.connect(cloud=cloud)
    conn = openstack.connect(auth_url=admin.config.get_auth_args()["auth_url"], username=spec["user"],
                             password=os.environ["OS_JAVELIN_PASSWORD"], project_name=spec["project"],
                             user_domain_name="Default", project_domain_name="Default",
                             region_name=admin.config.get_region_name())
    net = conn.network.find_network(spec["network"], ignore_missing=True) or conn.network.create_network(name=spec["network"])
    if not list(conn.network.subnets(network_id=net.id)):
        conn.network.create_subnet(network_id=net.id, name=spec["network"] + "-subnet", ip_version=4, cidr=spec["cidr"])
    port = conn.network.find_port(spec["port"], ignore_missing=True) or conn.network.create_port(network_id=net.id, name=spec["port"])
    server = conn.compute.find_server(spec["server"], ignore_missing=True)
    if server is None:
        image = conn.image.find_image(spec["image"], ignore_missing=False)
        flavor = conn.compute.find_flavor(spec["flavor"], ignore_missing=False)
        server = conn.compute.create_server(name=spec["server"], image_id=image.id, flavor_id=flavor.id, networks=[{"port": port.id}])
    server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
    return check(admin, {"server": server.id, "port": port.id, "network": net.id, "host": admin.compute.get_server(server.id).compute_host})


def check(admin, record):
    """The recorded server ACTIVE on its compute, the recorded port bound there and ACTIVE, on the recorded network."""
    problems = []
    server = admin.compute.find_server(record["server"], ignore_missing=True, all_projects=True)
    port = admin.network.find_port(record["port"], ignore_missing=True)
    if server is None:
        problems.append("server %s is gone" % record["server"])
    elif server.status != "ACTIVE":
        problems.append("server %s is %s, not ACTIVE (fault: %s)" % (server.id, server.status, (server.fault or {}).get("message")))
    elif server.compute_host != record["host"]:
        problems.append("server %s runs on %s, not on %s where it was made" % (server.id, server.compute_host, record["host"]))
    if port is None:
        problems.append("port %s is gone" % record["port"])
    else:
        if port.device_id != record["server"] or port.network_id != record["network"]:
            problems.append("port %s is on server %s, network %s" % (port.id, port.device_id, port.network_id))
        if port.status != "ACTIVE" or port.binding_host_id != record["host"] or port.binding_vif_type in (None, "unbound", "binding_failed"):
            problems.append("port %s is %s, bound to %s as %s" % (port.id, port.status, port.binding_host_id, port.binding_vif_type))
    detail = "; ".join(problems) or ("server %s ACTIVE on %s, port %s bound there (%s) on network %s"
                                     % (record["server"], record["host"], record["port"], port.binding_vif_type, record["network"]))
    return {"ok": not problems, "detail": detail, "record": record}


def main():
    cloud, action, arg = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    admin = openstack.connect(cloud=cloud)
    missing = sorted({"compute", "network", "image"} - {s.type for s in admin.identity.services()})
    if action == "create" and missing:
        result = {"skipped": "the overcloud has no %s service" % " or ".join(missing), "record": {}}
    elif action == "create":
        result = create(cloud, arg)
    elif not arg:
        result = {"skipped": "no Javelin guest was made before the upgrade", "record": {}}
    else:
        result = check(admin, arg)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
