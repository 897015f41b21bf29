# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Typed errors shared by the collection's modules.

Library code raises these; only a module's ``main()`` turns them into
``fail_json``.  Messages read "Failed to <verb> <object> <name>: <cause>".
"""

from __future__ import annotations

# The secret keys of a clouds.yaml entry's auth section, as openstacksdk knows them: masked wherever a cloud's
# credentials could show (connection.py, clouds_info), and kept out of clouds.yaml for secure.yaml (clouds_file.py).
# Here, not in connection.py, so that clouds_file and the clouds_yaml module do not import openstacksdk.
SECRET_AUTH_KEYS = ("password", "token", "application_credential_secret", "passcode", "secret", "totp")


class OOOError(Exception):
    """Base of every error the collection raises on purpose."""

    def __init__(self, message, **details):
        super(OOOError, self).__init__(message)
        self.message = message
        self.details = details

    def to_fail_kwargs(self):
        """Keyword arguments for ``module.fail_json``."""
        kwargs = dict(msg=self.message)
        kwargs.update(self.details)
        return kwargs


class ValidationError(OOOError):
    """Bad input: raised before anything is written."""

    def __init__(self, problems):
        self.problems = list(problems)
        message = "Invalid input: " + "; ".join(self.problems)
        super(ValidationError, self).__init__(message, problems=self.problems)


class CloudConnectionError(OOOError):
    """The cloud could not be reached or authenticated against."""


class APIError(OOOError):
    """An OpenStack API call failed."""


class CommandError(OOOError):
    """A command run on the host failed."""

    def __init__(self, message, cmd, rc, stdout, stderr):
        super(CommandError, self).__init__(message, cmd=cmd, rc=rc, stdout=stdout, stderr=stderr)


class WaitTimeout(OOOError):
    """A waiter ran out of time."""


def at_least(params, minimum, *names):
    """Pure: a problem for each of the integer options ``names`` below ``minimum`` (concurrency 0 would hang a pool,
    a timeout of 0 fails every call)."""
    return ["%s: %s; give %s or more" % (name, params[name], minimum) for name in names
            if params.get(name) is not None and params[name] < minimum]


def failed(verb, obj, name, cause):
    """Format the collection's standard failure message."""
    label = "%s %s" % (obj, name) if name else obj
    return "Failed to %s %s: %s" % (verb, label, cause)


def exit_with(module, run):
    """A module's last step: exit with ``run(module)``'s result, or fail with an OOOError's message and fields."""
    try:
        module.exit_json(**run(module))
    except OOOError as exc:
        module.fail_json(**exc.to_fail_kwargs())
