# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Files a module owns: read (absent is None) and written atomically with their mode, never half-written."""

from __future__ import annotations

import os
import tempfile

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError


def read_bytes(path):
    """The file's content, or None when there is no such file; any other error names the file, before any write."""
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ValidationError(["%s: cannot be read (%s)" % (path, exc.strerror)]) from exc


def write_atomic(path, data, mode):
    """Write data (bytes) to path through a temporary file in its directory, renamed over it once complete, with mode.
    A missing directory is made: 0700 for a 0600 file (credentials), else 0755."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, mode=0o700 if mode & 0o077 == 0 else 0o755, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
