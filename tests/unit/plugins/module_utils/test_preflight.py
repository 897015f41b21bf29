from __future__ import annotations

import os

from ansible_collections.ooo.lifecycle.plugins.module_utils._preflight import decode_address, overlaps, parse_proc_net_tcp, writable_problem

PROC_NET_TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1388 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0 100 0 0 10 0
   1: 0100007F:1388 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 0 1 0 20 4 30 10 -1
   2: 00000000:0016 00000000:000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1 0 100 0 0 10 0
"""


def test_decode_address():
    assert decode_address("0100007F:1388") == ("127.0.0.1", 5000)
    assert decode_address("00000000000000000000000000000000:0050") == ("::", 80)


def test_parse_keeps_only_listeners():
    assert parse_proc_net_tcp(PROC_NET_TCP) == [("127.0.0.1", 5000, 12345), ("0.0.0.0", 22, 999)]


def test_overlaps():
    assert overlaps("127.0.0.1", "0.0.0.0")
    assert overlaps("0.0.0.0", "198.18.0.1")
    assert overlaps("198.18.0.1", "198.18.0.1")
    assert not overlaps("127.0.0.1", "198.18.0.1")


def test_writable_problem(tmp_path):
    assert writable_problem(str(tmp_path / "a" / "b" / "clouds.yaml")) is None
    afile = tmp_path / "file"
    afile.write_text("x")
    assert "is not a directory" in writable_problem(str(afile / "clouds.yaml"))
    assert "is a directory" in writable_problem(str(tmp_path))
    if os.path.exists("/proc/version"):
        assert writable_problem("/proc/clouds.yaml") is not None
