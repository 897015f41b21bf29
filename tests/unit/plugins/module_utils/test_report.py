from __future__ import annotations

from ansible_collections.ooo.lifecycle.plugins.module_utils._overcloud.report import deploy_summary, step_rows, summary_lines

TIMES = {
    "controller-0": {"1": {"started": 100.0, "finished": 110.0, "status": "applied"},
                     "2": {"started": 111.0, "finished": 112.0, "status": "skipped"}},
    "compute-0": {"1": {"started": 101.0, "finished": 104.5, "status": "applied"},
                  "2": {"started": 105.0, "finished": 106.0, "status": "skipped"}},
    "compute-2": {},
}


def test_a_step_spans_its_first_start_to_its_last_finish_and_counts_the_machines_it_changed():
    rows = step_rows([1, 2, 3, 4], TIMES, 1)
    assert rows[0] == {"step": 1, "started": 100.0, "seconds": 10.0, "applied_on": 2, "hosts": 2}
    assert rows[1] == {"step": 2, "started": 105.0, "seconds": 7.0, "applied_on": 0, "hosts": 2}
    assert rows[2]["note"] == "not run" and rows[2]["hosts"] == 0 and rows[2]["started"] is None


def test_a_step_before_the_start_step_says_so():
    rows = step_rows([1, 2, 3], {"controller-0": {"3": {"started": 1.0, "finished": 2.0, "status": "applied"}}}, 3)
    assert [r.get("note") for r in rows] == ["before the start step", "before the start step", None]


def test_summary_and_its_lines():
    summary = deploy_summary([1, 2], TIMES, 1, 90.0, 130.5, {"Controller": ["controller-0"], "Compute": ["compute-0", "compute-2"]},
                             {"keystone": "http://198.18.0.250:5000/v3"}, [{"name": "undercloud-services", "status": "PASSED"}],
                             [{"name": "token", "status": "PASSED"}])
    assert summary["seconds"] == 40.5
    assert summary["validations"] == ["undercloud-services=PASSED", "sanity:token=PASSED"]
    lines = summary_lines(summary)
    assert lines[1] == "keystone     http://198.18.0.250:5000/v3"
    assert "Compute      compute-0, compute-2" in lines
    assert lines[lines.index("STEP  SECONDS  APPLIED/HOSTS") + 1] == "1        10.0  2/2 "
    assert lines[-1] == "validations: undercloud-services=PASSED, sanity:token=PASSED"


def test_no_validation_run_is_said():
    summary = deploy_summary([1], {}, 1, 0.0, 1.0, {}, {}, [], [])
    assert summary_lines(summary)[-1] == "validations: none run"
    assert summary_lines(summary)[-2] == "1         0.0  0/0 not run"
