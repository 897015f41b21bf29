"""One sanity question to the overcloud's APIs through the VIP, as its admin; prints {"answer": LIST} or, when the
question cannot be answered, {"error": "WHAT: WHY"}.

    python sanity_api.py CLOUD placement|compute-services|network
    python sanity_api.py CLOUD ready COMPUTES_JSON SECONDS AGENTS

placement: the resource providers' names; compute-services: each Nova service as BINARY@HOST:STATE; network:
Neutron's networks' names (a listing through the API and its database).

ready: waits, up to SECONDS, until every machine of COMPUTES_JSON (a list of host names) has its nova-compute service
up and, when AGENTS is true (the plan deploys the Open vSwitch agent), its agent alive in Neutron; answers each as
BINARY@HOST:up|alive, or, at the deadline, an error naming what is missing. A deployment from nothing ends within a
minute of the agents' start: a server booted before an agent's first report cannot have its port bound there, and Nova
gives up on it after trying every compute (Tempest's first run after CI's deployment from nothing failed so).
"""
import json
import sys
import time

QUESTIONS = {
    "placement": lambda conn: sorted(p.name for p in conn.placement.resource_providers()),
    "compute-services": lambda conn: sorted("%s@%s:%s" % (s.binary, s.host, s.state) for s in conn.compute.services()),
    "network": lambda conn: sorted(n.name for n in conn.network.networks()),
}


def missing_for(computes, services, agents):
    """What is not ready yet: a list of sentences, empty when every compute is. ``services`` maps a host to its
    nova-compute state; ``agents`` maps a host to whether its Open vSwitch agent is alive, or is None without
    Neutron."""
    missing = []
    for host in computes:
        if services.get(host) != "up":
            missing.append("nova-compute on %s is %s" % (host, services.get(host, "not registered")))
        if agents is not None and not agents.get(host):
            missing.append("the Open vSwitch agent on %s is %s" % (host, "not alive" if host in agents else "not registered"))
    return missing


def ready(conn, computes, seconds, with_network):
    deadline = time.monotonic() + seconds
    while True:
        services = dict((s.host, s.state) for s in conn.compute.services(binary="nova-compute"))
        agents = (dict((a.host, a.is_alive) for a in conn.network.agents(binary="neutron-openvswitch-agent"))
                  if with_network else None)
        missing = missing_for(computes, services, agents)
        if not missing:
            return sorted(["nova-compute@%s:up" % h for h in computes]
                          + (["neutron-openvswitch-agent@%s:alive" % h for h in computes] if with_network else []))
        if time.monotonic() >= deadline:
            raise RuntimeError("not ready after %d s: %s (see the container's log on that machine: podman logs "
                               "nova_compute or neutron_ovs_agent)" % (seconds, "; ".join(missing)))
        time.sleep(3)


def main():
    import openstack  # pylint: disable=import-outside-toplevel  # the pure part above is unit-tested without it

    cloud, question = sys.argv[1], sys.argv[2]
    try:
        conn = openstack.connect(cloud=cloud)
        if question == "ready":
            answer = ready(conn, json.loads(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "True")
        else:
            answer = QUESTIONS[question](conn)
        print(json.dumps({"answer": answer}))
    except Exception as error:  # pylint: disable=broad-exception-caught  # the sanity stage reports it, whatever it is
        print(json.dumps({"error": "%s: %s" % (type(error).__name__, error)}))


if __name__ == "__main__":
    main()
