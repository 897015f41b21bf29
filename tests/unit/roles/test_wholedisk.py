"""Pure parts of the golden image's whole-disk layout (roles/images/files/wholedisk.py): the MBR it writes and reads."""
import importlib.util
import os

SPEC = importlib.util.spec_from_file_location(
    "wholedisk", os.path.join(os.path.dirname(__file__), "..", "..", "..", "roles", "images", "files", "wholedisk.py"))
wholedisk = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(wholedisk)


def test_mbr_has_one_bootable_linux_partition_at_one_mib():
    sector = wholedisk.mbr(2048, 1000, 0x12345678)
    assert len(sector) == 512 and sector[510:] == b"\x55\xaa" and sector[440:444] == b"\x78\x56\x34\x12"
    assert wholedisk.partitions(sector) == [(1, True, 0x83, 2048, 1000)]


def test_partitions_of_no_mbr_is_empty():
    assert wholedisk.partitions(bytes(512)) == []
    assert wholedisk.partitions(b"\x55\xaa") == []


def test_make_keeps_holes_and_puts_the_file_system_at_one_mib(tmp_path):
    fs = tmp_path / "fs"
    with open(fs, "wb") as handle:
        handle.write(b"\x53\xef" * 512)
        handle.truncate(4 * 1024 * 1024)
    out = tmp_path / "disk.raw"
    wholedisk.make(str(fs), str(out))
    data = out.read_bytes()
    assert len(data) == 1024 * 1024 + 4 * 1024 * 1024 + 1024 * 1024
    assert data[1024 * 1024:1024 * 1024 + 1024] == b"\x53\xef" * 512
    assert wholedisk.partitions(data[:512])[0][3:] == (2048, 4 * 2048)
    assert os.stat(out).st_blocks * 512 < 2 * 1024 * 1024, "the zero blocks stay holes"
    first = data[:512]
    wholedisk.make(str(fs), str(out))
    assert out.read_bytes()[:512] == first, "the same file system gives the same disk identifier"
