"""problems_in: every problem of config_files' input, each naming the item and the fix, before anything is written."""
from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.modules.config_files import problems_in


def test_good_input_has_no_problem():
    assert problems_in(["/etc/a"], "0700", [{"path": "/etc/a/x", "mode": "0644"}], [{"path": "/etc/a/y", "mode": "600"}]) == []


def test_every_problem_is_named_at_once_with_its_item():
    found = problems_in(["etc/a"], "rwx", [{"path": "x.conf", "mode": "0644"}, {"path": "/etc/b", "mode": "0999"}],
                        [{"path": "/etc/b", "mode": "0600"}])
    assert found == [
        "directories[0] (etc/a): path must be absolute",
        "directories[0] (etc/a): mode 'rwx' is not an octal mode; give a string such as \"0644\"",
        "files[0] (x.conf): path must be absolute",
        "files[1] (/etc/b): mode '0999' is not an octal mode; give a string such as \"0644\"",
        "secret_files[0] (/etc/b): given twice; give each file once",
    ]


def test_a_directory_may_also_be_a_file_parent_and_be_listed_twice():
    assert problems_in(["/etc/a", "/etc/a"], "0700", [{"path": "/etc/a/x", "mode": "0644"}]) == []
