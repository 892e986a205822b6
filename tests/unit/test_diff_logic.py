"""The judgments of report/diff.py on sample runs (no server): what counts as worse, fixed, left out."""

from __future__ import annotations

from pathlib import Path

from dcr_harness.report.certification import build
from dcr_harness.report.diff import Run, diff, render_text
from dcr_harness.report.samples import FAILING, check, results
from dcr_harness.report.waivers import parse_waivers

PASSING = results(
    [
        check("conformance/test_register.py::test_register_ok", ["REG-OK-1", "FLOW-1"]),
        check("conformance/test_token.py::test_token_cache", ["TOK-OK-4"]),
        check("conformance/test_token.py::test_token_ok", ["TOK-OK-1"]),
    ]
)  # the checks of FAILING, all passed
WAIVER = 'version = 1\n[[waiver]]\nrequirement = "REG-OK-1"\nreason = "known"\nexpires = 2030-01-01\n'


def run(name: str, res: dict, waivers: str = "version = 1") -> Run:
    return Run(Path(name), res, build(res, parse_waivers(waivers)))


def ids(d: dict, kind: str) -> list[str]:
    return [c["id"] for c in d["requirements"][kind]]


def test_a_new_failure_is_worse_and_its_removal_is_fixed():
    worse = diff(run("a", PASSING), run("b", FAILING))
    assert ids(worse, "newly_failing") == ["REG-OK-1"] and worse["worse"]
    better = diff(run("b", FAILING), run("a", PASSING))
    assert ids(better, "fixed") == ["REG-OK-1"] and not better["worse"]
    assert "FIXED" in render_text(better) and "nothing got worse" in render_text(better)


def test_an_expired_waiver_is_a_new_failure_that_says_so():
    d = diff(run("a", FAILING, WAIVER), run("b", FAILING))
    (change,) = d["requirements"]["newly_failing"]
    assert change["id"] == "REG-OK-1" and change["old"] == "waived" and "waiver" in change["note"]


def test_a_waived_failure_staying_the_same_is_nothing_worse():
    assert not diff(run("a", FAILING, WAIVER), run("b", FAILING, WAIVER))["worse"]


def test_pass_to_not_verified_is_worse_but_a_narrower_selection_is_only_left_out():
    narrowed = results([check("conformance/test_token.py::test_token_ok", ["TOK-OK-1"])])
    same_selection = diff(run("a", PASSING), run("b", narrowed))
    assert {"REG-OK-1", "FLOW-1"} <= set(ids(same_selection, "newly_unverified")) and same_selection["worse"]
    narrowed = dict(narrowed, selection={"narrowed": True, "req": ["TOK-"]})
    other_selection = diff(run("a", PASSING), run("b", narrowed))
    assert {"REG-OK-1", "FLOW-1"} <= set(ids(other_selection, "left_out")) and not other_selection["worse"]
    assert any("different checks" in n for n in other_selection["notes"])


def test_an_unreachable_run_verifies_nothing_and_is_worse():
    gone = dict(PASSING, unreachable=True, stop_reason="connection refused", checks=[])
    d = diff(run("a", PASSING), run("b", gone))
    assert "TOK-OK-1" in ids(d, "newly_unverified") and d["worse"]


def test_checks_that_appear_or_vanish_are_listed():
    more = results(PASSING["checks"] + [check("conformance/test_api.py::test_api_ok", ["API-1"])])
    d = diff(run("a", PASSING), run("b", more))
    assert [c["nodeid"] for c in d["checks"]["appeared"]] == ["conformance/test_api.py::test_api_ok"]
    assert [c["nodeid"] for c in diff(run("b", more), run("a", PASSING))["checks"]["vanished"]] == [
        "conformance/test_api.py::test_api_ok"
    ]
