"""Readable failures: one short block per failed check, a one-line JUnit message, short reprs."""

import json

import pytest
from hypothesis.vendor.pretty import pretty

from dcr_harness import checks
from dcr_harness.checks.provocations import REGISTER
from dcr_harness.engine import failure_view
from dcr_harness.http import Credentials, Exchange, Masker
from dcr_harness.http.client import PreconditionFailed

SECRET = "s3cr3t-Value_abc"
STATEMENT = "eyJhbGciOiJSUzI1NiJ9.eyJzb2Z0d2FyZV9pZCI6IngifQ.c2lnbmF0dXJl"


def exchange(status=200):
    return Exchange(
        "POST",
        "http://127.0.0.1:1/o/client/token?x=1",
        [("Content-Type", "application/x-www-form-urlencoded")],
        f"client_id=abc&client_secret={SECRET}&grant_type=client_credentials".encode(),
        status=status,
        response_headers=[("content-type", "application/json")],
        response_body=f'{{"access_token": "{SECRET}", "statement": "{STATEMENT}"}}'.encode(),
    )


def masker():
    m = Masker()
    m.add(SECRET, "client_secret")
    return m


def raised(exc):
    try:
        raise exc
    except BaseException:
        return pytest.ExceptionInfo.from_current()


def view_of(exc, cited=("TOK-OK-1",), breaches=(), exchanges=()) -> failure_view.FailureView:
    excinfo = raised(exc) if exc is not None else None
    return failure_view.build(
        excinfo, list(breaches), list(cited), list(exchanges), masker(), "FULL TEXT", reports="junit.xml"
    )


def text(view):
    return "\n".join([view.headline, *view.lines])


SOFT = [
    checks.Breach(("TOK-OK-2",), "created_at is not an integer", exchange(201)),
    checks.Breach(("TOK-OK-4",), "no Cache-Control", exchange(201)),
]

# (exception, recorded breaches, cited requirements, expected headline, phrases the block must show)
CASES = [
    (
        checks.CheckFailed(
            ("TOK-OK-1", "TOK-REQ-1", "TOK-OK-1"),
            "expected status 201, got 200\n  case: Content-Type 'x'\n  reproduce with: curl ...",
            exchange(),
        ),
        [],
        ["TOK-OK-1"],
        "[TOK-OK-1, TOK-REQ-1] expected status 201, got 200",
        ["minimal case: Content-Type 'x'", "reproduce: curl", "-> 200"],
    ),
    (
        None,
        SOFT,
        ["TOK-OK-2", "TOK-OK-4"],
        "[TOK-OK-2] created_at is not an integer",
        ["also: [TOK-OK-4] no Cache-Control", "-> 201"],
    ),
    (
        PreconditionFailed("registration with the valid statement did not succeed", exchange(500)),
        [],
        ["REG-OK-1"],
        "blocked, no verdict on REG-OK-1: registration with the valid statement did not succeed",
        ["-> 500"],
    ),
    (
        KeyError("client_id"),
        [],
        ["REG-OK-2"],
        "harness error in a check of REG-OK-2: KeyError: 'client_id'",
        ["at ", "test_failure_view.py"],
    ),
    (
        ExceptionGroup(
            "2 distinct", [ValueError("x"), checks.CheckFailed(("REG-ERR-5",), "server error 500 for client input")]
        ),
        [],
        ["REG-ERR-1"],
        "[REG-ERR-5] server error 500 for client input",
        ["+1 more distinct failure"],
    ),
]


@pytest.mark.parametrize(
    "exc, breaches, cited, headline, phrases",
    CASES,
    ids=["raised", "soft", "blocked", "harness-error", "hypothesis-group"],
)
def test_a_failure_is_one_short_block(exc, breaches, cited, headline, phrases):
    view = view_of(exc, cited, breaches)
    assert view.headline == headline and view.reprcrash.message == headline
    block = text(view)
    for phrase in phrases:
        assert phrase in block, block
    assert SECRET not in block and len(block.splitlines()) <= 8
    assert str(view) == "FULL TEXT"  # the report files keep everything


def test_hypothesis_steps_are_the_minimal_case_when_no_case_is_named():
    exc = checks.CheckFailed(("TOK-OK-3",), "a second token request returned the same access token")
    exc.add_note("Falsifying example:\n" + "\n".join(f"state.step_{i}()" for i in range(30)) + "\nstate.teardown()")
    block = text(view_of(exc))
    assert "minimal case (Hypothesis):" in block and "state.step_0()" in block
    assert "state.step_29()" not in block and "more lines in the report files" in block


def test_reprs_are_short_and_never_show_a_secret():
    ex = exchange(201)
    creds = Credentials("visible-id", SECRET, ex)
    provocation = REGISTER[0]
    for shown in (repr(ex), repr(creds), pretty(ex), pretty(creds), repr(provocation), pretty(provocation)):
        assert SECRET not in shown and STATEMENT not in shown and len(shown) < 120, shown
    assert repr(ex) == "<Exchange POST /o/client/token -> 201>"
    assert "visible-id" in repr(creds) and provocation.id in repr(provocation)


def test_full_traceback_styles_keep_pytests_own_view(pytestconfig):
    assert failure_view.wants_full_traceback(pytestconfig) == (
        pytestconfig.getoption("tbstyle") in ("long", "native") or pytestconfig.getoption("fulltrace")
    )


def test_a_view_survives_the_trip_from_a_concurrent_worker(pytestconfig):
    view = view_of(checks.CheckFailed(("REG-OK-1",), "expected status 201, got 200", exchange()), ["REG-OK-1"])
    report = pytest.TestReport("conformance/test_x.py::test_y", ("x", 1, "y"), {}, "failed", None, "call")
    failure_view.attach(report, view)
    hook = pytestconfig.hook  # pytest's own (public) serialization, as pytest-xdist uses it
    data = hook.pytest_report_to_serializable(config=pytestconfig, report=report)
    assert report.longrepr is view
    back = hook.pytest_report_from_serializable(config=pytestconfig, data=json.loads(json.dumps(data)))
    assert back.longrepr == "FULL TEXT" and failure_view.restore(back)
    assert isinstance(back.longrepr, failure_view.FailureView) and back.failed
    assert (
        back.longrepr.headline == view.headline
        and back.longrepr.lines == view.lines
        and str(back.longrepr) == "FULL TEXT"
    )
    assert back.longrepr.reprcrash.message == "[REG-OK-1] expected status 201, got 200"
    plain = pytest.TestReport("t", ("x", 1, "y"), {}, "failed", "text", "call")
    assert not failure_view.restore(plain) and plain.longrepr == "text"


def test_identical_failure_lines_of_one_check_are_shown_once_with_a_count():
    # A generated check: eleven examples broke TOK-OK-1 alike; each breach's message names its own case.
    evidence = checks.Evidence()
    evidence.breach(checks.Breach(("TOK-REQ-1",), "refused a valid Accept", exchange(400)))
    for i in range(10):
        evidence.breach(
            checks.Breach(("TOK-OK-1",), f"expected status 201, got 200\n  case: Accept variant {i}", exchange())
        )
    try:
        checks.raise_if_breached(evidence)
    except checks.CheckFailed as exc:
        view = view_of(exc, ["TOK-OK-1", "TOK-REQ-1"], evidence.breaches)
    block = text(view)
    assert view.headline == "[TOK-REQ-1] refused a valid Accept"
    assert block.count("expected status 201, got 200") == 1, block
    assert "also [TOK-OK-1] expected status 201, got 200 (\u00d710)" in block, block
    distinct = view_of(None, ["TOK-OK-2", "TOK-OK-4"], SOFT)  # lines that differ are each shown, uncounted
    assert "\u00d7" not in text(distinct) and "also: [TOK-OK-4] no Cache-Control" in text(distinct)
