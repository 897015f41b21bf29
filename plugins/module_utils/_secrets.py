# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Secrets masked before a module says anything: in the invocation it logs, in its results, in its errors.

``AnsibleModule`` masks an option only when it is declared ``no_log``. That is not enough for the nested secrets
this collection's modules take: the password inside a ``cloud`` dict, a node's ``redfish_password``, a container's
``DB_PASSWORD`` environment entry, a Heat parameter named ``AdminPassword``. ``AnsibleModule`` also logs its
invocation (syslog, or the journal) in its constructor, before the module's own code could mask them.

``OOOModule`` finds such values while the module is being constructed, before the invocation is logged, and adds
them to the module's ``no_log_values``. Ansible then shows them as ``********`` in the log, the results, the
returned commands and the errors.
"""

from __future__ import annotations

import re

from ansible.module_utils.basic import AnsibleModule

# A key whose value is a secret: password, *_password, passwd, secret, *_secret, token, passphrase, credential(s);
# case-insensitive, so environment names (DB_PASSWORD, OS_TOKEN) count too.
SECRET_KEY = re.compile(r"(^|[_.-])(password|passwd|pass|pwd|secret|token|passphrase|passcode|credentials?)$", re.IGNORECASE)
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
# Shorter values are not masked: masking replaces every occurrence in every output, and a two-letter "secret"
# would garble everything. Generated secrets here are 24 characters and more.
MIN_LENGTH = 6


def is_secret_key(key):
    """Whether a key names a secret: AdminPassword and admin_password alike, not bypass nor password_length."""
    return bool(SECRET_KEY.search(CAMEL.sub("_", str(key))))


def _add(found, value):
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        text = str(value)
        if len(text) >= MIN_LENGTH:
            found.add(text)


def secret_values(value, key=None, found=None):
    """Pure: every secret inside ``value`` (any nesting of dicts and lists): the values under secret keys, and
    the VALUE of a ``KEY=VALUE`` string whose KEY is a secret key (environment lists)."""
    found = set() if found is None else found
    if key is not None and is_secret_key(key) and not isinstance(value, (dict, list)):
        _add(found, value)
        return found
    if isinstance(value, dict):
        for sub_key, sub_value in value.items():
            secret_values(sub_value, sub_key, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, str) and "=" in item:
                name, _sep, text = item.partition("=")
                if is_secret_key(name.strip()):
                    _add(found, text)
                    continue
            secret_values(item, None, found)
    return found


class OOOModule(AnsibleModule):
    """An AnsibleModule whose nested secrets are masked before its invocation is logged and in all it returns."""

    def _mask_secrets(self):
        for value in secret_values(self.params):
            self.no_log_values.add(value)

    def _log_invocation(self):
        # AnsibleModule calls this from its constructor, once the options are validated: the last moment before
        # anything is written to syslog or the journal.
        self._mask_secrets()
        super()._log_invocation()

    def exit_json(self, **kwargs):
        self._mask_secrets()
        super().exit_json(**kwargs)

    def fail_json(self, msg, **kwargs):
        # Also reached from the constructor, before _log_invocation, when an option is invalid: the invocation
        # returned with the error is masked too.
        self._mask_secrets()
        super().fail_json(msg, **kwargs)
