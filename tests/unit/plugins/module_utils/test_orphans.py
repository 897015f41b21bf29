# -*- coding: utf-8 -*-
"""Container processes podman no longer lists: told from conmon's argv, with the processes under them."""
from ansible_collections.ooo.lifecycle.plugins.module_utils._containers.orphans import conmon_fields, descendants, find

ID_A = "a" * 64
ID_B = "b" * 64


def conmon(cid, name, exe="/usr/bin/conmon"):
    return [exe, "--api-version", "1", "-c", cid, "-u", cid, "-r", "/usr/bin/runc", "-n", name, "--exit-dir", "/run/x",
            "--exit-command", "/usr/bin/podman", "--exit-command-arg", "--root"]


def test_conmon_fields_read_the_id_and_the_name():
    assert conmon_fields(conmon(ID_A, "compute_agent")) == {"id": ID_A, "name": "compute_agent"}
    assert conmon_fields(["/usr/bin/conmon", "--cid", ID_A, "--name", "x"]) == {"id": ID_A, "name": "x"}


def test_conmon_fields_refuse_other_programs_and_missing_fields():
    assert conmon_fields(["python3", "-c", ID_A, "-n", "compute_agent"]) is None
    assert conmon_fields(["/usr/bin/conmon", "-c", ID_A]) is None
    assert conmon_fields(["/usr/bin/conmon", "-n"]) is None
    assert conmon_fields([]) is None


HERE = ("mnt:[4026531841]", 0)
NESTED = ("mnt:[4026532999]", 0)


def test_descendants_children_before_their_parents():
    procs = {10: (1, [], HERE), 11: (10, [], HERE), 12: (11, [], HERE), 13: (10, [], HERE), 20: (1, [], HERE)}
    order = descendants(procs, 10)
    assert sorted(order) == [10, 11, 12, 13]
    assert order[-1] == 10 and order.index(12) < order.index(11)


def test_find_names_only_unlisted_containers_of_this_config():
    procs = {
        100: (1, conmon(ID_A, "compute_agent"), HERE),      # podman lists ID_A: a live container, not an orphan
        200: (1, conmon(ID_B, "compute_agent"), HERE),      # the same name, an ID podman no longer lists: the orphan
        201: (200, ["python3", "-m", "http.server", "8780"], HERE),
        300: (1, conmon("c" * 64, "someone_else"), HERE),   # unlisted, but not a name of this config: never touched
        400: (1, ["sshd"], HERE),
        # A nested podman's container of the same name (a lab machine is a container of this host), and another
        # user's: not this podman's, whatever their IDs.
        500: (1, conmon("e" * 64, "compute_agent"), NESTED),
        600: (1, conmon("f" * 64, "compute_agent"), ("mnt:[4026531841]", 1000)),
    }
    found = find(procs, {"compute_agent", "keystone"}, {ID_A, "d" * 64}, HERE)
    assert found == [{"name": "compute_agent", "id": ID_B, "conmon": 200, "pids": [201, 200]}]


def test_find_matches_short_ids_either_way_and_nothing_when_all_are_listed():
    procs = {100: (1, conmon(ID_A[:12], "keystone"), HERE), 200: (1, conmon(ID_B, "glance"), HERE)}
    assert find(procs, {"keystone", "glance"}, {ID_A, ID_B[:12]}, HERE) == []
    assert find({}, {"keystone"}, set(), HERE) == []
