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
