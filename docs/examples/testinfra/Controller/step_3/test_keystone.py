"""An operator's own checks of step 3 on the controllers (overcloud_testinfra_dirs: [docs/examples/testinfra]).

testinfra's host fixture reaches the machine through its inventory connection; the ooo fixture says which machine,
role, step and config the run is for. Say the fix in the assertion's message: the deployment prints its first line.
"""


def test_keystone_answers_on_the_machine(host):
    # Keystone binds the machine's internal API address (HAProxy holds the VIP's port 5000 beside it).
    listening = [s[len("tcp://"):] for s in host.socket.get_listening_sockets() if s.startswith("tcp://") and s.endswith(":5000")]
    assert listening, "nothing listens on port 5000; read podman logs keystone"
    got = host.ansible("ansible.builtin.uri", "url=http://%s/v3 status_code=200" % listening[0], check=False)
    assert got["status"] == 200


def test_keystone_configuration_is_readable_by_root_only(host, ooo):
    conf = host.file("/var/lib/config-data/ooo/keystone/keystone.conf")
    assert conf.exists, "keystone.conf is missing on %s; run the deployment again (its configs stage writes it)" % ooo["host"]
    assert conf.mode == 0o600, "keystone.conf has mode %o, not 600; it holds passwords" % conf.mode
