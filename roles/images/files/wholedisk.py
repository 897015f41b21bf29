"""Make a whole-disk raw image from a file system image: an MBR partition table with one bootable Linux partition
that starts at 1 MiB and holds the file system, as a machine's disk would after a deployment.

  wholedisk.py FS_IMAGE OUTPUT [DISK_ID]

DISK_ID (hex, 32 bits) is the MBR's disk identifier; by default it is derived from the file system image's size and
first MiB, so the same file system gives the same bytes. Holes in the file system image stay holes in OUTPUT.
Written to OUTPUT.part, then renamed.
"""

import hashlib
import os
import struct
import sys

SECTOR = 512
START = 2048  # the first partition at 1 MiB, as every partitioning tool aligns it
BLOCK = 1024 * 1024


def mbr(start, sectors, disk_id):
    """The first sector: no boot code, the disk identifier, one bootable partition of type 0x83 (Linux)."""
    entry = struct.pack("<B3sB3sII", 0x80, b"\xfe\xff\xff", 0x83, b"\xfe\xff\xff", start, sectors)
    return bytes(440) + struct.pack("<I", disk_id) + bytes(2) + entry + bytes(48) + b"\x55\xaa"


def partitions(first_sector):
    """The MBR's used entries as (index, bootable, type, start sector, sectors); [] when it is no MBR."""
    if len(first_sector) < SECTOR or first_sector[510:512] != b"\x55\xaa":
        return []
    out = []
    for index in range(4):
        status, _chs, ptype, _chs2, start, sectors = struct.unpack_from("<B3sB3sII", first_sector, 446 + 16 * index)
        if ptype and sectors:
            out.append((index + 1, status == 0x80, ptype, start, sectors))
    return out


def make(fs_image, output, disk_id=None):
    size = os.path.getsize(fs_image)
    if size % SECTOR:
        raise ValueError("%s: size %d is not a multiple of %d" % (fs_image, size, SECTOR))
    with open(fs_image, "rb") as src:
        if disk_id is None:
            digest = hashlib.sha256(str(size).encode() + src.read(BLOCK)).digest()
            disk_id = struct.unpack("<I", digest[:4])[0]
            src.seek(0)
        tmp = output + ".part"
        with open(tmp, "wb") as dst:
            dst.write(mbr(START, size // SECTOR, disk_id))
            dst.seek(START * SECTOR)
            while True:
                block = src.read(BLOCK)
                if not block:
                    break
                if block.count(0) == len(block):
                    dst.seek(len(block), os.SEEK_CUR)
                else:
                    dst.write(block)
            # One MiB after the partition, as a disk has some slack; truncate also sizes a trailing hole.
            dst.truncate(START * SECTOR + size + BLOCK)
    os.replace(tmp, output)


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write(__doc__)
        return 2
    make(argv[1], argv[2], int(argv[3], 16) if len(argv) == 4 else None)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
