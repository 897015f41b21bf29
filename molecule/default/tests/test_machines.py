"""molecule verify (testinfra): the machines Ironic deployed, reached through the lab inventory's connection (the
project's nsenter plugin, through testinfra's ansible backend). The black sheep, compute-1, runs nothing."""
import json
import pathlib

testinfra_hosts = ["ansible://controller-0", "ansible://compute-0", "ansible://compute-2"]

BUILT = pathlib.Path("/var/lib/ooo-undercloud/images/overcloud-golden.raw.build-hash")


def test_the_machine_runs_the_golden_image_built_on_the_undercloud(host):
    assert host.file("/etc/ooo-golden-build").content_string.strip() == BUILT.read_text().strip()


def test_podman_in_the_machine_uses_overlay(host):
    # JSON, not a Go template: through Ansible, '{{ }}' in a command would be templated.
    assert json.loads(host.check_output("podman info --format json"))["store"]["graphDriverName"] == "overlay"


def test_the_machine_trusts_the_undercloud_registry_and_is_logged_in_as_its_pull_user(host):
    # TLS verified with the CA the deployment gave the machine; without a user the registry answers 401.
    answer = host.ansible("ansible.builtin.uri", "url=https://198.18.0.1:8787/v2/ status_code=401 "
                          "ca_path=/etc/containers/certs.d/198.18.0.1:8787/ca.crt", check=False)
    assert answer["status"] == 401, answer
    assert host.check_output("podman login --get-login 198.18.0.1:8787") == "ooo-pull"
