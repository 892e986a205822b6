"""Replay one failing case of a report against a target: is it fixed?

Two ways, chosen by what the report's check is:
- a negative case of the provocation tables (test_register_provocation[ID], test_token_provocation[ID],
  or the case ID itself): the case is sent again as data describes it (fresh credentials where
  it needs them) and judged by the same oracle (provocations.judge): fixed, still failing, or
  still failing on other requirements (changed);
- a generated check's shrunk example: the exact request the report recorded (the breach's
  exchange) is rebuilt from its masked form, secrets filled from the target file (statements.*,
  admin.token) or the environment (the variables the report's legend names), and sent; the
  example recorded its case (requirements, permitted answers), so its answer is judged by the
  oracle of generated cases (strategies/oracle.judge_case);
- any other check (a hand-written one): a lone request has no oracle of its own, the check has,
  so it runs again whole (cli/replay_check.py).

The report holds no secret, so nothing is taken from it but masked text. The target is the
caller's (replay_command.replay_target): a target file, or for an embedded run a fresh embedded
reference started with the run's faults and arguments.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import checks
from ..checks.provocations import REGISTER, TOKEN, Context, Provocation, judge
from ..contract.target import Target
from ..http import BudgetExceeded, DcrClient, Exchange, Masker, Session
from ..http.client import PreconditionFailed
from ..http.unmask import MissingVariable, kind_of, unmask, variables_used
from ..strategies.oracle import judge_case

CASES: dict[str, Provocation] = {p.id: p for p in REGISTER + TOKEN}
PROVOCATION_CHECK = re.compile(r"::test_(register|token)_provocation\[(.+)\]$")
FAILING = ("failed", "error", "warned")
# Added by the HTTP client per request, never part of what a check chose to send.
REBUILT_HEADERS = {"host", "content-length"}
TRUNCATED_BODY = re.compile(r"\.\.\. \((\d+) bytes\)$")
NO_TARGET = (
    "replay needs --target FILE (or $DCR_TARGET): the run was against {name}, not the embedded reference, "
    "and the report holds no secret to reach it with"
)


class ReplayError(ValueError):
    """The case cannot be replayed (a usage problem): the message says what to do."""


@dataclass
class Outcome:
    status: str  # "fixed", "still failing", "changed", "not judged"
    detail: str
    exchanges: list[Exchange] = field(default_factory=list)
    judged: bool = True


def find_check(results: Mapping[str, Any], wanted: str) -> tuple[dict[str, Any] | None, Provocation | None]:
    """The report's check for CHECK_OR_CASE (a node id, a unique part of one, or a provocation ID) and its case."""
    checks_ = list(results.get("checks") or [])
    exact = [c for c in checks_ if c["nodeid"] == wanted]
    by_case = [c for c in checks_ if (m := PROVOCATION_CHECK.search(c["nodeid"])) and m.group(2) == wanted]
    partial = [c for c in checks_ if wanted in c["nodeid"]]
    found = exact or by_case or partial
    failing = [c for c in found if c["outcome"] in FAILING]
    if len(found) > 1:
        found = failing or found
    if len(found) > 1:
        names = "\n  ".join(c["nodeid"] for c in found[:20])
        raise ReplayError(f"{wanted!r} matches {len(found)} checks of the report; name one:\n  {names}")
    if not found:
        if wanted in CASES:
            return None, CASES[wanted]
        raise ReplayError(
            f"no check of the report matches {wanted!r} (a node id, a part of one, or a case ID like "
            "'TOK-ERR-4:grant_type unknown URN')"
        )
    check = found[0]
    m = PROVOCATION_CHECK.search(check["nodeid"])
    return check, CASES.get(m.group(2)) if m else None


def _judged(judging: Callable[[], None]) -> checks.Evidence:
    """A judgment's evidence, collected apart (a CheckFailed is recorded there; CheckBlocked goes up)."""
    evidence = checks.Evidence()
    checks.collect_evidence_into(evidence)
    try:
        judging()
    except checks.CheckFailed:
        pass  # recorded in evidence
    finally:
        checks.collect_evidence_into(None)
    return evidence


def replay_case(session: Session, case: Provocation, check: Mapping[str, Any] | None) -> Outcome:
    """Send the case again and judge it with the oracle of the provocation tables."""
    for key in case.needs:
        value: Any = session.target
        for part in key.split("."):
            value = getattr(value, part, None)
        if value in (None, ""):
            raise ReplayError(f"the case needs {key} in the target file, which lacks it")
    sent: list[Exchange] = []
    session.listeners.append(sent.append)
    try:
        evidence = _judged(lambda: judge(case, case.send(Context(DcrClient(session)))))
    except (checks.CheckBlocked, PreconditionFailed, BudgetExceeded) as exc:
        return Outcome("not judged", f"the case could not be judged: {str(exc).splitlines()[0]}", sent, judged=False)
    return _verdict(f"case {case.id}", set((check or {}).get("failed_requirements") or []), evidence, sent)


def _verdict(what: str, before: set[str], evidence: checks.Evidence, sent: list[Exchange]) -> Outcome:
    """fixed / passes / still failing / changed, from the requirements broken in the report and now."""
    now = set(evidence.broken)
    if not now:
        was = f" (failed {', '.join(sorted(before))} in the report)" if before else ""
        return Outcome("fixed" if before else "passes", f"{what}: answered as the contract permits{was}", sent)
    lines = "\n".join(f"  {b.line()}" for b in evidence.breaches)
    if before and now != before:
        return Outcome(
            "changed",
            f"{what}: still failing, now breaking {', '.join(sorted(now))} "
            f"(the report: {', '.join(sorted(before))})\n{lines}",
            sent,
        )
    return Outcome("still failing", f"{what}: still failing\n{lines}", sent)


def recorded_exchange(check: Mapping[str, Any]) -> dict[str, Any]:
    """The exchange the check's first breach names, else its last whole exchange."""
    whole = [x for x in check.get("exchanges") or [] if "request_headers" in x]
    if not whole:
        raise ReplayError(
            f"the report holds no whole request of {check['nodeid']} (only failed, errored and warned "
            "checks keep their exchanges)"
        )
    for b in check.get("breaches") or []:
        at = b.get("exchange")
        if isinstance(at, int) and 0 <= at < len(check["exchanges"]) and "request_headers" in check["exchanges"][at]:
            return check["exchanges"][at]
    return whole[-1]


def secret_values(legend: Mapping[str, str], target: Target, wanted: list[str]) -> dict[str, str]:
    """Each variable's value: a target-file key from the target, anything else from the environment."""
    values, missing = {}, []
    for variable in wanted:
        origin = legend.get(variable, "")
        value: Any = None
        if origin.startswith("statements."):
            value = getattr(target.statements, origin.removeprefix("statements."), None)
        elif origin == "admin.token" and target.admin:
            value = target.admin.token
        value = value or os.environ.get(variable)
        if value:
            values[variable] = value
        else:
            missing.append(f"  export {variable}=...   # {origin or 'not in the report legend'}")
    if missing:
        raise ReplayError(
            "the request uses secrets that neither the target file nor the environment gives:\n"
            + "\n".join(missing)
            + "\n(a credential the old server issued does not exist on another server: "
            "replay the check with `dcr-harness run -k` instead)"
        )
    return values


def rebuild_request(
    recorded: Mapping[str, Any], old_base: str, target: Target, values: Mapping[str, str]
) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """(method, url, headers, body) of the recorded request, aimed at the target's base URL."""
    url = recorded["url"]
    if not old_base or not url.startswith(old_base.rstrip("/")):
        raise ReplayError(f"the recorded URL {url} is not under the report's base URL {old_base}")
    body = recorded.get("request_body") or ""
    if TRUNCATED_BODY.search(body):
        raise ReplayError("the report keeps only the start of this request's body: it cannot be sent exactly")
    try:
        path = unmask(url[len(old_base.rstrip("/")) :], values)
        headers = [(k, unmask(v, values)) for k, v in recorded["request_headers"] if k.lower() not in REBUILT_HEADERS]
        content = unmask(body, values).encode("utf-8", "surrogateescape")
    except (MissingVariable, ValueError) as exc:
        raise ReplayError(f"cannot rebuild the request: {exc}") from None
    return recorded["method"], target.base_url.rstrip("/") + path, headers, content


def replay_request(session: Session, check: Mapping[str, Any], results: Mapping[str, Any]) -> Outcome:
    """Send the recorded request of a generated example again and judge the answer by the example's case."""
    recorded = recorded_exchange(check)
    text = json.dumps([recorded["url"], recorded["request_headers"], recorded.get("request_body")])
    values = secret_values(results.get("variables") or {}, session.target, variables_used(text))
    for variable, value in values.items():
        session.masker.add(value, kind_of(variable), variable)
    method, url, headers, content = rebuild_request(
        recorded, (results.get("target") or {}).get("base_url", ""), session.target, values
    )
    exchange = session.send_raw(method, url, headers=headers, content=content, device=recorded.get("device"))
    if exchange.error:
        return Outcome("changed", f"no answer: {exchange.error}", [exchange], judged=False)
    return judge_generated(recorded, check, exchange)


def generated_example(check: Mapping[str, Any]) -> bool:
    """Whether the check's recorded failure is a generated example that carries its case (its own oracle)."""
    try:
        return bool(recorded_exchange(check).get("case"))
    except ReplayError:
        return False


def judge_generated(recorded: Mapping[str, Any], check: Mapping[str, Any], exchange: Exchange) -> Outcome:
    """A generated check's shrunk example, judged again by the oracle of generated cases with the permitted answers it recorded."""
    data = recorded["case"]
    case = Provocation(
        tuple(data["requirements"]),
        data["name"],
        data["endpoint"],
        frozenset(data["permitted"]),
        send=lambda c: exchange,
    )
    try:
        evidence = _judged(lambda: judge_case(case, exchange))
    except checks.CheckBlocked as exc:
        return Outcome("not judged", f"the example could not be judged: {exc}", [exchange], judged=False)
    index = next((i for i, x in enumerate(check.get("exchanges") or []) if x is recorded), None)
    before = {r for b in check.get("breaches") or [] if b.get("exchange") == index for r in b["requirements"]} or set(
        check.get("failed_requirements") or []
    )
    return _verdict(f"example {data['id']}", before, evidence, [exchange])


def replayed_whole(check: Mapping[str, Any] | None, case: Provocation | None) -> bool:
    """A hand-written check (no provocation case, no generated example): it runs again whole. A check the report
    does not show failing cannot be fixed: refused."""
    if case is not None or check is None:
        return False
    if check["outcome"] not in FAILING:
        raise ReplayError(
            f"{check['nodeid']} {check['outcome']} in the report: replay takes a failed, errored or warned check"
        )
    return not generated_example(check)


def replay(results: Mapping[str, Any], wanted: str, target: Target) -> tuple[Outcome, Masker, str]:
    """Replay a case or a generated example of a report against the target: (outcome, the masker of its exchanges,
    what was replayed)."""
    check, case = find_check(results, wanted)
    masker = Masker()
    session = Session(target, masker=masker)
    try:
        if case is not None:
            return replay_case(session, case, check), masker, f"case {case.id}"
        assert check is not None and generated_example(check)  # any other check runs again whole (replay_check)
        return replay_request(session, check, results), masker, f"the recorded request of {check['nodeid']}"
    finally:
        session.close()
