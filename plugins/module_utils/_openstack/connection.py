# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Open an openstacksdk connection from the shared module options.

The options are documented once in the ``ooo.lifecycle.openstack`` doc
fragment; ``OPENSTACK_ARGUMENT_SPEC`` is the matching argument spec.
"""

from __future__ import annotations

import traceback

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import (
    SECRET_AUTH_KEYS,
    APIError,
    CloudConnectionError,
    exit_with,
    failed,
)
from ansible_collections.ooo.lifecycle.plugins.module_utils._retry import install as install_retry_policy

try:
    import openstack
    import openstack.config
    import openstack.exceptions as sdk_exceptions
    HAS_OPENSTACKSDK = True
    OPENSTACKSDK_IMPORT_ERROR = None
except ImportError:
    openstack = None
    sdk_exceptions = None
    HAS_OPENSTACKSDK = False
    OPENSTACKSDK_IMPORT_ERROR = traceback.format_exc()


OPENSTACK_ARGUMENT_SPEC = dict(
    cloud=dict(type="raw"),
    region_name=dict(type="str"),
    validate_certs=dict(type="bool", aliases=["verify"]),
    ca_cert=dict(type="path", aliases=["cacert"]),
    interface=dict(type="str", default="public", choices=["admin", "internal", "public"], aliases=["endpoint_type"]),
    timeout=dict(type="int", default=600),
    wait=dict(type="bool", default=True),
)


def openstack_argument_spec(**extra):
    """The shared connection options plus a module's own options."""
    spec = dict(OPENSTACK_ARGUMENT_SPEC)
    spec.update(extra)
    return spec


def connection_kwargs(params):
    """Pure: turn module parameters into ``openstack.connect`` keyword arguments.

    ``cloud`` is either the name of a ``clouds.yaml`` entry or a dict shaped
    like one (``auth``, ``region_name``, ...).
    """
    kwargs = {}
    cloud = params.get("cloud")
    if isinstance(cloud, dict):
        # "name" only labels the cloud in results and messages.
        kwargs.update((k, v) for k, v in cloud.items() if k != "name")
    elif cloud is not None:
        if not isinstance(cloud, str) or not cloud:
            raise CloudConnectionError("Failed to connect: option cloud must be a clouds.yaml entry name or a dict, got %r" % type(cloud).__name__)
        kwargs["cloud"] = cloud
    if params.get("region_name"):
        kwargs["region_name"] = params["region_name"]
    if params.get("validate_certs") is not None:
        kwargs["verify"] = params["validate_certs"]
    if params.get("ca_cert"):
        kwargs["cacert"] = params["ca_cert"]
    if params.get("interface"):
        kwargs["interface"] = params["interface"]
    return kwargs


def cloud_secrets(params):
    """Pure: the secret values inside a ``cloud`` dict, to be masked in every output."""
    found = []
    for cloud in [params.get("cloud")] + list(params.get("clouds") or []):
        if not isinstance(cloud, dict):
            continue
        for section in (cloud, cloud.get("auth") or {}):
            for key in SECRET_AUTH_KEYS:
                value = section.get(key)
                if isinstance(value, str) and value:
                    found.append(value)
    return found


def protect_secrets(module):
    """Mask the credentials of a ``cloud`` dict wherever they would show (results, invocation, errors)."""
    for value in cloud_secrets(module.params):
        module.no_log_values.add(value)


def run_openstack_module(module, run):
    """The OpenStack modules' entry: the cloud's credentials masked, openstacksdk required, then ``exit_with``."""
    protect_secrets(module)
    if not HAS_OPENSTACKSDK:
        module.fail_json(msg=missing_required_lib("openstacksdk"), exception=OPENSTACKSDK_IMPORT_ERROR)
    exit_with(module, run)


def describe_cloud(params):
    """A name for the cloud that never contains credentials."""
    cloud = params.get("cloud")
    if isinstance(cloud, dict):
        auth = cloud.get("auth") or {}
        return cloud.get("name") or auth.get("auth_url") or "(cloud given as a dict)"
    return cloud or "(from OS_* environment)"


def open_connection(params):
    """Connect and authenticate; raise ``CloudConnectionError`` with the cause."""
    if not HAS_OPENSTACKSDK:
        raise CloudConnectionError("Failed to import openstacksdk; install it on the host running the module (pip install openstacksdk)",
                                   exception=OPENSTACKSDK_IMPORT_ERROR)
    kwargs = connection_kwargs(params)
    name = describe_cloud(params)
    try:
        conn = openstack.connect(**kwargs)
        # Every request of every proxy goes through the one retry policy (module_utils/_retry.py), the token's too.
        install_retry_policy(conn)
        conn.authorize()
    except Exception as exc:  # pylint: disable=broad-except
        message = sdk_message(exc)
        if isinstance(params.get("cloud"), str) and "was not found" in message:
            message += known_clouds_hint()
        raise CloudConnectionError(failed("connect to", "cloud", name, message))
    return conn


def known_clouds_hint():
    """The entries of clouds.yaml, for the error about a name that is not one of them."""
    try:
        names = sorted(set(openstack.config.OpenStackConfig().get_cloud_names()))
    except Exception:  # pylint: disable=broad-except
        return ""
    return " The entries of clouds.yaml are: %s; fix the name or add the entry." % (", ".join(names) or "none")


def sdk_message(exc):
    """A one-line cause from an SDK or keystoneauth exception."""
    details = getattr(exc, "details", None)
    message = str(exc) or exc.__class__.__name__
    if details and details not in message:
        message = "%s (%s)" % (message, details)
    return message


def is_not_found(exc):
    """True when ``exc`` is the SDK's 404."""
    return sdk_exceptions is not None and isinstance(exc, sdk_exceptions.NotFoundException)


def call(verb, obj, name, fn, *args, **kwargs):
    """Run one API call, turning SDK errors into ``APIError``."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # pylint: disable=broad-except
        raise APIError(failed(verb, obj, name, sdk_message(exc)))
