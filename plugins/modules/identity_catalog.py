#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r'''
---
module: identity_catalog
short_description: Ensure Keystone domains, projects, roles, users and the service catalog
version_added: 0.1.0
description:
  - Reads the Keystone catalog once, computes what differs from the requested
    domains, projects, roles, users (with their role assignments), services and
    endpoints, and creates or updates only that.
  - Validates the whole request before the first write and reports every
    problem at once, each naming the item and the field.
  - Passwords are checked by authenticating as the user, so a changed password
    is detected and reset without reporting a change on every run.
  - Nothing is ever deleted; entries that are not listed are left alone.
author:
  - ooo.lifecycle developers (@ooo-lifecycle)
extends_documentation_fragment:
  - ooo.lifecycle.openstack
attributes:
  check_mode:
    support: full
    description: Returns the actions that would be taken, and performs none.
  diff_mode:
    support: full
    description: Shows the requested part of the catalog before and after (a line per item; passwords never shown).
options:
  domains:
    description: Domains to ensure.
    type: list
    elements: dict
    default: []
    suboptions:
      description:
        description: Description of the domain, used when it is created.
        type: str
      name:
        description: Domain name.
        type: str
        required: true
  endpoint_region:
    description: Region of the endpoints (created when missing), unless a service names its own.
    type: str
    default: regionOne
  projects:
    description: Projects to ensure.
    type: list
    elements: dict
    default: []
    suboptions:
      description:
        description: Description of the project, used when it is created.
        type: str
      domain:
        description: Domain of the project.
        type: str
        default: Default
      name:
        description: Project name.
        type: str
        required: true
  roles:
    description: Role names to ensure. C(admin), C(member) and C(reader) exist after bootstrap.
    type: list
    elements: str
    default: []
  services:
    description: Catalog services and their endpoints.
    type: list
    elements: dict
    default: []
    suboptions:
      description:
        description: Description of the service, used when it is created.
        type: str
      endpoints:
        description: Endpoint URL per interface, keys C(public), C(internal), C(admin).
        type: dict
        default: {}
      name:
        description: Service name, for example C(ironic).
        type: str
        required: true
      region:
        description: Region of this service's endpoints; defaults to O(endpoint_region).
        type: str
      type:
        description: Service type, for example C(baremetal).
        type: str
        required: true
  update_password:
    description:
      - C(always) checks each listed user's password by authenticating and resets it when it differs.
      - C(on_create) sets passwords only when creating users.
    type: str
    default: always
    choices: [always, on_create]
  users:
    description: Users to ensure, with their role assignments.
    type: list
    elements: dict
    default: []
    suboptions:
      description:
        description: Description of the user, used when it is created.
        type: str
      domain:
        description: Domain of the user.
        type: str
        default: Default
      name:
        description: User name.
        type: str
        required: true
      password:
        description: The user's password. Never shown in results or diffs.
        type: str
      roles:
        description: Role assignments of the user, each on exactly one project or domain.
        type: list
        elements: dict
        default: []
        suboptions:
          domain:
            description: Domain the role is granted on.
            type: str
          project:
            description: Project the role is granted on.
            type: str
          project_domain:
            description: Domain of O(users[].roles[].project).
            type: str
            default: Default
          role:
            description: Role name.
            type: str
            required: true
'''

EXAMPLES = r'''
- name: Register the bare-metal service
  ooo.lifecycle.identity_catalog:
    cloud: undercloud
    projects:
      - name: service
    users:
      - name: ironic
        password: "{{ ironic_password }}"
        roles:
          - role: admin
            project: service
    services:
      - name: ironic
        type: baremetal
        endpoints:
          public: http://198.18.0.1:6385
          internal: http://198.18.0.1:6385
'''

RETURN = r'''
actions:
  description: The actions taken, or in check mode planned, in order. Secrets are never included.
  returned: always
  type: list
  elements: str
  sample: ["create project service (domain Default)", "grant role admin to user ironic (domain Default) on project service (domain Default)"]
'''

from ansible_collections.ooo.lifecycle.plugins.module_utils._secrets import OOOModule
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import ValidationError
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import (
    open_connection,
    openstack_argument_spec,
    run_openstack_module,
)
from ansible_collections.ooo.lifecycle.plugins.module_utils._identity import IdentityCatalog, catalog_view, plan, validate


def password_checker(conn):
    """Return a function that tells whether a user's password authenticates."""
    def check(name, domain, password):
        from keystoneauth1 import exceptions as ks_exceptions
        from keystoneauth1 import session as ks_session
        from keystoneauth1.identity import v3
        auth = v3.Password(auth_url=conn.session.auth.auth_url, username=name, password=password, user_domain_name=domain)
        sess = ks_session.Session(auth=auth, verify=conn.session.verify)
        try:
            sess.get_token()
        except ks_exceptions.Unauthorized:
            return False
        return True
    return check


def run_module(module):
    desired = dict(
        domains=module.params["domains"],
        projects=module.params["projects"],
        roles=module.params["roles"],
        users=module.params["users"],
        services=module.params["services"],
        region=module.params["endpoint_region"],
        update_password=module.params["update_password"],
    )
    problems = validate(desired)
    if problems:
        raise ValidationError(problems)
    conn = open_connection(module.params)
    catalog = IdentityCatalog(conn, module.check_mode, password_checker(conn))
    current = catalog.read(desired)
    actions = catalog.apply(plan(desired, current))
    result = dict(changed=bool(actions), actions=actions)
    if module._diff:
        before, after = catalog_view(desired, current)
        result["diff"] = dict(before=before, after=after)
    return result


def main():
    module = OOOModule(
        argument_spec=openstack_argument_spec(
            domains=dict(type="list", elements="dict", default=[], options=dict(
                description=dict(type="str"),
                name=dict(type="str", required=True),
            )),
            endpoint_region=dict(type="str", default="regionOne"),
            projects=dict(type="list", elements="dict", default=[], options=dict(
                description=dict(type="str"),
                domain=dict(type="str", default="Default"),
                name=dict(type="str", required=True),
            )),
            roles=dict(type="list", elements="str", default=[]),
            services=dict(type="list", elements="dict", default=[], options=dict(
                description=dict(type="str"),
                endpoints=dict(type="dict", default={}),
                name=dict(type="str", required=True),
                region=dict(type="str"),
                type=dict(type="str", required=True),
            )),
            update_password=dict(type="str", default="always", choices=["always", "on_create"]),
            users=dict(type="list", elements="dict", default=[], options=dict(
                description=dict(type="str"),
                domain=dict(type="str", default="Default"),
                name=dict(type="str", required=True),
                password=dict(type="str", no_log=True),
                roles=dict(type="list", elements="dict", default=[], options=dict(
                    domain=dict(type="str"),
                    project=dict(type="str"),
                    project_domain=dict(type="str", default="Default"),
                    role=dict(type="str", required=True),
                )),
            )),
        ),
        supports_check_mode=True,
    )
    run_openstack_module(module, run_module)


if __name__ == "__main__":
    main()
