"""Every 4xx the client received, explained: the scenario that provoked it, or the requirement its
request broke (the first rule it breaks, in the order the server checks them)."""

from __future__ import annotations

from dataclasses import dataclass

from ..http.exchange import Exchange
from .parse import bearer_of, kind
from .rules import ACCEPT_RULE, CONTENT_TYPES, accept_ok, content_type_ok, register_body_problem, token_params_problem
from .traffic import Traffic

# Codes of a register or token refusal that say the credentials or statement, not the request's form, were wrong.
STATEMENT_ERRORS = ("invalid_software_statement", "unapproved_software_statement", "invalid_redirect_uri")


@dataclass(frozen=True)
class Refusal:
    exchange: Exchange
    requirement: str | None  # None: provoked by a scenario (or the contract's throttle), not the client's fault
    why: str

    def to_dict(self) -> dict[str, object]:
        ex = self.exchange
        body = ex.json()
        return {
            "at_s": round(ex.started_at, 3),
            "request": f"{ex.method} {ex.url.split('?', 1)[0]}",
            "status": ex.status,
            "error": body.get("error") if isinstance(body, dict) else None,
            "requirement": self.requirement,
            "explanation": self.why,
        }


def explain(traffic: Traffic) -> list[Refusal]:
    return [
        Refusal(ex, *_cause(traffic, ex))
        for ex in traffic.exchanges
        if ex.status is not None and 400 <= ex.status < 500
    ]


def _cause(traffic: Traffic, ex: Exchange) -> tuple[str | None, str]:
    if ex.note:
        return None, f"provoked by the scenario: {ex.note}"
    if ex.status == 429:
        return None, "the contract's throttle (THR-2; scenario throttling): the client must wait 1 s (CLI-5)"
    body = ex.json()
    error = body.get("error") if isinstance(body, dict) else None
    where = kind(ex)
    if where in ("register", "token"):
        if not content_type_ok(ex):
            return CONTENT_TYPES[where][1], "wrong or missing Content-Type"
        if not accept_ok(ex):
            return ACCEPT_RULE[where], "an Accept that excludes JSON"
    if where == "register":
        problem = register_body_problem(ex)
        if problem or error in STATEMENT_ERRORS:
            return (
                "REG-REQ-5",
                problem or f"{error}: the body's software_statement or redirect_uri is not the one the app was given",
            )
        return "REG-REQ-5", f"{error or ex.status}: the register request was refused"
    if where == "token":
        problem = token_params_problem(ex)
        if problem:
            return "TOK-REQ-2", problem
        if error == "invalid_client":
            return (
                "CLI-2",
                "invalid_client: credentials the server never issued (store the registered credentials as given)",
            )
        return "TOK-REQ-2", f"{error or ex.status}: the token request was refused"
    if where == "api":
        token = traffic.tokens.get(bearer_of(ex) or "")
        if not bearer_of(ex):
            return "CLI-4", "no Authorization: Bearer <token>"
        if token is None:
            return "CLI-4", "a bearer token the server never issued"
        if ex.started_at > token.expires_at:
            return "CLI-3", f"a token that expired {ex.started_at - token.expires_at:.2f} s earlier"
        return "CLI-4", f"{ex.status} for a token the server issued"
    return None, f"{ex.status}: not an endpoint of the contract (the client called a path it does not document)"
