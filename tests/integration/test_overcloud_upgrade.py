"""playbooks/overcloud_upgrade.yml on the lab's overcloud: the n -> n+1 guard, then a major upgrade with Javelin resources.

Runs after the update tests, on the deployed overcloud (release 2026.2, recorded on every machine as a local fact).
The next release's image is the services image with the next release's label: the lab has one release of the
services' code (docs/overcloud.md), so what is proven is the upgrade's flow: the guard before any change, the
services stopped, every step brought up again from the new image (database migrations included), the release
recorded, and resources created before it still there after it.
"""
import hashlib
import json
import subprocess

import pytest
import yaml

from conftest import DEPLOYED, RELEASE_FACT, container_ids, machine, run_playbook

NEXT = "198.18.0.1:8787/ooo/services:2027.1"
JAVELIN = "/var/lib/ooo-undercloud/javelin.json"
BACKUP = "/var/lib/ooo-overcloud/backups/pre-upgrade-2026.2-to-2027.1.sql"
# Tempest off: the upgrade's deployment runs it by default (its sanity stage), which costs about 150 s here and is
# proven green by test_overcloud_deploy.py; these tests are about the upgrade's resources and guards.
QUICK = {"overcloud_validations": False, "overcloud_tempest": False}


def release(host):
    return json.loads(machine(host, "cat", RELEASE_FACT).stdout)["release"]


def state():
    """What an upgrade would change: every deployed machine's containers and release, and the Javelin record."""
    javelin = subprocess.run(["cat", JAVELIN], capture_output=True, text=True, check=False).stdout
    return {h: (container_ids(h), release(h)) for h in DEPLOYED}, javelin


def upgrade(release_to, image=NEXT, check=True):
    extra = dict(QUICK, overcloud_upgrade_release=release_to, overcloud_upgrade_image=image)
    return run_playbook("overcloud_upgrade.yml", "-e", json.dumps(extra), check=check)


@pytest.fixture(scope="module")
def next_image(lab):
    """The next release's image in the registry: the services image labelled 2027.1."""
    build = subprocess.run(["podman", "build", "--quiet", "-t", "localhost/ooo-services:2027.1", "-"],
                           input="FROM localhost/ooo-services:2026.2\nLABEL ooo.release=2027.1\n",
                           capture_output=True, text=True, check=True)
    assert build.stdout.strip()
    subprocess.run(["podman", "push", "--quiet", "localhost/ooo-services:2027.1", NEXT],
                   check=True, capture_output=True)
    return NEXT


@pytest.mark.parametrize("target,image,expected", [
    ("2027.2", NEXT, "2026.2 -> 2027.2 skips 2027.1: upgrade one release at a time (overcloud_upgrade_release=2027.1 first)"),
    ("2026.1", NEXT, "2026.2 -> 2026.1 is a downgrade, which is not supported"),
    ("2030.1", NEXT, "overcloud_upgrade_release: 2030.1 is not a known release"),
    ("2027.1", "198.18.0.1:8787/ooo/services:nope", "198.18.0.1:8787/ooo/services:nope is not in the registry"),
])
def test_guard_refuses_before_any_change(next_image, target, image, expected):
    before = state()
    assert all(r == "2026.2" for _ids, r in before[0].values()), before
    rc, output = upgrade(target, image, check=False)
    flat = " ".join(output.split())
    assert rc != 0 and expected in flat and "Nothing was changed." in flat, output[-3000:]
    assert "Deployment step" not in output
    assert state() == before


def test_guard_refuses_mixed_releases(next_image):
    original = machine("compute-2", "cat", RELEASE_FACT).stdout
    machine("compute-2", "sh", "-c", "sed -i 's/2026.2/2026.1/' " + RELEASE_FACT)
    try:
        before = state()
        rc, output = upgrade("2027.1", check=False)
        flat = " ".join(output.split())
        assert rc != 0, output[-3000:]
        assert "mixed releases (2026.1 on compute-2; 2026.2 on " in flat, output[-3000:]
        assert "bring every machine to one release before a major upgrade" in flat
        assert state() == before
    finally:
        subprocess.run(["podman", "exec", "-i", "ooo-lab-compute-2", "sh", "-c", "cat > " + RELEASE_FACT], input=original, text=True, check=True)
    assert release("compute-2") == "2026.2"


# The next release's image with a schema migration that changes the database, then fails: keystone-manage db_sync runs,
# adds a table, and exits 1.
BROKEN = "198.18.0.1:8787/ooo/services:2027.1-broken-migration"
BROKEN_MANAGE = r"""#!/bin/sh
/opt/ooo-undercloud/venv/bin/keystone-manage.real "$@" || exit $?
[ "$1" = db_sync ] || exit 0
python3 -c '
import configparser, urllib.parse, pymysql
conf = configparser.ConfigParser(interpolation=None)
conf.read("/etc/keystone/keystone.conf")
url = urllib.parse.urlparse(conf["database"]["connection"].replace("mysql+pymysql", "mysql"))
db = pymysql.connect(host=url.hostname, user=url.username, password=urllib.parse.unquote(url.password), database=url.path[1:])
db.cursor().execute("CREATE TABLE ooo_half_migrated (id INT)")
db.commit()
' || exit 2
echo "keystone-manage: migration 999 failed half-way (made to fail by the upgrade test)" >&2
exit 1
"""


def half_migrated():
    """Whether the broken migration's table is in Keystone's database."""
    out = machine("controller-0", "podman", "exec", "mysql", "mariadb", "-N", "-B", "-e",
                  "SHOW TABLES LIKE 'ooo_half_migrated'", "keystone").stdout
    return out.strip() == "ooo_half_migrated"


@pytest.fixture(scope="module")
def broken_image(next_image, tmp_path_factory):
    context = tmp_path_factory.mktemp("broken")
    (context / "keystone-manage").write_text(BROKEN_MANAGE)
    (context / "Containerfile").write_text(
        "FROM localhost/ooo-services:2027.1\n"
        "RUN mv /opt/ooo-undercloud/venv/bin/keystone-manage /opt/ooo-undercloud/venv/bin/keystone-manage.real\n"
        "COPY --chmod=755 keystone-manage /opt/ooo-undercloud/venv/bin/keystone-manage\n")
    subprocess.run(["podman", "build", "--quiet", "-t", "localhost/ooo-services:2027.1-broken", str(context)], check=True,
                   capture_output=True)
    subprocess.run(["podman", "push", "--quiet", "localhost/ooo-services:2027.1-broken", BROKEN],
                   check=True, capture_output=True)
    return BROKEN


def test_a_failed_migration_is_restored_and_release_n_runs_again(broken_image):
    """The migration changes the database, then fails: the dump taken before it is restored (the table it added is
    gone), release n's very containers run again on every machine, each machine still records n, and the overcloud
    answers through the VIP; the message says all of it. The real upgrade (next test) then goes through."""
    import openstack
    before = state()
    rc, output = upgrade("2027.1", image=broken_image, check=False)
    flat = " ".join(output.split())
    assert rc != 0, output[-3000:]
    assert ("The schema migration of release 2027.1 failed on controller-0: keystone: keystone-manage: migration 999 "
            "failed half-way (made to fail by the upgrade test).") in flat, output[-4000:]
    assert ("The databases were restored from /var/lib/ooo-overcloud/backups/pre-upgrade-2026.2-to-2027.1.sql and "
            "release 2026.2 runs again on ") in flat
    assert "Deployment step" not in output, "nothing of 2027.1 was deployed"
    assert not half_migrated(), "the restore removed what the failed migration added"
    after = state()
    assert after[0] == before[0], "the same containers of release n, each machine on n"
    for host in DEPLOYED:
        lines = machine(host, "podman", "ps", "--filter", "label=managed_by=ooo.lifecycle", "--format", "{{.Names}}").stdout.split()
        assert lines, "%s runs release n's containers again" % host
    mode = machine("controller-0", "stat", "-c", "%a", BACKUP).stdout.strip()
    assert mode == "600"
    assert openstack.connect(cloud="overcloud").session.get_token(), "the overcloud answers through the VIP on release n"
    # The real upgrade (next test) takes a dump of its own: this attempt's is removed, as an operator would once read.
    machine("controller-0", "rm", "-f", BACKUP)


def test_upgrade_to_the_next_release_keeps_the_javelin_resources(next_image):
    import openstack
    _rc, output = upgrade("2027.1")
    # Created (and checked) before the upgrade, verified after it.
    assert output.index("Create the Javelin project and user") < output.index("Deployment step 1") < output.index("Verify the Javelin")
    flat = " ".join(output.split())
    assert "javelin:user-token PASSED" in flat and "javelin:image PASSED" in flat, output[-3000:]
    for host in DEPLOYED:
        assert release(host) == "2027.1"
        images = machine(host, "podman", "ps", "--filter", "label=managed_by=ooo.lifecycle", "--format", "{{.Image}}").stdout.split()
        assert images and set(images) == {NEXT}, (host, images)
    # The resources, seen from outside: the user's token for its project, the image's bytes.
    record = json.load(open(JAVELIN))
    with open("/etc/ooo-undercloud/overcloud-passwords.yml") as f:
        overcloud = yaml.safe_load(f)
    conn = openstack.connect(auth_url="http://198.18.0.250:5000/v3", username="javelin", password=overcloud["javelin"],
                             project_name="javelin", user_domain_name="Default", project_domain_name="Default")
    assert conn.session.get_token()
    admin = openstack.connect(cloud="overcloud")
    image = admin.image.get_image(record["image"]["id"])
    assert image.status == "active" and image.name == "javelin-image"
    data = admin.image.download_image(image).content
    assert hashlib.sha256(data).hexdigest() == record["image"]["sha256"]
    # The Javelin guest: the same server, ACTIVE on the compute it was made on, its port bound there, and its QEMU
    # process the one from before the upgrade (started before the upgraded nova_libvirt container was).
    assert "javelin:server PASSED" in flat, output[-3000:]
    guest = record["guest"]
    server = admin.compute.get_server(guest["server"])
    assert server.status == "ACTIVE" and server.compute_host == guest["host"], server
    port = admin.network.get_port(guest["port"])
    assert port.binding_host_id == guest["host"] and port.status == "ACTIVE" and port.device_id == server.id, port
    qemu = [line for line in machine(guest["host"], "ps", "-eo", "lstart,args").stdout.splitlines() if "guest=%s," % server.instance_name in line]
    assert len(qemu) == 1, "one QEMU process of the Javelin server on %s" % guest["host"]
    libvirt_started = machine(guest["host"], "podman", "inspect", "--format", "{{.State.StartedAt.Unix}}", "nova_libvirt").stdout.strip()
    guest_started = machine(guest["host"], "date", "-d", " ".join(qemu[0].split()[:5]), "+%s").stdout.strip()
    assert int(guest_started) < int(libvirt_started), "the guest ran on through nova_libvirt's upgrade"
    # The computes' status page says which release answers.
    status = subprocess.run(["curl", "-sf", "http://198.18.0.250:8780/status.json"], capture_output=True, text=True, check=True).stdout
    assert json.loads(status)["release"] == "2027.1"


def test_a_deployment_of_the_old_release_is_refused_after_the_upgrade(next_image):
    # The upgraded machines record 2027.1; a deployment that still says 2026.2 would take them back: refused first.
    before = state()
    rc, output = run_playbook("overcloud_deploy.yml", "-e", "overcloud_fleet=false", check=False)
    flat = " ".join(output.split())
    assert rc != 0 and "runs release 2027.1 and this deployment is 2026.2: changing the release is an upgrade" in flat, output[-3000:]
    assert "Nothing was changed." in flat and "Deploy the plan stack" not in output
    assert state() == before
