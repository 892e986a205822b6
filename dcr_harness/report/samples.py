"""Sample results.json documents: for the report tests and for trying the renderers without a server."""

from __future__ import annotations

from typing import Any


def check(
    nodeid: str,
    reqs: list[str],
    outcome: str = "passed",
    failed: list[str] | None = None,
    message: str = "",
    warnings: list[dict[str, str]] | None = None,
    verified: list[str] | None = None,
    not_verified: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A check as results.json records it; by default a passed check verified every requirement it cites."""
    failed = failed or []
    warned = {w["requirement"] for w in warnings or []}
    if verified is None:
        verified = [r for r in reqs if r not in failed and r not in warned] if outcome in ("passed", "warned") else []
    if not_verified is None:
        not_verified = {
            r: "blocked: the check stopped at its first breach"
            for r in reqs
            if r not in verified and r not in failed and r not in warned
        }
    return {
        "nodeid": nodeid,
        "title": nodeid.rsplit("::", 1)[-1],
        "requirements": reqs,
        "outcome": outcome,
        "message": message,
        "failed_requirements": failed,
        "warnings": warnings or [],
        "duration": 0.1,
        "verified": {r: {"count": 1, "examples": ["held"]} for r in verified},
        "breaches": [{"requirements": failed, "message": message, "exchange": 0}] if failed else [],
        "not_verified": not_verified,
        "exchanges": [
            {
                "method": "POST",
                "url": "http://127.0.0.1:1/o/client/register",
                "status": 200,
                "request_headers": [],
                "request_body": '{"software_statement": "${DCR_SOFTWARE_STATEMENT}"}',
                "response_headers": [["content-type", "application/json"]],
                "response_body": "{}",
                "elapsed_ms": 3.0,
                "error": None,
                "note": None,
                "device": "198.18.0.1",
                "curl": "curl -sS -i -X POST http://127.0.0.1:1/o/client/register",
            }
        ],
    }


def results(checks: list[dict[str, Any]], finished: str = "2026-06-01T12:00:00Z") -> dict[str, Any]:
    return {
        "harness_version": "0.1.0",
        "started_at": "2026-06-01T11:59:00Z",
        "finished_at": finished,
        "target": {
            "name": "partner-staging",
            "base_url": "https://dcr.example",
            "throttle": {"rate": 10, "burst": 3},
            "token_ttl_seconds": 86400,
            "budget": {"max_requests": None},
        },
        "embedded": False,
        "embedded_faults": [],
        "seed": 0,
        "requests_sent": len(checks),
        "checks": checks,
    }


FAILING = results(
    [
        check(
            "conformance/test_register.py::test_register_ok",
            ["REG-OK-1", "FLOW-1"],
            "failed",
            ["REG-OK-1"],
            "[REG-OK-1] expected status 201, got 200",
            verified=["FLOW-1"],
        ),
        check(
            "conformance/test_token.py::test_token_cache",
            ["TOK-OK-4"],
            "warned",
            warnings=[{"requirement": "TOK-OK-4", "message": "no Pragma"}],
        ),
        check("conformance/test_token.py::test_token_ok", ["TOK-OK-1"]),
    ]
)
