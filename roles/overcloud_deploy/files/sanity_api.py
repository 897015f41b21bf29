"""One sanity question to the overcloud's APIs through the VIP, as its admin; prints {"answer": LIST} or, when the
question cannot be answered, {"error": "WHAT: WHY"}.

    python sanity_api.py CLOUD placement|compute-services|network

placement: the resource providers' names; compute-services: each Nova service as BINARY@HOST:STATE; network:
Neutron's networks' names (a listing through the API and its database).
"""
import json
import sys

import openstack

QUESTIONS = {
    "placement": lambda conn: sorted(p.name for p in conn.placement.resource_providers()),
    "compute-services": lambda conn: sorted("%s@%s:%s" % (s.binary, s.host, s.state) for s in conn.compute.services()),
    "network": lambda conn: sorted(n.name for n in conn.network.networks()),
}


def main():
    cloud, question = sys.argv[1], sys.argv[2]
    try:
        print(json.dumps({"answer": QUESTIONS[question](openstack.connect(cloud=cloud))}))
    except Exception as error:  # pylint: disable=broad-exception-caught  # the sanity stage reports it, whatever it is
        print(json.dumps({"error": "%s: %s" % (type(error).__name__, error)}))


if __name__ == "__main__":
    main()
