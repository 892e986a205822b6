"""The reports of a client certification, in the formats of a server run.

The judges become CheckRecords (dcr_harness.results.record), so that results.json, the
certification JSON/HTML (report/certification.py, html.py), the console summary and the
signature are those of a server run, written by the same write_run; only the scope differs: the
client's requirements are verdicts, the server's are not applicable. JUnit has one test case per judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import checks
from ..contract.verdicts import Outcome, applies, requirement_verdicts
from ..http.exchange import Exchange
from ..http.masking import Masker
from ..http.secret_scan import ScannedStream, SecretScanner
from ..report.junit import Suite, unexercised
from ..report.summary import write_certification_summary
from ..report.write_run import ArtifactPlan, write_run
from ..results.record import CheckRecord, outcome_of
from ..results.run_result import ResultsBuilder, RunResult, check_dicts
from .judges import (
    CLOCK_TOLERANCE_S,
    EXCHANGES_KEPT,
    EXPIRY_GRACE_S,
    RENEW_ROOM,
    RESTART,
    WAIT_AFTER_429_S,
    Judge,
    judges_for,
)
from .parse import basic_of, bearer_of, form_of, request_json
from .refusals import explain
from .scenarios import Settings
from .traffic import Traffic

NODE_PREFIX = "certify-client::"
TRAFFIC_JSON = "traffic.json"
JUNIT_XML = "junit.xml"
JUNIT_SUITE = Suite(name="dcr-harness certify-client", classname="certify-client")
UNEXERCISED = ("not_verified", "not_covered")
# The tolerances the client's verdicts depend on, stated in every report (as the throttling checks state theirs).
TOLERANCES = {
    "renewal": f"CLI-3: a renewal (its first attempt) is accepted with at most {RENEW_ROOM:.0%} of the token lifetime "
    f"+ {CLOCK_TOLERANCE_S:g} s left (whole-second clocks) and before expiry (answer sent + expires_in)",
    "renew_room_share": RENEW_ROOM,
    "clock_tolerance_s": CLOCK_TOLERANCE_S,
    "expired_token_grace_s": EXPIRY_GRACE_S,
    "wait_after_429_s": WAIT_AFTER_429_S,
}


def learn_secrets(masker: Masker, exchanges: list[Exchange], statement: str) -> None:
    """Every secret the traffic carried: statements, client secrets (in a form or HTTP Basic), access tokens."""
    masker.add(statement, "software_statement")
    for ex in exchanges:
        for body in (ex.json(), request_json(ex)):
            masker.add_from_json(body)
        form = form_of(ex.request_body)
        masker.add(form.get("client_secret"), "client_secret")
        masker.add(basic_of(ex), "client_secret")
        masker.add(bearer_of(ex), "access_token")
        query = form_of(ex.url.split("?", 1)[1].encode()) if "?" in ex.url else {}
        masker.add(query.get("access_token"), "access_token")


def judge_traffic(traffic: Traffic, judges: tuple[Judge, ...]) -> list[CheckRecord]:
    """One record per judge, with its evidence and the requests it found at fault."""
    records = []
    for judge in judges:
        record = CheckRecord(nodeid=NODE_PREFIX + judge.name, title=judge.title, requirements=list(judge.requirements))

        def offend(
            reqs: str | tuple[str, ...], message: str, *exchanges: Exchange, record: CheckRecord = record
        ) -> None:
            for ex in exchanges:
                if ex not in record.exchanges and len(record.exchanges) < EXCHANGES_KEPT:
                    record.exchanges.append(ex)
            checks.breach(reqs, message, exchanges[-1] if exchanges else None)

        checks.collect_evidence_into(record.evidence)
        error = None
        try:
            judge.run(traffic, offend)
        except Exception as exc:  # a judge's own bug is a harness error on that judge, not a crash
            error = exc
        finally:
            checks.collect_evidence_into(None)
        for req in judge.requirements:  # never "passed without exercising it": say what the traffic lacked
            if req not in record.evidence.verified and req not in record.evidence.broken:
                record.evidence.not_verified((req,), f"not exercised: {judge.unreached}")
        record.outcome, record.message = (
            (Outcome.ERROR, f"{type(error).__name__}: {error}")
            if error and not record.evidence.breaches
            else outcome_of(record, None)
        )
        records.append(record)
    return records


@dataclass
class ClientRun:
    """What a certify-client session produced, to be judged and written."""

    settings: Settings
    base_url: str
    statement: str
    exchanges: list[Exchange]
    started_at: str
    restart_at: float | None = None  # the explicit restart signal
    prompted_at: float | None = None  # the restart prompt
    stop_reason: str = ""
    flows: int = 0
    dropped: int = 0  # requests the recording did not keep (MAX_RECORDED)
    masker: Masker = field(default_factory=Masker)
    records: list[CheckRecord] = field(default_factory=list)
    refusals: list[dict[str, Any]] = field(default_factory=list)  # every 4xx the client received, explained

    def judge(self) -> None:
        learn_secrets(self.masker, self.exchanges, self.statement)
        traffic = Traffic(self.exchanges, restart_at=self.restart_at, prompted_at=self.prompted_at)
        self.records = judge_traffic(
            traffic, judges_for(self.settings.on("server-to-server"), self.settings.on("restart"))
        )
        self.refusals = [r.to_dict() for r in explain(traffic)]

    def results(self) -> dict[str, Any]:
        checks_ = check_dicts(self.records, self.masker)
        rate, burst = self.settings.throttle
        facts: dict[str, Any] = {
            "scope": "client",
            "client": {
                "scenarios": self.settings.describe(),
                "requests": len(self.exchanges),
                "flows": self.flows,
                "stop_reason": self.stop_reason,
                "restart_prompted_at_s": self.prompted_at,
                "restart_signalled_at_s": self.restart_at,
                "tolerances": TOLERANCES,
                "refusals": self.refusals,
            },
            "target": {
                "name": "client certification",
                "base_url": self.base_url,
                "token_ttl_seconds": self.settings.token_ttl,
                "throttle": {"rate_per_s": rate, "burst": burst, "device_header": "X-Forwarded-For"},
            },
            "embedded": False,
            "embedded_faults": [],
            "seed": None,
            "selection": {"narrowed": False},
            "unreachable": False,
            "stop_reason": self.stop_reason,
            "requests_sent": len(self.exchanges),
        }
        results = ResultsBuilder(self.started_at, self.masker, facts).build(checks_)
        dropped = (
            f"recording stopped after {len(self.exchanges)} requests ({self.dropped} more not judged)"
            if self.dropped
            else None
        )
        results["incomplete"] = (
            "; ".join(r for r in (dropped, self.unexercised(checks_), self.scenario_unexercised(checks_)) if r) or None
        )
        return results

    @staticmethod
    def scenario_unexercised(checks_: list[dict[str, Any]]) -> str | None:
        """A selected scenario whose judge never saw its situation (an ignored restart prompt) is no PASS either."""
        left = [
            f"{c['title']}: {'; '.join(c['not_verified'].values())}"
            for c in checks_
            if c["nodeid"] == NODE_PREFIX + RESTART.name and unexercised(c)
        ]
        return "; ".join(left) or None

    @staticmethod
    def unexercised(checks_: list[dict[str, Any]]) -> str | None:
        """A client certification that never exercised a rule does not certify PASS: which ones, if any."""
        verdicts = requirement_verdicts(checks_, scope="client")
        left = [r for r, v in verdicts.items() if applies(r, "client") and v.verdict in UNEXERCISED]
        return f"not exercised by the client's traffic: {', '.join(left)}" if left else None


class _Console:
    """The terminal-writer calls the certification summary uses."""

    def __init__(self, out: ScannedStream) -> None:
        self.out = out

    def write_sep(self, sep: str, title: str) -> None:
        self.out.write(f"{sep * 3} {title} {sep * 3}\n")

    def write_line(self, line: str, **markup: bool) -> None:
        # markup (red=, yellow=, bold=: what report/summary.py asks a terminal for) has no colour in a plain stream
        self.out.write(line + "\n")


def write_reports(run: ClientRun, run_dir: Path, sign_key: Path | None, out: TextIO) -> RunResult:
    """Every artifact through write_run (results.json, traffic.json, certification.json/html, junit.xml,
    signed when a key is given), then the console table."""
    run_dir.mkdir(parents=True, exist_ok=True)
    scanner = SecretScanner(run.masker)  # the one scan before any artifact is written
    result = RunResult(run_dir, run.results())
    # The whole recorded traffic, masked: what QA reads to follow a finding in its sequence.
    traffic = [{"at_s": round(ex.started_at, 3), **ex.to_dict(run.masker)} for ex in run.exchanges]
    plan = ArtifactPlan(
        junit=run_dir / JUNIT_XML,
        junit_suite=JUNIT_SUITE,
        extra_files=((TRAFFIC_JSON, json.dumps(traffic, indent=1)),),
        link_latest=False,  # reports/latest is the newest conformance run
        har=False,  # traffic.json has the whole traffic, in order
        sign_key=sign_key,
    )
    written = write_run(result, plan, scanner)
    assert written.certification is not None  # write_run always builds it
    write_certification_summary(_Console(scanner.stream(out)), written, written.certification, run.masker)
    return written
