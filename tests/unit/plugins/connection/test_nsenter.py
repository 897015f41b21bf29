from __future__ import annotations

import os

import pytest

from ansible_collections.ooo.lifecycle.plugins.connection.nsenter import _start_time, start_time_of


def stat_line(comm, start):
    # pid (comm) state ppid ... with the start time as field 22
    rest = ["S", "1", "10", "10", "0", "-1", "4194560", "100", "0", "0", "0", "5", "3", "0", "0", "20", "0", "1", "0",
            str(start), "1000", "200"]
    return ("4242 (%s) " % comm + " ".join(rest)).encode()


@pytest.mark.parametrize("comm", ["sleep", "a b c", "odd) (name", "(("])
def test_start_time_is_read_past_any_command_name(comm):
    assert start_time_of(stat_line(comm, 987654)) == 987654


def test_start_time_of_this_process_and_of_none():
    assert _start_time(os.getpid()) > 0
    assert _start_time(2 ** 22 + 12345) is None
