"""The undercloud, proven through openstacksdk and the generated clouds.yaml with real Keystone tokens.

Nothing here restarts or stops a service (test_undercloud_service.py does, alone: scripts/test.sh runs it last).
"""
import base64
import hashlib
import http.client
import os
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid

import pytest
import yaml

from conftest import PASSWORDS_FILE, run_playbook, recap

LAB_MACHINE = "ooo-lab-compute-0"
REGISTRY = "198.18.0.1:8787"


def test_catalog_lists_the_four_services_with_a_real_token(conn):
    assert conn.auth_token
    # The token validates against Keystone itself.
    assert conn.identity.get("/auth/tokens", headers={"X-Subject-Token": conn.auth_token}).status_code == 200
    types = {s.type for s in conn.identity.services()}
    assert {"identity", "baremetal", "image", "orchestration"} <= types
    endpoints = {(e.interface, e.url) for e in conn.identity.endpoints()}
    assert ("public", "http://198.18.0.1:6385") in endpoints


def test_fake_hardware_node_created_and_deleted(conn):
    name = "it-node-%s" % uuid.uuid4().hex[:8]
    node = conn.baremetal.create_node(name=name, driver="fake-hardware")
    try:
        assert node.provision_state == "enroll"
        assert conn.baremetal.find_node(name).id == node.id
    finally:
        conn.baremetal.delete_node(node)
    assert conn.baremetal.find_node(name) is None


def test_image_uploaded_and_downloaded_byte_identical(conn):
    data = os.urandom(5 * 1024 * 1024 + 17)
    image = conn.image.create_image(name="it-image-%s" % uuid.uuid4().hex[:8], disk_format="raw", container_format="bare",
                                    data=data, allow_duplicates=True)
    try:
        image = conn.image.get_image(image.id)
        assert image.status == "active"
        assert image.size == len(data)
        assert image.hash_value == hashlib.sha512(data).hexdigest()
        downloaded = conn.image.download_image(image)
        assert hashlib.sha256(downloaded.content).hexdigest() == hashlib.sha256(data).hexdigest()
    finally:
        conn.image.delete_image(image)


def test_heat_stack_created_outputs_read_and_deleted(conn):
    template = {
        "heat_template_version": "2021-04-16",
        "parameters": {"length": {"type": "number", "default": 24}},
        "resources": {"secret": {"type": "OS::Heat::RandomString", "properties": {"length": {"get_param": "length"}}}},
        "outputs": {"secret_length": {"value": {"yaql": {"expression": "len($.data)", "data": {"get_attr": ["secret", "value"]}}}}},
    }
    name = "it-stack-%s" % uuid.uuid4().hex[:8]
    stack = conn.orchestration.create_stack(name=name, template=template, parameters={"length": 13})
    try:
        deadline = time.monotonic() + 120
        while True:
            stack = conn.orchestration.get_stack(stack.id)
            if stack.status != "CREATE_IN_PROGRESS" or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert stack.status == "CREATE_COMPLETE", stack.status_reason
        outputs = {o["output_key"]: o["output_value"] for o in stack.outputs}
        assert outputs == {"secret_length": 13}
    finally:
        conn.orchestration.delete_stack(stack)
    deadline = time.monotonic() + 120
    while conn.orchestration.find_stack(name) is not None and time.monotonic() < deadline:
        time.sleep(1)
    assert conn.orchestration.find_stack(name) is None


CA = "/etc/ooo-undercloud/pki/ca.crt"


def registry_get(path, user=None, cafile=CA, method="GET"):
    """(status, headers) of a request to the registry over TLS verified with cafile (None: the system's CAs), as user
    (push or pull: the password from the undercloud's passwords file, never in a process's argv)."""
    context = ssl.create_default_context(cafile=cafile)
    request = urllib.request.Request("https://%s%s" % (REGISTRY, path), method=method)
    request.add_header("Accept", "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json")
    if user:
        password = yaml.safe_load(open(PASSWORDS_FILE))["registry_" + user]
        token = base64.b64encode(("ooo-%s:%s" % (user, password)).encode()).decode()
        request.add_header("Authorization", "Basic " + token)
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as answer:
            return answer.status, answer.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers


def test_registry_serves_tls_of_the_undercloud_ca_and_asks_every_client_for_a_user(lab):
    """The registry: plain HTTP refused, its certificate verified only with the undercloud's CA (for its address),
    every request without a user refused, the pull user and the push user both accepted."""
    plain = http.client.HTTPConnection(REGISTRY, timeout=10)
    plain.request("GET", "/v2/")
    assert plain.getresponse().status == 400, "plain HTTP is answered 400 (an HTTP request to an HTTPS server)"
    with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
        registry_get("/v2/", cafile=None)
    status, headers = registry_get("/v2/")
    assert status == 401 and 'Basic realm="ooo.lifecycle undercloud registry"' in headers.get("WWW-Authenticate", "")
    assert registry_get("/v2/", user="pull")[0] == 200
    assert registry_get("/v2/", user="push")[0] == 200
    for path in ("/etc/ooo-undercloud/pki/ca.key", "/etc/ooo-undercloud/pki/registry.key", "/etc/ooo-undercloud/registry.htpasswd",
                 "/etc/ooo-undercloud/registry-pull.json", os.path.expanduser("~/.config/containers/auth.json")):
        assert oct(os.stat(path).st_mode & 0o777) == "0o600", path


def test_registry_takes_a_push_from_its_user_only_and_a_deployed_machine_pulls_it_verified(lab, tmp_path):
    """This host pushes as the push user (its podman logged in by the role); without that login the push is refused.
    A deployed machine pulls over TLS it verifies (the CA the deployment gave it): told another CA directory, its pull
    fails on the certificate, so its image's registries.conf does not make the registry insecure."""
    tag = "%s/ooo/it-%s:latest" % (REGISTRY, uuid.uuid4().hex[:8])
    subprocess.run(["podman", "tag", "localhost/ooo-lab-machine:latest", tag], check=True)
    empty = tmp_path / "auth.json"
    empty.write_text('{"auths": {}}')
    try:
        # podman also reads the credential files of $HOME (~/.config/containers/auth.json, ~/.docker/config.json)
        # after --authfile: a HOME without them.
        alone = dict((k, v) for k, v in os.environ.items() if not k.startswith("XDG_")) | {"HOME": str(tmp_path)}
        refused = subprocess.run(["podman", "push", "--authfile", str(empty), tag], capture_output=True, text=True, check=False,
                                 env=alone)
        assert refused.returncode != 0 and "authentication required" in refused.stderr, refused.stderr
        subprocess.run(["podman", "push", tag], check=True, capture_output=True)
        pulled = subprocess.run(["podman", "exec", LAB_MACHINE, "podman", "pull", "-q", tag], capture_output=True, text=True, check=False)
        assert pulled.returncode == 0, pulled.stderr
        ran = subprocess.run(["podman", "exec", LAB_MACHINE, "podman", "run", "--rm", tag, "cat", "/etc/debian_version"],
                             capture_output=True, text=True, check=False)
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.strip().startswith("12.")
        # An older image's registries.conf said `insecure = true` for the registry (a drop-in before the deployment's
        # stands for it here): the deployment's drop-in, read after it, still has the certificate verified.
        subprocess.run(["podman", "exec", LAB_MACHINE, "sh", "-c", "printf '[[registry]]\\nlocation = \"%s\"\\ninsecure = true\\n' "
                        "> /etc/containers/registries.conf.d/00-it-insecure.conf" % REGISTRY], check=True)
        unverified = subprocess.run(["podman", "exec", LAB_MACHINE, "podman", "pull", "-q", "--cert-dir", "/nonexistent", tag],
                                    capture_output=True, text=True, check=False)
        assert unverified.returncode != 0 and "certificate signed by unknown authority" in unverified.stderr, unverified.stderr
    finally:
        subprocess.run(["podman", "exec", LAB_MACHINE, "rm", "-f", "/etc/containers/registries.conf.d/00-it-insecure.conf"], check=False)
        subprocess.run(["podman", "rmi", "-f", tag], capture_output=True, check=False)
        subprocess.run(["podman", "exec", LAB_MACHINE, "podman", "rmi", "-f", tag], capture_output=True, check=False)
        name, dummy, reference = tag.partition("/")[2].rpartition(":")
        status, headers = registry_get("/v2/%s/manifests/%s" % (name, reference), user="push", method="HEAD")
        if status == 200:
            registry_get("/v2/%s/manifests/%s" % (name, headers["Docker-Content-Digest"]), user="push", method="DELETE")


@pytest.fixture(scope="module")
def check_run(lab):
    """undercloud_install.yml in check mode, verbose, on the lab as it is."""
    return run_playbook("undercloud_install.yml", "--check", "-v")[1]


def test_second_run_changes_nothing_and_check_mode_agrees(lab, lab_rerun, check_run):
    # The second run of the whole lab.yml is molecule's idempotence step (scripts/test.sh): its undercloud plays
    # changed nothing when the whole run changed nothing on this host. Without it, the undercloud runs again here.
    if lab_rerun is not None:
        assert "Install and run the undercloud" in lab_rerun
        assert recap(lab_rerun)["changed"] == 0, lab_rerun[-4000:]
    else:
        _rc, output = run_playbook("undercloud_install.yml")
        assert recap(output)["changed"] == 0, output[-4000:]
    assert recap(check_run)["changed"] == 0, check_run[-4000:]


def test_check_mode_with_a_new_pki_directory_predicts_the_registry_restart_and_writes_nothing(lab, tmp_path):
    """Check mode on a host without the CA (a new undercloud_pki_dir): nothing can be signed without the keys, so the
    keys' directory says changed, and so do the registry's configuration and its restart; nothing is made."""
    pki = tmp_path / "pki"
    rc, output = run_playbook("undercloud_install.yml", "--check", "-e", "undercloud_pki_dir=%s" % pki, check=False)
    assert rc == 0, output[-3000:]
    blocks = [block.split("]", 1) for block in ("\n" + output).split("\nTASK [")[1:]]
    changed = [name.split(" : ", 1)[-1] for name, rest in blocks if "\nchanged:" in rest]
    assert changed == ["Create the PKI directory", "Write the service configuration files",
                       "Run as a supervised process: registry"], changed
    assert not pki.exists()


def test_what_the_role_made_carries_its_marker(lab):
    """state: absent removes only what carries the role's marker (docs/reliability.md): after the lab's runs, each
    service's database has the role's comment and Heat's RabbitMQ user its tag (the lab's databases predate the
    markers: their passwords proved them the role's)."""
    rows = subprocess.run(["mariadb", "-u", "root", "-N", "-B", "-e", "SELECT SCHEMA_NAME, SCHEMA_COMMENT FROM "
                           "information_schema.SCHEMATA"], capture_output=True, text=True, check=True).stdout.splitlines()
    comments = dict((line.split("\t") + [""])[:2] for line in rows)
    for name in ("keystone", "ironic", "glance", "heat"):
        assert comments[name] == "ooo.lifecycle undercloud", (name, comments[name])
    assert comments["mysql"] == ""
    users = subprocess.run(["rabbitmqctl", "-q", "list_users"], capture_output=True, text=True, check=True).stdout
    assert any(line.startswith("heat") and "ooo-lifecycle" in line for line in users.splitlines()), users


def test_secrets_never_appear_in_the_output(lab, lab_rerun, check_run, passwords):
    # The lab's runs are verbose (molecule's provisioner and the conftest's own lab.yml run -v).
    for name, secret in passwords.items():
        assert secret not in lab, "password %s leaked in the lab run" % name
        assert secret not in (lab_rerun or ""), "password %s leaked in the lab's second run" % name
        assert secret not in check_run, "password %s leaked in a verbose check-mode run" % name
    for log in os.listdir("/var/log/ooo-undercloud"):
        text = open(os.path.join("/var/log/ooo-undercloud", log), errors="replace").read()
        for name, secret in passwords.items():
            assert secret not in text, "password %s leaked in %s" % (name, log)
    assert oct(os.stat("/etc/ooo-undercloud/passwords.yml").st_mode & 0o777) == "0o600"
    clouds = os.path.expanduser("~/.config/openstack/clouds.yaml")
    assert oct(os.stat(clouds).st_mode & 0o777) == "0o600"


@pytest.fixture
def busy_port():
    """A port on the control-plane address held by a process that is not ours."""
    proc = subprocess.Popen(["python3", "-m", "http.server", "9393", "--bind", "198.18.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    yield 9393
    proc.terminate()
    proc.wait(10)


def config_snapshot():
    paths = ["/etc/glance/glance-api.conf", "/etc/heat/heat.conf", "/etc/ironic/ironic.conf", "/etc/keystone/keystone.conf",
             "/etc/ooo-undercloud/passwords.yml", os.path.expanduser("~/.config/openstack/clouds.yaml")]
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}


@pytest.mark.parametrize("extra, expected", [
    (["-e", '{"undercloud_enabled_services": ["keystone", "nova", "ironic"]}'],
     ["unknown service 'nova'", "known services are keystone, ironic, glance, heat, registry"]),
    (["-e", "undercloud_release=1999.1"], ["undercloud_release '1999.1'", "is not a release this role knows", "known releases are 2026.2"]),
    (["-e", '{"undercloud_release_pins": {"2026.2": {"keystone": "latest"}}}'],
     ["has invalid pins", "needs an exact version"]),
    (["-e", "undercloud_clouds_yaml=/proc/ooo/clouds.yaml"], ["undercloud_clouds_yaml: /proc/ooo/clouds.yaml cannot be created"]),
])
def test_bad_input_fails_clearly_before_any_change(lab, extra, expected):
    before = config_snapshot()
    rc, output = run_playbook("undercloud_install.yml", *extra, check=False)
    assert rc != 0
    for text in expected:
        assert text in " ".join(output.split()), output[-3000:]
    assert recap(output)["changed"] == 0
    assert config_snapshot() == before


def test_port_in_use_is_named_with_its_owner_and_setting(lab, busy_port):
    before = config_snapshot()
    rc, output = run_playbook("undercloud_install.yml", "-e", "undercloud_glance_port=%d" % busy_port, check=False)
    flat = " ".join(output.split())
    assert rc != 0
    assert "port 9393 (glance) on 198.18.0.1 is in use by pid" in flat, output[-3000:]
    assert "http.server" in flat
    assert "undercloud_glance_port" in flat
    assert recap(output)["changed"] == 0
    assert config_snapshot() == before
