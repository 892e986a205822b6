"""What a provocation's context gives every case, whoever sends it (a generated check, a replay), on a fake transport."""

from __future__ import annotations

import json

import httpx

from dcr_harness.checks.provocations import Context
from dcr_harness.contract.target import target_from_dict
from dcr_harness.http import DcrClient
from dcr_harness.http.session import Session

TARGET = {"base_url": "http://127.0.0.1:9", "statements": {"valid": "a.b.c"}}
ANSWERS = {
    "/o/client/register": (201, {"client_id": "client-1", "client_secret": "secret-1"}),
    "/o/client/token": (201, {"access_token": "token-1", "token_type": "bearer", "expires_in": 60}),
}


def _context() -> tuple[Context, list[str]]:
    """A context on a fake target that answers by path, and the paths it was sent, in order."""
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        status, body = ANSWERS[request.url.path]
        return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": "application/json"})

    session = Session(target_from_dict(TARGET), paced=False)
    session.http = httpx.Client(transport=httpx.MockTransport(answer))
    return Context(DcrClient(session, "198.18.0.1", paced=False)), sent


def test_any_context_gives_the_protected_api_cases_a_fresh_token():
    """The protected API's cases ask their context for a token: a plain context (as replay sends them) has one."""
    context, sent = _context()
    assert context.token() == "token-1"
    assert sent == ["/o/client/register", "/o/client/token"]
    context.token()
    assert sent[2:] == ["/o/client/token"], "the credentials are registered once; each token is fresh"
