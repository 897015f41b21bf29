# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Keystone catalog reconciliation: pure validation and planning, then I/O.

``validate`` and ``plan`` are pure and unit-tested; ``IdentityCatalog`` reads
the cloud once, asks ``plan`` what differs and applies only that through one
guarded write path (``_perform``).
"""

from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.common import APIError, failed
from ansible_collections.ooo.lifecycle.plugins.module_utils._openstack.connection import sdk_message

INTERFACES = ("public", "internal", "admin")
DEFAULT_DOMAIN = "Default"


def validate(desired):
    """Return every problem of the desired catalog at once (empty when fine)."""
    problems = []
    domain_names = {DEFAULT_DOMAIN} | {d["name"] for d in desired["domains"]}
    project_keys = {(p["name"], p.get("domain") or DEFAULT_DOMAIN) for p in desired["projects"]}
    role_names = set(desired["roles"])

    def dupes(kind, keys):
        seen = set()
        for key in keys:
            if key in seen:
                problems.append("%s %s is listed twice; keep one entry" % (kind, key))
            seen.add(key)

    dupes("domain", [d["name"] for d in desired["domains"]])
    dupes("project", [(p["name"], p.get("domain") or DEFAULT_DOMAIN) for p in desired["projects"]])
    dupes("user", [(u["name"], u.get("domain") or DEFAULT_DOMAIN) for u in desired["users"]])
    dupes("service", [s["name"] for s in desired["services"]])

    for project in desired["projects"]:
        if (project.get("domain") or DEFAULT_DOMAIN) not in domain_names:
            problems.append("project %s: domain %s is neither Default nor listed in domains; add it to domains"
                            % (project["name"], project["domain"]))
    for user in desired["users"]:
        where = "user %s" % user["name"]
        if (user.get("domain") or DEFAULT_DOMAIN) not in domain_names:
            problems.append("%s: domain %s is neither Default nor listed in domains; add it to domains" % (where, user["domain"]))
        for index, grant in enumerate(user.get("roles") or []):
            field = "%s: roles[%d]" % (where, index)
            if bool(grant.get("project")) == bool(grant.get("domain")):
                problems.append("%s needs exactly one of project or domain" % field)
            if grant.get("role") not in role_names and grant.get("role") not in ("admin", "member", "reader"):
                problems.append("%s: role %s is not listed in roles; add it there" % (field, grant.get("role")))
            if grant.get("project"):
                key = (grant["project"], grant.get("project_domain") or DEFAULT_DOMAIN)
                if key not in project_keys and grant["project"] != "admin":
                    problems.append("%s: project %s is not listed in projects; add it there" % (field, grant["project"]))
            if grant.get("domain") and grant["domain"] not in domain_names:
                problems.append("%s: domain %s is not listed in domains; add it there" % (field, grant["domain"]))
    for service in desired["services"]:
        where = "service %s" % service["name"]
        if not service.get("type"):
            problems.append("%s: type is required (for example identity, baremetal, image, orchestration)" % where)
        for interface, url in (service.get("endpoints") or {}).items():
            if interface not in INTERFACES:
                problems.append("%s: endpoints.%s is not an interface; use public, internal or admin" % (where, interface))
            elif not isinstance(url, str) or not url.startswith(("http://", "https://")):
                problems.append("%s: endpoints.%s must be an http(s) URL, got %r" % (where, interface, url))
    return problems


def _assignments(user, key):
    """Pure: the role assignments a requested user asks for, as (user, user_domain, role, scope_kind, scope_name,
    scope_domain) tuples; ``key`` is the user's (name, domain)."""
    for grant in user.get("roles") or []:
        if grant.get("project"):
            scope = ("project", grant["project"], grant.get("project_domain") or DEFAULT_DOMAIN)
        else:
            scope = ("domain", grant["domain"], None)
        yield key + (grant["role"],) + scope


def _endpoints(service, default_region):
    """Pure: the endpoints a requested service asks for, as ((service, interface, region), url), in interface order."""
    region = service.get("region") or default_region
    for interface in INTERFACES:
        url = (service.get("endpoints") or {}).get(interface)
        if url:
            yield (service["name"], interface, region), url


def plan(desired, current):
    """Pure: the actions that bring ``current`` to ``desired``.

    ``current`` is the normalized state read by ``IdentityCatalog.read``:
    ``domains`` (set of names), ``projects`` (set of (name, domain)), ``roles``
    (set), ``users`` (dict (name, domain) -> {"password_ok": bool}),
    ``assignments`` (set of (user, user_domain, role, scope_kind, scope_name,
    scope_domain)), ``services`` (dict name -> {"type", "description"}),
    ``endpoints`` (dict (service, interface, region) -> url).
    Each action is a tuple (kind, key, data) in the order they must run.
    """
    actions = []
    for domain in desired["domains"]:
        if domain["name"] not in current["domains"]:
            actions.append(("create_domain", domain["name"], {"description": domain.get("description") or ""}))
    for project in desired["projects"]:
        key = (project["name"], project.get("domain") or DEFAULT_DOMAIN)
        if key not in current["projects"]:
            actions.append(("create_project", key, {"description": project.get("description") or ""}))
    for role in desired["roles"]:
        if role not in current["roles"]:
            actions.append(("create_role", role, {}))
    for user in desired["users"]:
        key = (user["name"], user.get("domain") or DEFAULT_DOMAIN)
        state = current["users"].get(key)
        if state is None:
            actions.append(("create_user", key, {"password": user.get("password"), "description": user.get("description") or ""}))
        elif user.get("password") and not state.get("password_ok", True):
            actions.append(("update_password", key, {"password": user["password"]}))
        for assignment in _assignments(user, key):
            if assignment not in current["assignments"]:
                actions.append(("grant_role", assignment, {}))
    for service in desired["services"]:
        have = current["services"].get(service["name"])
        if have is None:
            actions.append(("create_service", service["name"], {"type": service["type"], "description": service.get("description") or ""}))
        elif have.get("type") != service["type"]:
            actions.append(("update_service", service["name"], {"type": service["type"]}))
        for ekey, url in _endpoints(service, desired["region"]):
            if ekey not in current["endpoints"]:
                actions.append(("create_endpoint", ekey, {"url": url}))
            elif current["endpoints"][ekey] != url:
                actions.append(("update_endpoint", ekey, {"url": url}))
    if desired["services"] and desired["region"] not in current.get("regions", set()):
        actions.insert(0, ("create_region", desired["region"], {}))
    return actions


def catalog_view(desired, current):
    """Pure: the requested part of the catalog as text, before and after (``diff``'s before/after): a line per
    requested domain, project, role, user, grant, service and endpoint, as ``current`` has it and as it will be.
    Passwords never show: a user's line says only whether its password is reset."""
    before, after = [], []

    def line(text, exists):
        if exists:
            before.append(text)
        after.append(text)

    for domain in desired["domains"]:
        line("domain %s" % domain["name"], domain["name"] in current["domains"])
    for project in desired["projects"]:
        key = (project["name"], project.get("domain") or DEFAULT_DOMAIN)
        line("project %s (domain %s)" % key, key in current["projects"])
    for role in desired["roles"]:
        line("role %s" % role, role in current["roles"])
    for user in desired["users"]:
        key = (user["name"], user.get("domain") or DEFAULT_DOMAIN)
        state = current["users"].get(key)
        text = "user %s (domain %s)" % key
        if state is None:
            line(text, False)
        elif user.get("password") and not state.get("password_ok", True):
            before.append(text + ", password outdated")
            after.append(text + ", password reset")
        else:
            line(text, True)
        for assignment in _assignments(user, key):
            line(describe(("grant_role", assignment, {})).replace("grant role", "role", 1),
                 assignment in current["assignments"])
    for service in desired["services"]:
        have = current["services"].get(service["name"])
        if have is None:
            line("service %s (%s)" % (service["name"], service["type"]), False)
        else:
            before.append("service %s (%s)" % (service["name"], have.get("type")))
            after.append("service %s (%s)" % (service["name"], service["type"]))
        for ekey, url in _endpoints(service, desired["region"]):
            text = "endpoint %s %s in %s: " % ekey
            if ekey in current["endpoints"]:
                before.append(text + current["endpoints"][ekey])
            after.append(text + url)
    return "".join(x + "\n" for x in before), "".join(x + "\n" for x in after)


def describe(action):
    """A human-readable, secret-free line for an action."""
    kind, key, data = action
    if isinstance(key, tuple):
        if kind == "grant_role":
            user, user_domain, role, scope_kind, scope_name, scope_domain = key
            where = "%s %s" % (scope_kind, scope_name)
            if scope_domain:
                where += " (domain %s)" % scope_domain
            return "grant role %s to user %s (domain %s) on %s" % (role, user, user_domain, where)
        if kind in ("create_endpoint", "update_endpoint"):
            return "%s %s %s in %s -> %s" % (kind.replace("_", " "), key[0], key[1], key[2], data["url"])
        return "%s %s (domain %s)" % (kind.replace("_", " "), key[0], key[1])
    return "%s %s" % (kind.replace("_", " "), key)


class IdentityCatalog(object):
    """Reads Keystone once and applies a plan through one write path."""

    def __init__(self, conn, check_mode, password_checker):
        self.conn = conn
        self.check_mode = check_mode
        self.password_checker = password_checker
        self.performed = []
        self._ids = {}

    def read(self, desired):
        ident = self.conn.identity
        try:
            domains = {d.name: d.id for d in ident.domains()}
            domain_names = {v: k for k, v in domains.items()}
            projects = {(p.name, domain_names.get(p.domain_id)): p.id for p in ident.projects()}
            roles = {r.name: r.id for r in ident.roles()}
            users = {}
            for user in ident.users():
                users[(user.name, domain_names.get(user.domain_id))] = user.id
            services = {s.name: s for s in ident.services()}
            service_names = {s.id: s.name for s in services.values()}
            endpoints = {}
            for ep in ident.endpoints():
                endpoints[(service_names.get(ep.service_id), ep.interface, ep.region_id)] = (ep.id, ep.url)
            regions = {r.id for r in ident.regions()}
            assignments = set()
            user_keys = {v: k for k, v in users.items()}
            role_names = {v: k for k, v in roles.items()}
            project_keys = {v: k for k, v in projects.items()}
            for ra in ident.role_assignments():
                user_id = (ra.user or {}).get("id")
                role_id = (ra.role or {}).get("id")
                if user_id not in user_keys or role_id not in role_names:
                    continue
                scope = ra.scope or {}
                if "project" in scope:
                    pkey = project_keys.get(scope["project"].get("id"))
                    if pkey:
                        assignments.add(user_keys[user_id] + (role_names[role_id], "project", pkey[0], pkey[1]))
                elif "domain" in scope:
                    dname = domain_names.get(scope["domain"].get("id"))
                    assignments.add(user_keys[user_id] + (role_names[role_id], "domain", dname, None))
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError(failed("read", "identity catalog", None, sdk_message(exc)))
        self._ids = dict(domains=domains, projects=projects, roles=roles, users=users, services=services, endpoints=endpoints)
        user_state = {}
        wanted = {(u["name"], u.get("domain") or DEFAULT_DOMAIN): u for u in desired["users"]}
        for key in users:
            state = {"password_ok": True}
            want = wanted.get(key)
            if want and want.get("password") and desired.get("update_password") == "always":
                state["password_ok"] = self.password_checker(key[0], key[1], want["password"])
            user_state[key] = state
        return dict(
            domains=set(domains),
            projects=set(projects),
            roles=set(roles),
            users=user_state,
            assignments=assignments,
            services={n: {"type": s.type, "description": s.description} for n, s in services.items()},
            endpoints={k: v[1] for k, v in endpoints.items()},
            regions=regions,
        )

    def _perform(self, action):
        """The one write path: records the action once done (planned, in check mode). A failed action stops the run
        (the next ones may need it: a project needs its domain), and the error carries what was done before it."""
        if self.check_mode:
            self.performed.append(describe(action))
            return
        kind, key, data = action
        try:
            getattr(self, "_" + kind)(key, data)
        except Exception as exc:  # pylint: disable=broad-except
            raise APIError("Failed to %s: %s" % (describe(action), sdk_message(exc)), changed=bool(self.performed),
                           actions=list(self.performed), failed_action=describe(action))
        self.performed.append(describe(action))

    def apply(self, actions):
        for action in actions:
            self._perform(action)
        return self.performed

    def _domain_id(self, name):
        return self._ids["domains"][name]

    def _create_region(self, key, data):
        self.conn.identity.create_region(id=key)

    def _create_domain(self, key, data):
        domain = self.conn.identity.create_domain(name=key, description=data["description"], is_enabled=True)
        self._ids["domains"][key] = domain.id

    def _create_project(self, key, data):
        project = self.conn.identity.create_project(name=key[0], domain_id=self._domain_id(key[1]), description=data["description"])
        self._ids["projects"][key] = project.id

    def _create_role(self, key, data):
        role = self.conn.identity.create_role(name=key)
        self._ids["roles"][key] = role.id

    def _create_user(self, key, data):
        kwargs = dict(name=key[0], domain_id=self._domain_id(key[1]), description=data["description"], is_enabled=True)
        if data.get("password"):
            kwargs["password"] = data["password"]
        user = self.conn.identity.create_user(**kwargs)
        self._ids["users"][key] = user.id

    def _update_password(self, key, data):
        self.conn.identity.update_user(self._ids["users"][key], password=data["password"])

    def _grant_role(self, key, data):
        user, user_domain, role, scope_kind, scope_name, scope_domain = key
        user_id = self._ids["users"][(user, user_domain)]
        role_id = self._ids["roles"][role]
        if scope_kind == "project":
            project_id = self._ids["projects"][(scope_name, scope_domain)]
            self.conn.identity.assign_project_role_to_user(project_id, user_id, role_id)
        else:
            self.conn.identity.assign_domain_role_to_user(self._domain_id(scope_name), user_id, role_id)

    def _create_service(self, key, data):
        service = self.conn.identity.create_service(name=key, type=data["type"], description=data["description"], is_enabled=True)
        self._ids["services"][key] = service

    def _update_service(self, key, data):
        self.conn.identity.update_service(self._ids["services"][key], type=data["type"])

    def _create_endpoint(self, key, data):
        service = self._ids["services"][key[0]]
        self.conn.identity.create_endpoint(service_id=service.id, interface=key[1], region_id=key[2], url=data["url"], is_enabled=True)

    def _update_endpoint(self, key, data):
        endpoint_id = self._ids["endpoints"][key][0]
        self.conn.identity.update_endpoint(endpoint_id, url=data["url"])
