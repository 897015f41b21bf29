"""molecule verify (testinfra): the undercloud as the main command leaves it, read from the operator's clouds.yaml."""
import json

testinfra_hosts = ["ansible://localhost"]

CATALOG = """
import json, openstack
conn = openstack.connect(cloud="undercloud")
over = openstack.connect(cloud="overcloud")
print(json.dumps({"token": bool(conn.auth_token), "types": sorted(s.type for s in conn.identity.services()),
                  "nodes": dict((n.name, [n.provision_state, n.is_maintenance]) for n in conn.baremetal.nodes(details=True)),
                  "overcloud": sorted(s.type for s in over.identity.services()),
                  "overcloud_images": sorted(i.name for i in over.image.images())}))
"""


def test_catalog_nodes_and_the_overcloud_answer(host):
    out = host.check_output("/opt/ooo-undercloud/venv/bin/python -c %s", CATALOG)
    catalog = json.loads(out)
    assert catalog["token"]
    assert catalog["types"] == ["baremetal", "identity", "image", "orchestration"]
    # The overcloud the main command deployed answers through its VIP.
    assert catalog["overcloud"] == ["compute", "identity", "image", "network", "placement"]
    assert "overcloud-sanity" in catalog["overcloud_images"]
    # The deployment's machines, deployed by Ironic from the golden image; the black sheep inspected, quarantined, not
    # made available.
    nodes = catalog["nodes"]
    assert nodes["controller-0"] == ["active", False] and nodes["compute-0"] == ["active", False]
    assert nodes["compute-2"] == ["active", False]
    assert nodes["compute-1"] == ["manageable", True]
