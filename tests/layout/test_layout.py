"""The collection's layout rules, read from the files (run by the lint stage).

- No role, playbook or scenario reads another role's private (``__``) variable: a ``__`` variable may be used only
  where it is defined (set_fact, register, vars, loop_var). Roles exchange data through documented options and return
  facts (for example validations_results).
- Every role has meta/argument_specs.yml, and ``ansible-doc -t role`` renders each one.
- Every ``tasks_from`` names an entry point of that role's argument spec, as the spec spells it (``guest``, not
  ``guest.yml``): Ansible validates a role's arguments only against the spec of the entry point named exactly so, and
  silently validates nothing otherwise.
"""
import json
import os
import re
import subprocess
from collections import defaultdict
from pathlib import Path

TOP = Path(__file__).resolve().parents[2]
ROLES = sorted(p.name for p in (TOP / "roles").iterdir() if p.is_dir())
VAR = re.compile(r"(?<![A-Za-z0-9_.])(__[a-z][a-z0-9_]*)")
DEFINED = [re.compile(r"^\s*(?:-\s+)?(__[a-z][a-z0-9_]*)\s*:", re.M),
           re.compile(r"(?:register|loop_var|index_var):\s*(__[a-z][a-z0-9_]*)"),
           re.compile(r"\{%-?\s*(?:set|for)\s+(?:[a-z_][a-z0-9_]*\s*,\s*)?(__[a-z][a-z0-9_]*)"),
           # A quoted key of a Jinja dict: the variables a template lookup is given (template_vars={'__x': ...}).
           re.compile(r"['\"](__[a-z][a-z0-9_]*)['\"]\s*:")]


def owner(path):
    rel = path.relative_to(TOP)
    return "roles/%s" % rel.parts[1] if rel.parts[0] == "roles" else str(rel)


def files():
    for pattern in ("roles/**/*.yml", "roles/**/*.j2", "playbooks/*.yml", "molecule/**/*.yml"):
        yield from TOP.glob(pattern)


def test_no_private_variable_is_read_outside_where_it_is_defined():
    used, defined = defaultdict(set), defaultdict(set)
    for path in files():
        text = path.read_text()
        for match in VAR.finditer(text):
            used[match.group(1)].add(owner(path))
        for pattern in DEFINED:
            for match in pattern.finditer(text):
                defined[match.group(1)].add(owner(path))
    leaks = dict((var, sorted(where - defined[var])) for var, where in used.items() if where - defined[var])
    assert leaks == {}, ("private variables read where they are not defined (make them documented options or return "
                         "facts of the role that owns them): %s" % json.dumps(leaks, indent=1))


def test_the_rule_sees_a_leak():
    """The rule above can fail: a playbook reading a role's private fact is caught."""
    text = "- hosts: all\n  tasks:\n    - debug: {msg: '{{ __validations_results }}'}\n"
    used = set(m.group(1) for m in VAR.finditer(text))
    defined = set(m.group(1) for p in DEFINED for m in p.finditer(text))
    assert used - defined == {"__validations_results"}


def test_every_role_has_an_argument_spec_that_ansible_doc_renders():
    missing = [r for r in ROLES if not (TOP / "roles" / r / "meta" / "argument_specs.yml").is_file()]
    assert missing == [], "roles without meta/argument_specs.yml: %s" % missing
    env = dict(os.environ, ANSIBLE_CONFIG=str(TOP / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    proc = subprocess.run(["ansible-doc", "-t", "role", "--json"] + ["ooo.lifecycle.%s" % r for r in ROLES],
                          cwd=TOP, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    docs = json.loads(proc.stdout)
    for role in ROLES:
        entry_points = docs["ooo.lifecycle.%s" % role]["entry_points"]
        assert entry_points, role
        for name, spec in entry_points.items():
            assert spec.get("short_description"), "%s %s: no short_description" % (role, name)
            for option, info in (spec.get("options") or {}).items():
                assert info.get("description"), "%s %s: option %s has no description" % (role, name, option)


TASKS_FROM = re.compile(r"name:\s*ooo\.lifecycle\.([a-z_]+)\s*\n(?:\s+[a-z_]+:.*\n)*?\s+tasks_from:\s*(\S+)")


def unvalidated_includes(text, entry_points):
    """(role, tasks_from) of each include_role/import_role in text whose tasks_from is no entry point of the role."""
    return [(role, name) for role, name in TASKS_FROM.findall(text) if name not in entry_points.get(role, ())]


def test_every_tasks_from_is_an_entry_point_whose_arguments_are_validated():
    import yaml
    entry_points = dict((r, set(yaml.safe_load((TOP / "roles" / r / "meta" / "argument_specs.yml").read_text())["argument_specs"]))
                        for r in ROLES)
    bad = dict((str(path.relative_to(TOP)), found) for path in files()
               for found in [unvalidated_includes(path.read_text(), entry_points)] if found)
    assert bad == {}, ("tasks_from that no argument spec entry point is named (Ansible then validates nothing; name the entry "
                       "point as meta/argument_specs.yml does, without .yml): %s" % bad)


def test_the_tasks_from_rule_sees_a_file_name():
    """The rule above can fail: tasks_from with the file's name (guest.yml) is not the entry point guest."""
    text = "- ansible.builtin.include_role:\n    name: ooo.lifecycle.overcloud_deploy\n    tasks_from: guest.yml\n"
    assert unvalidated_includes(text, {"overcloud_deploy": {"main", "guest"}}) == [("overcloud_deploy", "guest.yml")]
    assert unvalidated_includes(text.replace("guest.yml", "guest"), {"overcloud_deploy": {"main", "guest"}}) == []
