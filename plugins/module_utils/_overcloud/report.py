# -*- coding: utf-8 -*-
# Copyright: ooo.lifecycle contributors
# Apache License 2.0 (see LICENSE)
"""Pure: the summary of an overcloud deployment (per-step timings over the machines, validations, sanity) and the
lines the playbook prints of it."""

from __future__ import annotations


def step_rows(steps, step_times, start_at_step):
    """One row per step: when it started on the first machine, how long until the last one finished, on how many
    machines it was applied (not skipped by its marker) out of how many ran it; a step no machine ran says why.

    ``step_times`` is {machine: {"1": {"started": t, "finished": t, "status": "applied" | "skipped" | ...}}}.
    """
    out = []
    for step in steps:
        rows = [times[str(step)] for _host, times in sorted(step_times.items()) if str(step) in (times or {})]
        if rows:
            start = min(r["started"] for r in rows)
            end = max(r["finished"] for r in rows)
            out.append({"step": step, "started": start, "seconds": round(end - start, 1),
                        "applied_on": sum(1 for r in rows if r.get("status") == "applied"), "hosts": len(rows)})
        else:
            out.append({"step": step, "started": None, "seconds": 0, "applied_on": 0, "hosts": 0,
                        "note": "not run" if int(step) >= int(start_at_step) else "before the start step"})
    return out


def deploy_summary(steps, step_times, start_at_step, started, now, roles, endpoints, validations, sanity):
    """The deployment's summary: what the report, ``set_stats`` and the printed lines show.

    ``validations`` are the validation results before and after the deployment ({name, status}), ``sanity`` the
    sanity stage's; both are listed as NAME=STATUS (sanity ones prefixed ``sanity:``).
    """
    checks = ["%s=%s" % (v["name"], v["status"]) for v in validations]
    checks += ["sanity:%s=%s" % (v["name"], v["status"]) for v in sanity]
    return {"roles": dict(roles), "steps": step_rows(steps, step_times, start_at_step), "started": started,
            "endpoints": dict(endpoints), "sanity": list(sanity), "seconds": round(now - started, 1), "validations": checks}


def summary_lines(summary):
    """The summary as the lines the playbook prints (the integration tests read the STEP rows)."""
    lines = ["overcloud deployed in %.1f s" % summary["seconds"]]
    lines += ["%-12s %s" % (name, url) for name, url in summary["endpoints"].items()]
    lines += ["%-12s %s" % (role, ", ".join(nodes)) for role, nodes in summary["roles"].items()]
    lines.append("STEP  SECONDS  APPLIED/HOSTS")
    lines += ["%-5s %7.1f  %d/%d %s" % (s["step"], s["seconds"], s["applied_on"], s["hosts"], s.get("note", "")) for s in summary["steps"]]
    lines.append("validations: " + (", ".join(summary["validations"]) or "none run"))
    return lines
