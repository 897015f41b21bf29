# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)

from __future__ import annotations


class ModuleDocFragment(object):

    DOCUMENTATION = r'''
options:
  ca_cert:
    description:
      - Path to a CA bundle used to verify the cloud's TLS certificates.
    type: path
    aliases: [cacert]
  cloud:
    description:
      - The cloud to talk to, either the name of an entry in C(clouds.yaml)
        (found the way openstacksdk finds it, including C(secure.yaml) and
        C(OS_CLIENT_CONFIG_FILE)), or a dict shaped like such an entry
        (C(auth), C(region_name), C(interface), ...).
      - When omitted, openstacksdk reads C(OS_CLOUD) and the C(OS_*) environment.
      - Set it once for many tasks with C(module_defaults) on the action group
        C(group/ooo.lifecycle.openstack).
    type: raw
  interface:
    description:
      - Which endpoint interface of the service catalog to use.
    type: str
    default: public
    choices: [admin, internal, public]
    aliases: [endpoint_type]
  region_name:
    description:
      - The region of the cloud to use.
    type: str
  timeout:
    description:
      - How long, in seconds, the module waits for the cloud to reach the
        requested state before failing.
    type: int
    default: 600
  validate_certs:
    description:
      - Whether to verify TLS certificates. The default comes from the cloud's
        C(clouds.yaml) entry, and is C(true) there.
    type: bool
    aliases: [verify]
  wait:
    description:
      - Whether to wait until the requested state is reached.
    type: bool
    default: true
notes:
  - Transient API errors are retried by one policy (up to 4 tries, 3.5 to 7 s in all, with jitter) - a refused or
    timed-out connection for any request, a reset connection or HTTP 502, 503 or 504 only for reads and for writes
    that set a state (PUT, PATCH, DELETE). A POST that creates something, and an image's bytes, are never sent
    twice. While the module waits for a state, a transient error is one more poll until O(timeout).
requirements:
  - python >= 3.9
  - openstacksdk >= 4.0.0
'''
