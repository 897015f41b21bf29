"""The overcloud's Nova and Placement, through its VIP (validations nova-services-up and placement-resources).

    python nova_check.py CLOUD services|placement

Prints JSON: {"skipped": REASON} when the overcloud has no compute service, else {"problems": [...], "detail": TEXT};
each problem names the service or resource provider, what is wrong and where to look.
"""
import json
import sys

import openstack


def services(conn):
    found, problems = [], []
    for service in conn.compute.services():
        found.append("%s@%s:%s" % (service.binary, service.host, service.state))
        if service.state != "up":
            problems.append("%s on %s is %s (last report %s): see its container's log there (podman logs %s), or, for a "
                            "machine that left the overcloud, delete the service (openstack compute service delete %s)"
                            % (service.binary, service.host, service.state, service.updated_at or "never",
                               service.binary.replace("-", "_"), service.id))
    if not any(name.startswith("nova-compute@") for name in found):
        problems.append("no nova-compute service is registered: is nova_compute running on the computes?")
    return problems, ", ".join(sorted(found))


def placement(conn):
    providers = {p.name: p for p in conn.placement.resource_providers()}
    problems, seen = [], []
    for hypervisor in conn.compute.hypervisors(details=True):
        name = hypervisor.name
        provider = providers.get(name)
        if provider is None:
            problems.append("compute node %s has no resource provider in Placement: nova-compute on it cannot report "
                            "(see its log: podman logs nova_compute)" % name)
            continue
        inventory = {i.resource_class: i for i in conn.placement.resource_provider_inventories(provider)}
        for resource in ("VCPU", "MEMORY_MB", "DISK_GB"):
            item = inventory.get(resource)
            if item is None:
                problems.append("resource provider %s has no %s inventory" % (name, resource))
            elif item.total - item.reserved <= 0:
                problems.append("resource provider %s has no %s to give: total %s, reserved %s (lower the reservation, "
                                "e.g. overcloud_compute_reserved_memory_mb)" % (name, resource, item.total, item.reserved))
        seen.append("%s (%s)" % (name, ", ".join("%s %s" % (k, inventory[k].total) for k in sorted(inventory))))
    if not seen and not problems:
        problems.append("no compute node is registered with Nova, so Placement has nothing to place guests on")
    return problems, "; ".join(seen)


def main():
    cloud, which = sys.argv[1], sys.argv[2]
    conn = openstack.connect(cloud=cloud)
    if not any(s.type == "compute" for s in conn.identity.services()):
        print(json.dumps({"skipped": "the overcloud (%s) has no compute service" % cloud}))
        return
    problems, detail = (services if which == "services" else placement)(conn)
    print(json.dumps({"problems": problems, "detail": detail}))


if __name__ == "__main__":
    main()
