"""The overcloud's Nova, Placement and Neutron, through its VIP (validations nova-services-up, placement-resources
and neutron-agents-alive).

    python nova_check.py CLOUD services|placement|agents

Prints JSON: {"skipped": REASON} when the overcloud has no compute (network, for agents) service, else
{"problems": [...], "detail": TEXT}; each problem names the service, resource provider or agent, what is wrong and
where to look.
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


def agents(conn):
    """Every Neutron agent alive and up, and one Open vSwitch agent on each machine that runs nova-compute."""
    problems, found = [], {}
    for agent in conn.network.agents():
        found.setdefault(agent.host, []).append(agent.binary)
        if not agent.is_alive:
            problems.append("%s on %s is not alive (last heartbeat %s): see its container's log there (podman logs %s), "
                            "or, for a machine that left the overcloud, delete the agent (openstack network agent delete %s)"
                            % (agent.binary, agent.host, agent.last_heartbeat_at or "never",
                               agent.binary.replace("neutron-openvswitch-agent", "neutron_ovs_agent"), agent.id))
        elif not agent.is_admin_state_up:
            problems.append("%s on %s is administratively down: openstack network agent set --enable %s"
                            % (agent.binary, agent.host, agent.id))
    for service in conn.compute.services(binary="nova-compute"):
        if "neutron-openvswitch-agent" not in found.get(service.host, []):
            problems.append("compute %s has no Open vSwitch agent, so no port can be bound there: is neutron_ovs_agent "
                            "running on it?" % service.host)
    return problems, "; ".join("%s: %s" % (host, ", ".join(sorted(b))) for host, b in sorted(found.items()))


CHECKS = {"services": ("compute", services), "placement": ("compute", placement), "agents": ("network", agents)}


def main():
    cloud, which = sys.argv[1], sys.argv[2]
    service_type, check = CHECKS[which]
    conn = openstack.connect(cloud=cloud)
    if not any(s.type == service_type for s in conn.identity.services()):
        print(json.dumps({"skipped": "the overcloud (%s) has no %s service" % (cloud, service_type)}))
        return
    problems, detail = check(conn)
    print(json.dumps({"problems": problems, "detail": detail}))


if __name__ == "__main__":
    main()
