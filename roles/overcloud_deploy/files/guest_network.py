"""The overcloud's external network (from the plan's) and the test guests' tenant network with its router.

    guest_network.py CLOUD SPEC_JSON CHECK

SPEC: {"external": {"name", "physnet", "cidr", "gateway"}, "tenant": {"name", "cidr", "router"}}.
The external subnet's floating IPs are the upper half of its addresses less the gateway: the machines' own addresses
on that network (the plan's predictable IPs) are in the lower half.
Creates what is missing, in order: the external network (flat on its physical network, router:external) and its
subnet (no DHCP; floating IPs from the pool), the tenant network and its subnet (DHCP), the router with its gateway on
the external network and an interface on the tenant subnet. What exists with other figures is an error that names the
resource, the field and the fix, before anything is created. CHECK ("True"): create nothing, say what would be.
Prints JSON: {"created": [what was (or would be) created], "router": ID or null}.
"""
import ipaddress
import json
import sys

import openstack


def fail(msg):
    sys.exit("guest_network: " + msg)


def differs(kind, name, have, want):
    """The fields of an existing resource that are not what the spec says, as sentences."""
    return ["%s %s has %s=%s, not %s" % (kind, name, k, have.get(k), v) for k, v in want.items() if have.get(k) != v]


def upper_half(cidr, gateway):
    """The first and last address of the upper half of cidr's hosts, the gateway left out."""
    hosts = [str(h) for h in ipaddress.ip_network(cidr).hosts() if str(h) != gateway]
    return hosts[len(hosts) // 2], hosts[-1]


def main():
    cloud, spec, check = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3] == "True"
    ext, ten = spec["external"], spec["tenant"]
    conn = openstack.connect(cloud=cloud)
    net = conn.network

    # First every question, then every write: a mismatch stops before anything is created.
    problems, plan = [], []
    ext_net = net.find_network(ext["name"], ignore_missing=True)
    if ext_net is not None:
        have = {"is_router_external": ext_net.is_router_external, "provider_network_type": ext_net.provider_network_type,
                "provider_physical_network": ext_net.provider_physical_network}
        want = {"is_router_external": True, "provider_network_type": "flat", "provider_physical_network": ext["physnet"]}
        problems += differs("network", ext["name"], have, want)
    ext_sub = net.find_subnet(ext["name"] + "-subnet", ignore_missing=True)
    if ext_sub is not None:
        problems += differs("subnet", ext_sub.name, {"cidr": ext_sub.cidr, "gateway_ip": ext_sub.gateway_ip},
                            {"cidr": ext["cidr"], "gateway_ip": ext["gateway"]})
    ten_net = net.find_network(ten["name"], ignore_missing=True)
    ten_sub = net.find_subnet(ten["name"] + "-subnet", ignore_missing=True)
    if ten_sub is not None:
        problems += differs("subnet", ten_sub.name, {"cidr": ten_sub.cidr}, {"cidr": ten["cidr"]})
    router = net.find_router(ten["router"], ignore_missing=True)
    if router is not None and ext_net is not None:
        gw = (router.external_gateway_info or {}).get("network_id")
        if gw != ext_net.id:
            problems.append("router %s has its gateway on %s, not on %s" % (ten["router"], gw, ext["name"]))
    if problems:
        fail("; ".join(problems) + ". Delete these resources (openstack router/subnet/network delete) or name others "
             "in overcloud_guest_network and overcloud_external_network")

    for kind, name, have in (("network", ext["name"], ext_net), ("subnet", ext["name"] + "-subnet", ext_sub),
                             ("network", ten["name"], ten_net), ("subnet", ten["name"] + "-subnet", ten_sub),
                             ("router", ten["router"], router)):
        if have is None:
            plan.append("%s %s" % (kind, name))
    attached = False
    if router is not None and ten_sub is not None:
        attached = any(ip.get("subnet_id") == ten_sub.id for p in net.ports(device_id=router.id)
                       for ip in p.fixed_ips or [])
    if not attached:
        plan.append("router interface %s on %s-subnet" % (ten["router"], ten["name"]))
    if check or not plan:
        print(json.dumps({"created": plan, "router": router.id if router else None}))
        return

    if ext_net is None:
        ext_net = net.create_network(name=ext["name"], is_router_external=True, provider_network_type="flat",
                                     provider_physical_network=ext["physnet"])
    if ext_sub is None:
        start, end = upper_half(ext["cidr"], ext["gateway"])
        net.create_subnet(name=ext["name"] + "-subnet", network_id=ext_net.id, ip_version=4, cidr=ext["cidr"],
                          gateway_ip=ext["gateway"], is_dhcp_enabled=False, allocation_pools=[{"start": start, "end": end}])
    if ten_net is None:
        ten_net = net.create_network(name=ten["name"])
    if ten_sub is None:
        ten_sub = net.create_subnet(name=ten["name"] + "-subnet", network_id=ten_net.id, ip_version=4, cidr=ten["cidr"],
                                    is_dhcp_enabled=True)
    if router is None:
        router = net.create_router(name=ten["router"], external_gateway_info={"network_id": ext_net.id})
    if not attached:
        net.add_interface_to_router(router, subnet_id=ten_sub.id)
    print(json.dumps({"created": plan, "router": router.id}))


if __name__ == "__main__":
    main()
