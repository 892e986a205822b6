"""results.json documents built the way a run builds them (a record per check, the run's builder)."""

from __future__ import annotations

from typing import Any

from dcr_harness import checks
from dcr_harness.errors import PreconditionFailed
from dcr_harness.http import Exchange, Masker
from dcr_harness.reasons import blocked_by
from dcr_harness.results.record import CheckRecord, outcome_of
from dcr_harness.results.run_result import ResultsBuilder, check_dicts

REFUSED = Exchange(
    "POST", "https://dcr.example/o/client/register", [], b"", status=400, response_body=b'{"error":"invalid_request"}'
)


def blocked_record() -> CheckRecord:
    """A token check whose registration was refused: blocked by REG-OK-1, as data."""
    record = CheckRecord("conformance/test_token.py::test_t", "a token check", ["TOK-OK-1", "TOK-OK-2"])
    checks.collect_evidence_into(record.evidence)
    try:
        checks.not_verified("TOK-OK-2", "blocked: the baseline is refused", blocked=True, why=blocked_by("REG-OK-1"))
    finally:
        checks.collect_evidence_into(None)
    exc = PreconditionFailed("registration with the valid statement did not succeed", REFUSED, blocked_by("REG-OK-1"))
    record.outcome, record.message = outcome_of(record, exc)
    return record


def sample_results(*records: CheckRecord) -> dict[str, Any]:
    masker = Masker()
    head = {
        "target": {"name": "sample", "base_url": "https://dcr.example"},
        "embedded": False,
        "embedded_faults": [],
        "seed": None,
        "selection": {"narrowed": False},
        "unreachable": False,
        "stop_reason": None,
        "requests_sent": 1,
    }
    return ResultsBuilder("2026-01-01T00:00:00Z", masker, head).build(
        check_dicts(records or [blocked_record()], masker)
    )
