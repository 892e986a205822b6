"""Verdicts that hold when a deployment is broken at the root.

A refusal is evidence about a provocation only when the plain request (the positive control)
is served or the answer differs from the control's; a variant that must be served is blocked
by the baseline's requirement when the baseline is refused; a requirement passes only when
every case that cites it was judged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial

import pytest

from dcr_harness import checks
from dcr_harness.checks import controls, provocations
from dcr_harness.contract.verdicts import requirement_verdicts
from dcr_harness.http.exchange import Exchange
from dcr_harness.report.samples import check

JSON_CT = [("content-type", "application/json")]
REGISTERED = {
    "client_id": "c",
    "client_secret": "s",
    "client_id_issued_at": 1,
    "redirect_uris": [],
    "grant_types": ["client_credentials"],
    "scopes": [],
}


def answer(status: int, body: object = None) -> Exchange:
    return Exchange(
        "POST",
        "http://127.0.0.1:1/o/client/register",
        [],
        b"",
        status=status,
        response_headers=JSON_CT,
        response_body=json.dumps(body).encode(),
    )


REFUSED = answer(400, {"error": "invalid_redirect_uri"})


@pytest.fixture
def control_answers():
    """Install controls whose answers the test sets; yields the dict and the exchanges filed on the check."""
    answers: dict[str, Exchange | None] = {}
    filed: list[Exchange] = []
    sends: dict[str, Callable[[], Exchange | None]] = {
        name: partial(answers.__getitem__, name) for name in ("register", "token", provocations.MADE_UP_CONTROL)
    }
    controls.install(controls.Controls(sends, filed.append))
    yield answers, filed
    controls.install(None)


def judged(fn, *args, **kwargs) -> tuple[checks.Evidence, BaseException | None]:
    evidence = checks.Evidence()
    checks.collect_evidence_into(evidence)
    raised = None
    try:
        with checks.soft():
            fn(*args, **kwargs)
    except checks.CheckBlocked as exc:
        raised = exc
    finally:
        checks.collect_evidence_into(None)
    return evidence, raised


def provocation(reqs: str, permitted: str | set[str]) -> provocations.Provocation:
    return provocations.P(reqs, "a defect", "register", permitted, lambda c: REFUSED)


def test_a_refusal_like_the_refused_controls_is_not_verified_with_both_exchanges(control_answers) -> None:
    answers, filed = control_answers
    answers["register"] = answer(400, {"error": "invalid_redirect_uri"})
    ev, blocked = judged(provocations.judge, provocation("REG-ERR-2", "invalid_redirect_uri"), REFUSED)
    assert blocked is not None and not ev.verified and not ev.breaches
    assert "control (the same request without the defect) was refused too" in ev.unverified["REG-ERR-2"]
    assert "blocked by REG-OK-1" in ev.unverified["REG-ERR-2"]
    assert filed == [answers["register"]]  # the control beside the provocation's own exchange


def test_a_refusal_is_judged_when_the_control_is_served(control_answers) -> None:
    answers, _ = control_answers
    answers["register"] = answer(201, REGISTERED)
    ev, blocked = judged(provocations.judge, provocation("REG-ERR-2", "invalid_redirect_uri"), REFUSED)
    assert blocked is None and "REG-ERR-2" in ev.verified


def test_an_answer_that_differs_from_the_refused_control_is_judged(control_answers) -> None:
    answers, _ = control_answers
    answers["register"] = answer(400, {"error": "invalid_redirect_uri"})
    ev, _ = judged(
        provocations.judge,
        provocation("REG-ERR-3", "invalid_software_statement"),
        answer(400, {"error": "invalid_software_statement"}),
    )
    assert "REG-ERR-3" in ev.verified
    ev, _ = judged(
        provocations.judge,
        provocation("REG-REQ-1 REG-ERR-1", "invalid_request"),
        answer(415, {"message": "Unsupported Media Type"}),
    )
    assert {"REG-ERR-1", "REG-ERR-5"} <= set(ev.broken)


def test_made_up_credentials_permit_invalid_client_and_the_unknown_client_case_needs_no_control(
    control_answers,
) -> None:
    answers, _ = control_answers
    answers[provocations.MADE_UP_CONTROL] = answer(400, {"error": "invalid_client"})
    unknown = next(p for p in provocations.TOKEN if p.name == "unknown client_id")
    ev, blocked = judged(provocations.judge, unknown, answer(400, {"error": "invalid_client"}), True)
    assert blocked is None and "TOK-ERR-2" in ev.verified
    json_body = next(p for p in provocations.TOKEN if p.name == "JSON body")
    ev, _ = judged(provocations.judge, json_body, answer(415, {"message": "Unsupported Media Type"}), True)
    assert {"TOK-ERR-1", "TOK-ERR-5"} <= set(ev.broken)
    ev, blocked = judged(provocations.judge, json_body, answer(400, {"error": "invalid_client"}), True)
    assert blocked is not None and not ev.breaches


def test_a_refused_variant_is_blocked_by_the_refused_baseline_not_failed(control_answers) -> None:
    answers, _ = control_answers
    answers["register"] = answer(400, {"error": "invalid_redirect_uri"})
    ev, blocked = judged(checks.register_success, REFUSED, ("REG-REQ-4",))
    assert blocked is not None and not ev.breaches
    assert ev.unverified["REG-REQ-4"].startswith("blocked by REG-OK-1")
    controls.install(controls.Controls({"register": lambda: answer(201, REGISTERED)}, lambda ex: None))
    ev, _ = judged(checks.register_success, REFUSED, ("REG-REQ-4",))
    assert ev.broken == ["REG-REQ-4"]


def test_the_refused_baseline_breaks_the_success_requirement_and_the_flow(control_answers) -> None:
    answers, _ = control_answers
    answers["register"] = REFUSED
    ev, _ = judged(checks.register_success, REFUSED, ("FLOW-1",), baseline=True)
    assert set(ev.broken) == {"REG-OK-1", "FLOW-1"}


def test_a_pass_needs_every_citing_case_judged() -> None:
    judged_case = check("t::a", ["TOK-ERR-1"])
    blocked_case = check(
        "t::b",
        ["TOK-ERR-1"],
        "blocked",
        message="blocked: no credentials",
        not_verified={"TOK-ERR-1": "blocked by REG-OK-1: registration is refused"},
    )
    verdicts = requirement_verdicts([judged_case, blocked_case])
    assert verdicts["TOK-ERR-1"].verdict == "not_verified"
    assert verdicts["TOK-ERR-1"].reasons == [
        "1 of 2 cases judged; not judged: blocked by REG-OK-1: registration is refused"
    ]
    assert requirement_verdicts([judged_case, check("t::c", ["TOK-ERR-1"])])["TOK-ERR-1"].verdict == "pass"
