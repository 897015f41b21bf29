"""Pure functions of heat_stack: digest, template comparison, previews, failures."""
from ansible_collections.ooo.lifecycle.plugins.module_utils._heat.stack import (
    create_preview_resources,
    digest,
    digest_tag,
    failures_from_events,
    hidden_values,
    same_template,
    summarize_preview,
    unknown_parameters,
)


def test_digest_ignores_where_the_templates_are_checked_out():
    a = digest({"r": {"get_file": "file:///srv/a/x.sh"}}, {"file:///srv/a/x.sh": "echo"}, {}, {"p": 1}, "/srv/a")
    b = digest({"r": {"get_file": "file:///tmp/b/x.sh"}}, {"file:///tmp/b/x.sh": "echo"}, {}, {"p": 1}, "/tmp/b")
    c = digest({"r": {"get_file": "file:///tmp/b/x.sh"}}, {"file:///tmp/b/x.sh": "echo changed"}, {}, {"p": 1}, "/tmp/b")
    assert a == b != c
    assert digest_tag(["x", "ooo-digest-" + a]) == a and digest_tag(["x"]) is None


def test_same_template_compares_file_urls_relative():
    ours = {"config": {"get_file": "file:///new/files/a.sh"}, "v": 1}
    assert same_template({"config": {"get_file": "file:///old/files/a.sh"}, "v": 1}, ours, "/new")
    assert not same_template({"config": {"get_file": "file:///old/files/b.sh"}, "v": 1}, ours, "/new")
    assert not same_template({"config": {"get_file": "file:///old/files/a.sh"}, "v": 2}, ours, "/new")


def test_parameters():
    template = {"parameters": {"a": {"type": "string"}, "pw": {"type": "string", "hidden": True}}}
    assert unknown_parameters(template, {"a": 1, "b": 2}) == ["b"]
    assert hidden_values(template, {"a": "x", "pw": "s3cret"}) == ["s3cret"]


def test_previews():
    preview = {"resource_changes": {"added": [{"resource_name": "n"}], "updated": [{"resource_name": "b"}, {"resource_name": "a"}],
                                    "unchanged": [{}, {}]}}
    assert summarize_preview(preview) == {"added": ["n"], "updated": ["a", "b"], "replaced": [], "deleted": [], "unchanged": 2}
    created = {"resources": [{"resource_name": "top", "stack_name": "s"}, [[{"resource_name": "x", "stack_name": "s-group-0"}]]]}
    assert create_preview_resources(created, "s") == ["group-0/x", "top"]


def test_failures_put_causes_first_and_skip_the_stack_itself():
    def event(name, status, reason, stack="s"):
        return {"resource_name": name, "resource_status": status, "resource_status_reason": reason,
                "links": [{"rel": "stack", "href": "http://h/v1/t/stacks/%s/id" % stack}]}
    events = [event("s", "UPDATE_FAILED", "whole"), event("g", "UPDATE_FAILED", "Stack UPDATE cancelled"),
              event("p", "UPDATE_FAILED", "boom"), event("p", "UPDATE_FAILED", "older"), event("q", "UPDATE_COMPLETE", "")]
    assert [(f["resource"], f["reason"]) for f in failures_from_events(events)] == [("p", "boom"), ("g", "Stack UPDATE cancelled")]


def test_an_operation_no_engine_runs_any_more_is_orphaned():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._heat.stack import orphaned_reason
    stack = {"stack_status": "UPDATE_IN_PROGRESS", "updated_time": "2026-12-06T13:48:19Z", "creation_time": "2026-12-06T13:48:10Z"}
    old_dead = {"binary": "heat-engine", "status": "down", "created_at": "2026-12-06T13:31:50.000000"}
    new_up = {"binary": "heat-engine", "status": "up", "created_at": "2026-12-06T13:48:56.000000"}
    old_up = dict(old_dead, status="up")
    reason = orphaned_reason(stack, [old_dead, new_up, new_up])
    assert reason.startswith("UPDATE_IN_PROGRESS since 2026-12-06T13:48:19Z, and no heat-engine up now was running then")
    assert "2026-12-06T13:48:56" in reason
    # An engine that was up when it began may still run it (or its heartbeat is not old enough to say it died).
    assert orphaned_reason(stack, [old_up, new_up]) is None
    # No engine up: nothing could run a new operation either.
    assert orphaned_reason(stack, [old_dead]) is None
    # Settled stacks, and stacks without times, are never orphaned.
    assert orphaned_reason(dict(stack, stack_status="UPDATE_COMPLETE"), [new_up]) is None
    assert orphaned_reason({"stack_status": "CREATE_IN_PROGRESS"}, [new_up]) is None
    # A create counts from its creation time.
    created = {"stack_status": "CREATE_IN_PROGRESS", "creation_time": "2026-12-06T13:50:00Z"}
    assert orphaned_reason(created, [new_up]) is None
    assert orphaned_reason(created, [dict(new_up, created_at="2026-12-06T13:51:00.000000")])


def test_only_heat_yaql_parser_race_is_sent_again():
    from ansible_collections.ooo.lifecycle.plugins.module_utils._heat.stack import engine_parse_race
    race = "ValueError: resources.container_configs: Bad expression Parse error: unexpected end of statement."
    assert engine_parse_race([{"reason": race}, {"reason": "Resource UPDATE failed: cancelled"}])
    assert engine_parse_race([], "Resource UPDATE failed: " + race)
    # Any other cause, alone or beside the race, is a real failure.
    assert not engine_parse_race([{"reason": race}, {"reason": "Quota exceeded for ports"}])
    assert not engine_parse_race([{"reason": "Bad expression Lexical error: illegal character"}])
    assert not engine_parse_race([], "")
    assert not engine_parse_race([{"reason": None}])
