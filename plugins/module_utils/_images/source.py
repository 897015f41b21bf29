# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""The local side of an image upload: checks, format detection, hashing, conversion.

One ``Source`` is shared by the threads that upload it to several clouds: the
digest is computed once, and each target format is converted once.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import CommandError, ValidationError

CHUNK = 8 * 1024 * 1024

# Disk formats Glance accepts.
GLANCE_DISK_FORMATS = ("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")
# qemu-img's name of a format -> Glance's name.
QEMU_TO_GLANCE = {"raw": "raw", "qcow2": "qcow2", "vmdk": "vmdk", "vpc": "vhd", "vhdx": "vhdx", "vdi": "vdi", "parallels": "ploop"}
GLANCE_TO_QEMU = dict((v, k) for k, v in QEMU_TO_GLANCE.items())
# Formats qemu-img converts to.
CONVERTIBLE = ("raw", "qcow2", "vmdk", "vhd", "vhdx", "vdi")
# Amazon-style images (a kernel, a ramdisk, a machine image booted with them): the raw bytes, stored as they are.
RAW_KINDS = ("aki", "ari", "ami")


def check_readable(path, what="filename"):
    """Raise ``ValidationError`` naming the path and the fix when it cannot be read."""
    if not path:
        raise ValidationError(["%s: no image file given; set it to the path of the image to upload" % what])
    if not os.path.exists(path):
        raise ValidationError(["%s: %s does not exist; give the path of an existing image file" % (what, path)])
    if not os.path.isfile(path):
        raise ValidationError(["%s: %s is not a regular file" % (what, path)])
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except OSError as exc:
        raise ValidationError(["%s: %s cannot be read (%s); fix its permissions or run the task with become" % (what, path, exc.strerror)])


def is_iso(path):
    """True when the file carries the ISO 9660 volume descriptor."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0x8001)
            return handle.read(5) == b"CD001"
    except OSError:
        return False


def glance_format(qemu_format):
    """Pure: Glance's disk format for qemu-img's name, or None when Glance has no such format."""
    return QEMU_TO_GLANCE.get(qemu_format)


def target_format(source_format, requested, cloud_format):
    """Pure: the disk format to store in one cloud.

    ``requested`` is the module's ``disk_format`` option: a Glance format,
    ``source`` (keep the file's) or ``cloud`` (the cloud's ``image_format``
    from clouds.yaml).  ISO images are never converted.
    """
    if source_format == "iso":
        return "iso"
    if requested == "source":
        return source_format
    if requested == "cloud":
        return cloud_format or source_format
    return requested


def conversion_problem(source_format, target):
    """Pure: why the file cannot be stored as ``target``, or None."""
    if source_format == target:
        return None
    if target in RAW_KINDS:
        if source_format == "raw":
            return None
        return "a %s image is stored as the file's raw bytes, and this file is %s (convert it to raw first)" % (target, source_format)
    if target not in GLANCE_DISK_FORMATS:
        return "disk format %s is not one Glance knows (%s)" % (target, ", ".join(GLANCE_DISK_FORMATS))
    if source_format not in CONVERTIBLE or target not in CONVERTIBLE:
        return "cannot convert %s to %s; qemu-img converts between %s" % (source_format, target, ", ".join(CONVERTIBLE))
    return None


class HashingReader(object):
    """A file object that hashes what is read from it (an upload computes the digest on the way)."""

    def __init__(self, handle, size, algo="sha256"):
        self._handle = handle
        self._size = size
        self.hasher = hashlib.new(algo)
        self.sent = 0

    def __len__(self):
        return self._size

    def __iter__(self):
        yield from iter(lambda: self.read(CHUNK), b"")

    def read(self, amount=-1):
        data = self._handle.read(CHUNK if amount is None or amount < 0 else max(amount, 65536))
        self.hasher.update(data)
        self.sent += len(data)
        return data


class Source(object):
    """The image file, as every cloud's upload sees it."""

    def __init__(self, path, workdir, run_command=None, qemu_img=None):
        """``run_command`` is the module's (``AnsibleModule.run_command``); ``qemu_img`` the path of qemu-img, None
        when it is not installed. Both are needed only to probe or convert: hashing needs neither."""
        self.path = path
        self.workdir = workdir
        self._run_command = run_command
        self._qemu_img_path = qemu_img
        self._lock = threading.Lock()
        self._digests = {}
        self._converted = {}
        self._prefetch = None
        self._cancel = threading.Event()
        self.size = os.path.getsize(path)
        self.format = None
        self.virtual_size = None

    def probe(self, declared=None):
        """Detect the disk format (qemu-img info); raise ``ValidationError`` when Glance cannot take it."""
        if is_iso(self.path):
            detected = "iso"
        else:
            info = self._qemu_img(["info", "--output=json", self.path], "read the format of %s" % self.path)
            data = json.loads(info)
            detected = glance_format(data.get("format"))
            self.virtual_size = data.get("virtual-size")
            if detected is None:
                raise ValidationError(["filename: %s is in the %s format, which Glance does not take; convert it first "
                                       "(qemu-img convert -O qcow2 ...) or give a raw or qcow2 file" % (self.path, data.get("format"))])
        if declared and declared != detected:
            raise ValidationError(["source_format: %s was given, but %s is %s (qemu-img info); drop source_format or fix it"
                                   % (declared, self.path, detected)])
        self.format = detected
        return detected

    def prefetch_digest(self):
        """Start hashing the file in the background while the clouds are asked what they hold.

        hashlib releases the GIL, so this overlaps the API calls; an upload that hashes the bytes on their way
        cancels it (``cancel_prefetch``) so the disk and CPU go to the upload.
        """
        def work():
            hasher = hashlib.sha256()
            with open(self.path, "rb") as handle:
                for block in iter(lambda: handle.read(CHUNK), b""):
                    if self._cancel.is_set():
                        return
                    hasher.update(block)
            self.remember("sha256", hasher.hexdigest())
        self._prefetch = threading.Thread(target=work, name="sha256-prefetch", daemon=True)
        self._prefetch.start()

    def cancel_prefetch(self):
        """Stop the background hash unless it is done (another cloud may need it: then it is kept)."""
        if self._prefetch is not None and self._prefetch.is_alive():
            self._cancel.set()
            self._prefetch.join()

    def digest(self, algo="sha256", path=None):
        """Hex digest of the file (streamed), computed once per algorithm."""
        key = (algo, path or self.path)
        if algo == "sha256" and path is None and self._prefetch is not None and not self._cancel.is_set():
            self._prefetch.join()
        with self._lock:
            if key not in self._digests:
                hasher = hashlib.new(algo)
                with open(path or self.path, "rb") as handle:
                    for block in iter(lambda: handle.read(CHUNK), b""):
                        hasher.update(block)
                self._digests[key] = hasher.hexdigest()
            return self._digests[key]

    def remember(self, algo, value):
        """Record a digest computed elsewhere (during an upload)."""
        with self._lock:
            self._digests.setdefault((algo, self.path), value)

    def known_digest(self, algo="sha256"):
        with self._lock:
            return self._digests.get((algo, self.path))

    def file_for(self, disk_format):
        """Path of the bytes to send for ``disk_format``: the file itself or a converted copy (made once)."""
        if disk_format == self.format or (disk_format in RAW_KINDS and self.format == "raw"):
            return self.path
        sha = self.digest()
        with self._lock:
            if disk_format in self._converted:
                return self._converted[disk_format]
            os.makedirs(self.workdir, exist_ok=True)
            out = os.path.join(self.workdir, "%s.%s" % (sha, disk_format))
            if not os.path.exists(out):
                tmp = out + ".part"
                self._qemu_img(["convert", "-f", GLANCE_TO_QEMU[self.format], "-O", GLANCE_TO_QEMU[disk_format], self.path, tmp],
                               "convert %s from %s to %s" % (self.path, self.format, disk_format))
                os.rename(tmp, out)
            self._converted[disk_format] = out
            return out

    def converted_files(self):
        with self._lock:
            return list(self._converted.values())

    def _qemu_img(self, args, what):
        cmd = [self._qemu_img_path or "qemu-img"] + args
        if not self._qemu_img_path or self._run_command is None:
            raise CommandError("Failed to %s: qemu-img is not installed (apt-get install qemu-utils)" % what, cmd, 127, "", "")
        rc, out, err = self._run_command(cmd)
        if rc != 0:
            raise CommandError("Failed to %s: %s" % (what, err.strip() or out.strip()), cmd, rc, out, err)
        return out
