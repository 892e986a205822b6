"""Before any check: is there an HTTP server at the target's base URL, and does the target
file's `statements.valid` work there?

An unreachable host, a refused port, a TLS failure or a peer that does not speak HTTP ends
the run with exit code 3 and one clear sentence, instead of a hundred identical failures.

The happy path (register `statements.valid`, then get a token with its credentials) is
tried once through the run's session, so it is paced and counts against
`budget.max_requests`. The rule for what its failure means:

- exit 2 (target file error) only when the server's answer says the TARGET FILE is wrong:
  the statement is refused with 400 `invalid_software_statement` or
  `unapproved_software_statement` (a wrong, foreign or revoked statement), or the token
  request is refused with 400 `unauthorized_client` while the registration's `grant_types`
  lacks `client_credentials` too (the statement's application is not granted it, which
  TARGET.md requires of `statements.valid`; a server that registers the grant and then
  refuses it is failing, not the target file);
- any other failure (a 5xx, a body without credentials, another error code, no answer) is
  the SERVER failing the happy path (200 instead of 201 is not even that: the checks
  report it): the run goes on, the checks fail
  with their requirement IDs, a report is written and the console names the problem.
"""

from __future__ import annotations

import httpx

from ..contract.target import Target
from ..errors import TargetFileRefused, TargetUnreachable
from ..http import BudgetExceeded, DcrClient, Exchange, Session
from ..http.session import transport_problem

STATEMENT_REFUSALS = frozenset({"invalid_software_statement", "unapproved_software_statement"})
GRANT_REFUSALS = frozenset({"unauthorized_client"})
QUOTE_LIMIT = 300


def preflight(target: Target, timeout: float = 5.0) -> dict[str, object]:
    """One harmless request (GET on the register path, body not read); returns what was seen."""
    url = target.url(target.register_path)
    limits = httpx.Timeout(timeout)
    try:
        with httpx.Client(timeout=limits, verify=target.tls.httpx_verify(), follow_redirects=False) as client:
            with client.stream("GET", url, headers={target.throttle.device_header: "198.18.255.254"}) as response:
                seen = {"url": url, "status": response.status_code, "http_version": response.http_version}
    except httpx.ConnectError as exc:
        why = transport_problem(exc, limits) if "SSL" in str(exc) else _reason(exc)
        raise TargetUnreachable(f"cannot connect to {target.base_url}: {why}") from None
    except httpx.TimeoutException:
        raise TargetUnreachable(f"{target.base_url} did not answer within {timeout:.0f} s") from None
    except (httpx.RemoteProtocolError, httpx.LocalProtocolError, httpx.DecodingError) as exc:
        raise TargetUnreachable(f"{target.base_url} does not speak HTTP: {_reason(exc)}") from None
    except httpx.HTTPError as exc:
        raise TargetUnreachable(f"{target.base_url}: {transport_problem(exc, limits)}") from None
    return seen


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0]


def quote(exchange: Exchange, session: Session) -> str:
    """The server's answer in one masked line: status and the start of the body as text."""
    if exchange.error:
        return (
            f"answer {exchange.status} cut short ({exchange.error})"
            if exchange.status
            else f"no HTTP answer ({exchange.error})"
        )
    text = exchange.response_body[:QUOTE_LIMIT].decode("utf-8", "replace")
    text = " ".join(text.split()) + ("..." if len(exchange.response_body) > QUOTE_LIMIT else "")
    if exchange.response_body and exchange.json() is None:
        text += " (not JSON)"
    return session.masker.mask(f"{exchange.status} {text}".strip())


def _error_code(exchange: Exchange) -> str | None:
    body = exchange.json()
    return body.get("error") if exchange.status == 400 and isinstance(body, dict) else None


def _served(exchange: Exchange) -> bool:
    # 200 for 201 is a REG-OK-1/TOK-OK-1 failure that the checks report; the preflight only needs the credentials.
    return exchange.status is not None and 200 <= exchange.status < 300


def happy_path(session: Session) -> str | None:
    """Register statements.valid and get a token; None when both worked, else what the server did.

    Raises TargetFileRefused when the answer says the target file is wrong (see the rule above).
    """
    dcr = DcrClient(session)
    target = session.target
    try:
        registration = dcr.register()
        body = registration.json()
        if _error_code(registration) in STATEMENT_REFUSALS:
            raise TargetFileRefused(
                f"statements.valid is refused by {target.url(target.register_path)}: {quote(registration, session)}"
                " (the target file needs a statement this server approves)"
            )
        if not _served(registration) or not isinstance(body, dict) or not {"client_id", "client_secret"} <= body.keys():
            return f"registering statements.valid did not give credentials: {quote(registration, session)}"
        token = dcr.token(str(body["client_id"]), str(body["client_secret"]))
    except BudgetExceeded as exc:
        return f"not completed: {exc}"
    granted = body.get("grant_types")
    if _error_code(token) in GRANT_REFUSALS and not (isinstance(granted, list) and "client_credentials" in granted):
        raise TargetFileRefused(
            f"statements.valid registers, but its credentials may not use client_credentials: {quote(token, session)}"
            " (the target file needs a statement whose application is granted client_credentials)"
        )
    token_body = token.json()
    if not _served(token) or not isinstance(token_body, dict) or not isinstance(token_body.get("access_token"), str):
        return f"the credentials of statements.valid did not get a token: {quote(token, session)}"
    return None
