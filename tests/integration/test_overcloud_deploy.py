"""playbooks/overcloud_deploy.yml on the lab: plan -> validations -> fleet -> nodes -> network -> steps 1..5 -> sanity.

A real overcloud: MariaDB, HAProxy on a VIP, memcached, RabbitMQ, Keystone, Placement, Nova's control plane (API,
conductor, scheduler, cells v2), Neutron's API and Glance on the controller; libvirt, QEMU (TCG) and nova-compute, and a light
status service, on the computes; all from the one services image in the undercloud registry. A server boots as a
QEMU process. Tested: steps in order on every machine, each validated before the next,
markers, a rerun that changes nothing, and the overcloud answering through the VIP. A failed step and the resume from
it: test_lab_restored.py, which ends the suite by deploying the overcloud from nothing again.
"""
import os
import re

import pytest
import yaml

from conftest import DEPLOYED, containers, haproxy_backends, machine, recap, run_playbook, running, summary, undeploy

PASSWORDS = "/etc/ooo-undercloud/overcloud-passwords.yml"
PLAN_IMAGE = "198.18.0.1:8787/ooo/services:2026.2"
REPORT = "/var/lib/ooo-undercloud/reports/overcloud-deploy.md"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def deployed(lab, lab_rerun):
    """The output of a deployment from nothing, and of a rerun.

    The lab run (lab.yml, the main command) deploys the overcloud from nothing on a fresh machine, and these tests
    run first: its output is the first deployment, and molecule's idempotence step (lab.yml again, every stage
    included) is the rerun. On a lab that was up already, the overcloud is removed and deployed here, and run again.
    The deployment itself builds and pushes the images when the registry lacks them.
    """
    rows = summary(lab)
    if rows and all(applied == "3/3" for applied, _note in rows.values()):
        first = lab
    else:
        undeploy()
        _rc, first = run_playbook("overcloud_deploy.yml", "-e", "overcloud_fleet=false")
        lab_rerun = None
    if lab_rerun is None:
        _rc, again = run_playbook("overcloud_deploy.yml", "-e", "overcloud_fleet=false")
    else:
        again = lab_rerun
    return first, again


def test_deploy_brings_each_role_up_step_by_step(deployed):
    first, _again = deployed
    rows = summary(first)
    assert sorted(rows) == [1, 2, 3, 4, 5], first[-3000:]
    assert all(applied == "3/3" for applied, _note in rows.values()), rows
    controller = containers("controller-0")
    assert controller["mysql"][:2] == ("tripleo_step1", "running") and controller["keystone"][:2] == ("tripleo_step3", "running")
    assert controller["keystone_db_sync"] == ("tripleo_step2", "exited", 0), "the one-shot ran and exited 0"
    assert controller["haproxy"][:2] == ("tripleo_step1", "running") and controller["glance_api"][:2] == ("tripleo_step4", "running")
    assert controller["memcached"][:2] == ("tripleo_step1", "running")
    assert controller["placement_db_sync"] == ("tripleo_step2", "exited", 0)
    assert controller["placement_api"][:2] == ("tripleo_step3", "running")
    assert controller["rabbitmq"][:2] == ("tripleo_step1", "running") and controller["rabbitmq_bootstrap"] == ("tripleo_step1", "exited", 0)
    assert controller["nova_db_sync"] == ("tripleo_step2", "exited", 0)
    for name in ("nova_api", "nova_conductor", "nova_scheduler"):
        assert controller[name][:2] == ("tripleo_step4", "running"), name
    assert controller["neutron_db_sync"] == ("tripleo_step2", "exited", 0)
    assert controller["neutron_api"][:2] == controller["neutron_rpc_server"][:2] == ("tripleo_step4", "running")
    assert controller["nova_discover_hosts"] == ("tripleo_step5", "exited", 0), "the computes were mapped to cell1"
    for compute in ("compute-0", "compute-2"):
        running_there = containers(compute)
        assert running_there["compute_agent"][:2] == ("tripleo_step4", "running")
        assert running_there["nova_virtlogd"][:2] == running_there["nova_libvirt"][:2] == ("tripleo_step3", "running")
        assert running_there["nova_compute"][:2] == running_there["neutron_ovs_agent"][:2] == ("tripleo_step4", "running")
    assert not running("ooo-lab-compute-1"), "the quarantined black sheep is not deployed: it runs nothing"
    for host in DEPLOYED:
        markers = machine(host, "ls", "/var/lib/ooo-lifecycle/deploy-steps").stdout.split()
        assert markers == ["step_%d.json" % n for n in range(1, 6)]
    report = open(REPORT).read()
    assert "| Controller | controller-0 |" in report and "| Compute | compute-0, compute-2 |" in report
    assert "containers-healthy=PASSED" in report and "undercloud-services=PASSED" in report
    html = open(REPORT.replace(".md", ".html")).read()
    assert html.count("<rect ") == 5, "one bar per step in the timeline"


def test_rerun_changes_nothing_and_skips_every_step(deployed):
    _first, again = deployed
    for host in DEPLOYED + ["localhost"]:
        assert recap(again, host)["changed"] == 0, (host, again[-3000:])
    assert all(applied == "0/3" for applied, _note in summary(again).values())


def test_check_mode_on_the_deployed_overcloud_predicts_no_change(deployed):
    """Check mode after the deployment and its rerun: every task runs (or is predicted), nothing fails, and nothing
    would change on any machine or on the undercloud. (It failed outright until 2026-12-07: the registry's image check
    was a uri task, which does not run in check mode.) The fleet and the validation groups have their own tests."""
    rc, output = run_playbook("overcloud_deploy.yml", "--check", "-e",
                              '{"overcloud_fleet": false, "overcloud_validations": false}', check=False)
    assert rc == 0, output[-3000:]
    for host in DEPLOYED + ["localhost"]:
        assert recap(output, host)["changed"] == 0, (host, output[-3000:])


def test_the_overcloud_answers_through_the_vip_and_keeps_its_secrets(deployed, lab):
    import openstack
    first, again = deployed
    conn = openstack.connect(cloud="overcloud")
    assert conn.session.get_token(), "a token from the overcloud's Keystone through the VIP"
    assert {"identity", "image", "placement", "compute", "network"} <= {s.type for s in conn.identity.services()}
    images = {i.name: i for i in conn.image.images()}
    assert images["overcloud-sanity"].status == "active", "the sanity stage uploaded an image through the VIP"
    assert "sanity:token=PASSED" in again and "sanity:image-upload-list=PASSED" in again and "sanity:placement=PASSED" in again
    assert "sanity:compute-services=PASSED" in again and "sanity:network=PASSED" in again
    backends = haproxy_backends()
    assert backends == [("compute_status", "compute-0", "UP"), ("compute_status", "compute-2", "UP"),
                        ("glance_api", "controller-0", "UP"), ("keystone_public", "controller-0", "UP"),
                        ("neutron_api", "controller-0", "UP"), ("nova_api", "controller-0", "UP"),
                        ("placement_api", "controller-0", "UP")], backends
    secrets = yaml.safe_load(open(PASSWORDS))
    for name, secret in secrets.items():
        for text in (first, again, lab):
            assert secret not in text, "overcloud password %s leaked in a deploy output" % name
    for host in DEPLOYED:
        listing = machine(host, "sh", "-c", "podman inspect $(podman ps -aq) 2>/dev/null; cat /var/lib/ooo-lifecycle/container-startup-config/*").stdout
        for name, secret in secrets.items():
            assert secret not in listing, "overcloud password %s in a container definition on %s" % (name, host)


def test_the_sanity_stage_ends_with_tempest_green_every_skip_explained(deployed):
    """roles/tempest from the sanity stage: the smoke tests through the VIP, 0 failed, each skip with its reason and
    each exclusion with its own; the summary in the report and the workspace; the admin password only in tempest.conf
    (0600), never in Tempest's log, its summary or the deployment's output."""
    import json
    first, again = deployed
    assert "sanity:tempest=PASSED" in first, first[-3000:]
    # The rerun: molecule's idempotence run leaves Tempest out (its tag); a rerun of this module's own runs it again.
    assert "sanity:tempest=FAILED" not in again
    summary = json.load(open("/var/lib/ooo-undercloud/tempest/last-summary.json"))
    assert summary["failed"] == [] and summary["passed"] >= 50, summary
    assert all(skip["reason"] and skip["reason"] != "(no reason given)" for skip in summary["skipped"]), summary["skipped"]
    # The exclusions, each with its reason, as Tempest's run was given them.
    excluded = open("/var/lib/ooo-undercloud/tempest/etc/exclude.txt").read()
    assert "test_network_basic_ops" in excluded and "the L3 agent is not deployed yet" in excluded, excluded
    if "sanity:tempest=PASSED" in again:
        # The report is the last deployment's: with Tempest in it, its sanity table has Tempest's row.
        report = open(REPORT).read()
        assert "tempest" in report and "%d passed, 0 failed" % summary["passed"] in report
        assert "test_network_basic_ops" in report and "the L3 agent is not deployed yet" in report, "the exclusion and its reason"
    conf = "/var/lib/ooo-undercloud/tempest/etc/tempest.conf"
    assert oct(os.stat(conf).st_mode & 0o777) == "0o600"
    admin = yaml.safe_load(open(PASSWORDS))["admin"]
    assert admin in open(conf).read()
    for text in (open("/var/lib/ooo-undercloud/tempest/logs/tempest.log").read(), json.dumps(summary), first, again):
        assert admin not in text, "the admin password leaked out of tempest.conf"


def _memcached_stats():
    """memcached's counters on controller-0, asked on the address its startup script binds."""
    start = machine("controller-0", "cat", "/var/lib/config-data/ooo/memcached/start.sh").stdout
    address = re.search(r" -l (\S+) -p (\d+)", start)
    out = machine("controller-0", "podman", "exec", "memcached", "sh", "-c",
                  "printf 'stats\\r\\nquit\\r\\n' | socat -T 3 - TCP:%s:%s" % address.groups()).stdout
    return {f[1]: f[2] for f in (line.split() for line in out.splitlines()) if len(f) == 3 and f[0] == "STAT"}


def test_placement_answers_through_the_vip_and_the_apis_cache_tokens_in_memcached(deployed):
    import openstack
    import requests
    conn = openstack.connect(cloud="overcloud")
    placement = conn.session.get_endpoint(service_type="placement", interface="public")
    assert placement == "http://198.18.0.250:8778", placement
    versions = requests.get(placement + "/", timeout=10).json()["versions"]
    assert versions[0]["status"] == "CURRENT" and versions[0]["max_version"].startswith("1."), versions
    assert requests.get(placement + "/resource_providers", headers={"X-Auth-Token": "not-a-token"},
                        timeout=10).status_code == 401, "Placement asks Keystone: a made-up token is refused"
    assert isinstance(list(conn.placement.resource_providers()), list)
    # keystonemiddleware caches each validated token in memcached: the same token twice is one set and one hit.
    before = _memcached_stats()
    for _attempt in range(2):
        conn.placement.get("/resource_providers", microversion="1.0").raise_for_status()
    after = _memcached_stats()
    assert int(after["get_hits"]) > int(before["get_hits"]), (before, after)
    assert int(after["curr_items"]) >= 1
    listening = machine("controller-0", "ss", "-Hltn").stdout
    assert not re.search(r"(0\.0\.0\.0|\*|\[::\]):11211\b", listening), "memcached binds the internal API address only"


def test_nova_control_plane_runs_its_cells_over_a_bus_of_its_own(deployed):
    import openstack
    conn = openstack.connect(cloud="overcloud")
    assert conn.session.get_endpoint(service_type="compute", interface="public") == "http://198.18.0.250:8774/v2.1"
    services = {s.binary: s for s in conn.compute.services()}
    for binary in ("nova-conductor", "nova-scheduler"):
        assert services[binary].state == "up" and services[binary].status == "enabled", (binary, services)
    assert list(conn.compute.flavors()) is not None, "the API answers a listing through the VIP"
    cells = machine("controller-0", "podman", "exec", "nova_api", "nova-manage", "cell_v2", "list_cells").stdout
    names = re.findall(r"^\|\s*(\S+)\s*\|\s*[0-9a-f-]{36}\s*\|", cells, re.MULTILINE)
    assert sorted(names) == ["cell0", "cell1"], cells
    users = machine("controller-0", "podman", "exec", "rabbitmq", "rabbitmqctl", "-q", "list_users").stdout
    assert sorted(line.split()[0] for line in users.splitlines() if line.strip() and not line.startswith("user")) == [
        "neutron", "nova"], "the bus has the services' users only: guest is removed"
    cookie = machine("controller-0", "stat", "-c", "%a %U", "/var/lib/ooo-overcloud/rabbitmq/.erlang.cookie").stdout.split()
    assert cookie[0] == "400", cookie
    image_cookie = machine("controller-0", "podman", "run", "--rm", "--entrypoint", "cat", PLAN_IMAGE,
                           "/var/lib/rabbitmq/.erlang.cookie", check=False).stdout
    deployed_cookie = machine("controller-0", "cat", "/var/lib/ooo-overcloud/rabbitmq/.erlang.cookie").stdout
    assert deployed_cookie and deployed_cookie != image_cookie, "the Erlang cookie is the deployment's, not the image's"


def test_a_server_boots_on_a_compute_as_a_qemu_process_with_its_port_bound(deployed):
    """nova-compute with libvirt and QEMU's TCG: the test guest (Debian's kernel, a busybox initramfs) boots with a
    port on the guests' tenant network, its QEMU process runs on the compute Nova chose, its port is bound there by the
    Open vSwitch agent and its tap device is on that compute's br-int, its console says it is up, and deleting it ends
    the process and unplugs the tap."""
    import time

    import openstack
    conn = openstack.connect(cloud="overcloud")
    computes = sorted(s.host for s in conn.compute.services(binary="nova-compute") if s.state == "up")
    assert computes == ["compute-0", "compute-2"], computes
    providers = {p.name: p for p in conn.placement.resource_providers()}
    assert {"compute-0", "compute-2"} <= set(providers), providers
    inventory = {i.resource_class: i for i in conn.placement.resource_provider_inventories(providers["compute-0"])}
    assert {"VCPU", "MEMORY_MB", "DISK_GB"} <= set(inventory), inventory
    assert inventory["MEMORY_MB"].reserved == 512, "nova.conf's reserved_host_memory_mb"
    image = conn.image.find_image("ooo-guest")
    assert image.disk_format == "ami" and image.status == "active" and image.kernel_id and image.ramdisk_id, image
    flavor = conn.compute.find_flavor("ooo.tiny")
    assert (flavor.ram, flavor.vcpus, flavor.disk) == (128, 1, 1), flavor
    for old in conn.compute.servers(name="^it-guest$"):
        conn.compute.delete_server(old)
        conn.compute.wait_for_delete(old, wait=120)
    started = time.monotonic()
    network = conn.network.find_network("ooo-guest-net")
    assert network is not None and network.provider_network_type == "vxlan", "the deployment made the guests' network"
    server = conn.compute.create_server(name="it-guest", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": network.id}])
    server = conn.compute.wait_for_server(server, status="ACTIVE", wait=180)
    active = time.monotonic() - started
    try:
        host, instance = server.compute_host, server.instance_name
        assert host in computes and instance, server
        [port] = list(conn.network.ports(device_id=server.id))
        assert port.binding_host_id == host and port.binding_vif_type == "ovs" and port.status == "ACTIVE", port
        assert port.fixed_ips[0]["ip_address"].startswith("198.51.100."), port
        tap = "tap" + port.id[:11]
        assert tap in machine(host, "ovs-vsctl", "list-ports", "br-int").stdout.split(), "the guest's tap is on br-int"
        assert machine(host, "ovs-vsctl", "get", "bridge", "br-int", "datapath_type").stdout.strip() == "netdev"
        processes = machine(host, "ps", "-eo", "pid,args").stdout
        assert re.search(r"qemu-system-x86_64 -name guest=%s," % re.escape(instance), processes), processes[-2000:]
        assert "accel=tcg" in processes or "-accel tcg" in processes, "TCG, as virt_type qemu asks"
        console = ""
        for _attempt in range(60):
            console = conn.compute.get_server_console_output(server)["output"]
            if "ooo-guest: up" in console:
                break
            time.sleep(2)
        assert "ooo-guest: up" in console, console[-2000:]
    finally:
        conn.compute.delete_server(server)
        conn.compute.wait_for_delete(server, wait=120)
    assert not re.search(r"qemu-system-x86_64 -name guest=%s," % re.escape(instance), machine(host, "ps", "-eo", "pid,args").stdout)
    assert tap not in machine(host, "ovs-vsctl", "list-ports", "br-int").stdout.split(), "unplugged with the server"
    assert active < 120, "ACTIVE after %.1f s" % active
    for compute in computes:
        links = machine(compute, "ip", "-o", "link").stdout
        assert "virbr" not in links, "libvirt's default NAT network (not a lab address) is never made"


def test_neutron_answers_through_the_vip(deployed):
    """Neutron's API (ML2, Open vSwitch) through the VIP: a network, a subnet and a port made and removed again."""
    import openstack
    conn = openstack.connect(cloud="overcloud")
    assert conn.session.get_endpoint(service_type="network", interface="public") == "http://198.18.0.250:9696"
    extensions = {e.alias for e in conn.network.extensions()}
    assert {"router", "port-security", "binding"} <= extensions, extensions
    for old in conn.network.networks(name="it-net"):
        for port in conn.network.ports(network_id=old.id):
            conn.network.delete_port(port)
        conn.network.delete_network(old)
    network = conn.network.create_network(name="it-net")
    try:
        assert network.provider_network_type == "vxlan", "tenant networks are VXLAN (ml2_conf.ini)"
        subnet = conn.network.create_subnet(network_id=network.id, ip_version=4, cidr="198.19.10.0/24", name="it-subnet")
        port = conn.network.create_port(network_id=network.id, name="it-port")
        assert port.fixed_ips[0]["subnet_id"] == subnet.id and port.fixed_ips[0]["ip_address"].startswith("198.19.10."), port
        conn.network.delete_port(port)
    finally:
        conn.network.delete_network(network)


def test_each_compute_runs_an_open_vswitch_agent_and_the_plan_gives_the_external_network(deployed):
    """Neutron's Open vSwitch agent on each compute, alive (reporting through neutron_rpc_server), with VXLAN tunnels
    from the compute's tenant network address; the external network is the plan's (flat on datacentre), and the
    guests' router has its gateway there."""
    import openstack
    conn = openstack.connect(cloud="overcloud")
    agents = {a.host: a for a in conn.network.agents(binary="neutron-openvswitch-agent")}
    assert sorted(agents) == ["compute-0", "compute-2"], agents
    for host, agent in agents.items():
        assert agent.is_alive and agent.is_admin_state_up, agent
        assert agent.configuration["tunnel_types"] == ["vxlan"], agent.configuration
        assert agent.configuration["tunneling_ip"] == machine(host, "ip", "-o", "-4", "addr", "show", "br-tenant").stdout.split()[3].split("/")[0]
        assert agent.configuration["datapath_type"] == "netdev", "the lab's OVS has no kernel datapath"
        assert {"br-int", "br-tun"} <= set(machine(host, "ovs-vsctl", "list-br").stdout.split())
    assert containers("controller-0")["neutron_rpc_server"][:2] == ("tripleo_step4", "running")
    external = conn.network.find_network("external")
    assert external.is_router_external and external.provider_network_type == "flat", external
    assert external.provider_physical_network == "datacentre", external
    [subnet] = list(conn.network.subnets(network_id=external.id))
    assert (subnet.cidr, subnet.gateway_ip, subnet.is_dhcp_enabled) == ("203.0.113.0/24", "203.0.113.254", False), subnet
    assert subnet.allocation_pools == [{"start": "203.0.113.127", "end": "203.0.113.253"}], "clear of the machines' addresses"
    router = conn.network.find_router("ooo-guest-router")
    assert router.external_gateway_info["network_id"] == external.id, router
    guest_subnet = conn.network.find_subnet("ooo-guest-net-subnet")
    assert any(ip["subnet_id"] == guest_subnet.id for p in conn.network.ports(device_id=router.id) for ip in p.fixed_ips), \
        "the router has an interface on the guests' subnet"


def test_guest_network_is_check_apply_idempotent_and_names_a_mismatch(deployed):
    """files/guest_network.py: check -> apply -> check -> apply on a tenant network of its own (the second pair
    changes nothing); a spec that differs from what exists names the resource and the field, and creates nothing."""
    import json
    import subprocess

    import openstack
    conn = openstack.connect(cloud="overcloud")
    script = "roles/overcloud_deploy/files/guest_network.py"
    spec = {"external": {"name": "external", "physnet": "datacentre", "cidr": "203.0.113.0/24", "gateway": "203.0.113.254"},
            "tenant": {"name": "it-idem-net", "cidr": "198.51.100.0/25", "router": "it-idem-router"}}

    def cleanup():
        router = conn.network.find_router("it-idem-router")
        subnet = conn.network.find_subnet("it-idem-net-subnet")
        if router is not None:
            if subnet is not None:
                conn.network.remove_interface_from_router(router, subnet_id=subnet.id)
            conn.network.delete_router(router)
        net = conn.network.find_network("it-idem-net")
        if net is not None:
            conn.network.delete_network(net)

    def run(check, the_spec=None):
        return subprocess.run(["/opt/ooo-undercloud/venv/bin/python", script, "overcloud", json.dumps(the_spec or spec), str(check)],
                              capture_output=True, text=True, cwd=REPO, check=False)

    cleanup()
    try:
        results = [run(check) for check in (True, False, True, False)]
        assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
        created = [json.loads(r.stdout)["created"] for r in results]
        want = ["network it-idem-net", "subnet it-idem-net-subnet", "router it-idem-router",
                "router interface it-idem-router on it-idem-net-subnet"]
        assert created == [want, want, [], []], created
        assert conn.network.find_router("it-idem-router") is not None
        bad = dict(spec, tenant=dict(spec["tenant"], cidr="198.51.100.128/25"))
        wrong = run(False, bad)
        assert wrong.returncode != 0 and "subnet it-idem-net-subnet has cidr=198.51.100.0/25, not 198.51.100.128/25" in wrong.stderr, wrong.stderr
        assert len(list(conn.network.subnets(name="it-idem-net-subnet"))) == 1, "nothing was created"
    finally:
        cleanup()
