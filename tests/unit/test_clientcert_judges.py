"""The client-certification judges on hand-made traffic: the boundaries of each sequence rule,
and the client scope of the verdicts."""

from __future__ import annotations

import json

import pytest

from dcr_harness.clientcert.judges import registration, token_reuse, wait_after_429
from dcr_harness.clientcert.report import judge_traffic
from dcr_harness.clientcert.judges import Judge
from dcr_harness.clientcert.recording import RecordedExchange
from dcr_harness.clientcert.traffic import Traffic
from dcr_harness.http.exchange import Exchange
from dcr_harness.contract.verdicts import requirement_verdicts

BASE = "http://127.0.0.1:8000"
API = "/api/v2/REF30/configuration"
FORM = [("content-type", "application/x-www-form-urlencoded")]


def ex(method: str, path: str, at: float, status: int, *, headers=(), body: bytes = b"", answer: object = None,
       elapsed: float = 0.01) -> Exchange:
    return Exchange(method, BASE + path, list(headers), body, status=status, response_body=json.dumps(answer or {}).encode(),
                    elapsed=elapsed, started_at=at, device="127.0.0.1")


def register(at: float, client_id: str, status: int = 201) -> Exchange:
    return ex("POST", "/o/client/register", at, status, body=b'{"software_statement": "s"}',
              answer={"client_id": client_id, "client_secret": "secret-" + client_id} if status == 201 else {"error": "x"})


def token(at: float, client_id: str, value: str | None = None, ttl: int = 10, error: str | None = None) -> Exchange:
    answer = {"error": error} if error else {"access_token": value, "expires_in": ttl, "token_type": "bearer"}
    return ex("POST", "/o/client/token", at, 400 if error else 201, headers=FORM,
              body=f"grant_type=client_credentials&client_id={client_id}&client_secret=secret-{client_id}".encode(), answer=answer)


def api(at: float, value: str, status: int = 200, elapsed: float = 0.01) -> Exchange:
    return ex("GET", API, at, status, headers=[("authorization", f"Bearer {value}")], elapsed=elapsed)


def judged(rule, exchanges: list[Exchange], restart_at: float | None = None) -> tuple[set[str], set[str]]:
    """(requirements broken, requirements held) by one judge over this traffic."""
    record = judge_traffic(Traffic(exchanges, restart_at=restart_at), (Judge("j", "j", ("CLI-2", "CLI-3", "CLI-5"), rule),))[0]
    return set(record.evidence.broken), set(record.evidence.verified)


FLOW = [register(0.0, "c1"), token(0.1, "c1", "t1")]
# next request after a 429 answered at 2.01 s: (its arrival, breaks CLI-5?)
WAITS = [(2.01 + 0.99, True), (2.01 + 1.0, False), (2.01 + 1.5, False)]


@pytest.mark.parametrize("following, breaks", WAITS)
def test_wait_after_429_is_one_second_from_the_answer(following: float, breaks: bool) -> None:
    broken, held = judged(wait_after_429, [*FLOW, api(2.0, "t1", 429), api(following, "t1")])
    assert (broken, held) == (({"CLI-5"}, set()) if breaks else (set(), {"CLI-5"}))


def test_a_request_already_in_flight_when_the_429_left_is_not_a_retry() -> None:
    in_flight = api(2.005, "t1")  # arrived before the 429 below was answered (2.01 s)
    assert judged(wait_after_429, [*FLOW, api(2.0, "t1", 429), in_flight, api(3.2, "t1")]) == (set(), {"CLI-5"})


def test_no_429_means_not_exercised() -> None:
    assert judged(wait_after_429, [*FLOW, api(1.0, "t1")]) == (set(), set())


# second token request of the same client (lifetime 10 s from 0.1 s): (arrival, outcome)
RENEWALS = [(4.0, "broken"), (6.0, "held"), (10.5, "none")]


@pytest.mark.parametrize("at, outcome", RENEWALS)
def test_a_token_is_renewed_near_expiry_not_per_call(at: float, outcome: str) -> None:
    broken, held = judged(token_reuse, [*FLOW, api(1.0, "t1"), token(at, "c1", "t2"), api(at + 0.1, "t2")])
    assert (broken, held) == {"broken": ({"CLI-3"}, set()), "held": (set(), {"CLI-3"}), "none": (set(), set())}[outcome]


def test_calling_with_an_expired_token_breaks_cli_3() -> None:
    assert judged(token_reuse, [*FLOW, api(5.0, "t1"), api(10.5, "t1", 401)])[0] == {"CLI-3"}


def test_registering_again_only_after_invalid_client_and_once() -> None:
    revoked = [*FLOW, token(3.0, "c1", error="invalid_client"), register(3.1, "c2"), token(3.2, "c2", "t2")]
    assert judged(registration, revoked) == (set(), {"CLI-2"})
    assert judged(registration, [*revoked, register(3.3, "c3")])[0] == {"CLI-2"}
    assert judged(registration, [*FLOW, register(1.0, "c2")])[0] == {"CLI-2"}


def test_a_retried_registration_that_got_no_credentials_is_not_a_second_one() -> None:
    assert judged(registration, [register(0.0, "c0", status=429), *FLOW, token(5.0, "c1", "t2")]) == (set(), {"CLI-2"})


def on(connection: int, exchange: Exchange) -> RecordedExchange:
    return RecordedExchange(**vars(exchange), connection=connection)


@pytest.mark.parametrize("connection, restarted", [(2, True), (1, False)])
def test_restart_reusing_stored_credentials_is_evidence_for_cli_2(connection: int, restarted: bool) -> None:
    # The only token request: evidence for CLI-2 only if it came on a new connection after the prompt.
    traffic = [on(1, register(0.0, "c1")), on(1, token(0.1, "c1", "t1")), on(1, api(1.0, "t1")), on(connection, token(4.0, "c1", "t2"))]
    second_token = {"CLI-2"}  # a second token with the same credentials is evidence either way
    assert judged(registration, traffic, restart_at=2.0)[1] == second_token
    record = judge_traffic(Traffic(traffic, restart_at=2.0), (Judge("j", "j", ("CLI-2",), registration),))[0]
    assert any("restarted" in e for e in record.evidence.verified["CLI-2"].examples) is restarted


def test_client_scope_judges_only_the_clients_requirements() -> None:
    check = {"nodeid": "n", "requirements": ["CLI-1", "REG-OK-1"], "outcome": "passed",
             "verified": {"CLI-1": {"examples": []}, "REG-OK-1": {"examples": []}}}
    client = requirement_verdicts([check], scope="client")
    server = requirement_verdicts([check])
    assert (client["CLI-1"].verdict, client["REG-OK-1"].verdict) == ("pass", "not_applicable")
    assert (server["CLI-1"].verdict, server["REG-OK-1"].verdict) == ("not_applicable", "pass")


def test_trust_key_accepts_the_partners_statements_only(tmp_path) -> None:
    """--trust-key: a statement signed by the partner's issuer registers; alg none and other keys do not."""
    import httpx
    import jwt
    from cryptography.hazmat.primitives.asymmetric import ec

    from dcr_harness.clientcert.scenarios import Settings
    from dcr_harness.clientcert.server import CertificationServer

    partner, stranger = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    claims = {"iss": "partner-test-issuer", "software_id": "partner-app", "grant_types": ["client_credentials"]}
    cases = [(jwt.encode(claims, partner, algorithm="ES256"), 201),
             (jwt.encode(claims, stranger, algorithm="ES256"), 400),
             (jwt.encode(claims, None, algorithm="none"), 400)]
    with CertificationServer(Settings.of(["server-to-server"]), partner_key=partner.public_key()) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            answers = [http.post("/o/client/register", json={"software_statement": s}) for s, _ in cases]
            assert [a.status_code for a in answers] == [status for _, status in cases]
            assert {a.json().get("error") for a in answers[1:]} == {"invalid_software_statement"}
            # the reference statement keeps working beside the partner's
            assert http.post("/o/client/register", json={"software_statement": server.statement}).status_code == 201
