"""The client-certification judges on hand-made traffic: the boundaries of each sequence rule,
and the client scope of the verdicts."""

from __future__ import annotations

import base64
import json

import pytest

from dcr_harness.clientcert.judges import (
    RESTART,
    Judge,
    bearer,
    refusals,
    register_body,
    registration,
    token_params,
    token_reuse,
    wait_after_429,
)
from dcr_harness.clientcert.recording import RecordedExchange
from dcr_harness.clientcert.refusals import explain
from dcr_harness.clientcert.report import judge_traffic
from dcr_harness.clientcert.traffic import Traffic
from dcr_harness.contract.verdicts import requirement_verdicts
from dcr_harness.http.exchange import Exchange

BASE = "http://127.0.0.1:8000"
API = "/api/v2/REF30/configuration"
FORM = [("content-type", "application/x-www-form-urlencoded")]


def ex(
    method: str,
    path: str,
    at: float,
    status: int,
    *,
    headers=(),
    body: bytes = b"",
    answer: object = None,
    elapsed: float = 0.01,
) -> Exchange:
    return Exchange(
        method,
        BASE + path,
        list(headers),
        body,
        status=status,
        response_body=json.dumps(answer or {}).encode(),
        elapsed=elapsed,
        started_at=at,
        device="127.0.0.1",
    )


def register(at: float, client_id: str, status: int = 201) -> Exchange:
    return ex(
        "POST",
        "/o/client/register",
        at,
        status,
        body=b'{"software_statement": "s"}',
        answer={"client_id": client_id, "client_secret": "secret-" + client_id} if status == 201 else {"error": "x"},
    )


def token(at: float, client_id: str, value: str | None = None, ttl: int = 10, error: str | None = None) -> Exchange:
    answer = {"error": error} if error else {"access_token": value, "expires_in": ttl, "token_type": "bearer"}
    return ex(
        "POST",
        "/o/client/token",
        at,
        400 if error else 201,
        headers=FORM,
        body=f"grant_type=client_credentials&client_id={client_id}&client_secret=secret-{client_id}".encode(),
        answer=answer,
    )


def api(at: float, value: str, status: int = 200, elapsed: float = 0.01) -> Exchange:
    return ex("GET", API, at, status, headers=[("authorization", f"Bearer {value}")], elapsed=elapsed)


def judged(rule, exchanges: list[Exchange], restart_at: float | None = None) -> tuple[set[str], set[str]]:
    """(requirements broken, requirements held) by one judge over this traffic."""
    record = judge_traffic(
        Traffic(exchanges, restart_at=restart_at), (Judge("j", "j", ("CLI-2", "CLI-3", "CLI-5"), rule),)
    )[0]
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


# second token request of the same client (lifetime 10 s, answered at 0.11 s: expires at 10.11 s; the room:
# at most 50% of it + 1 s = 6 s left, i.e. from 4.11 s): (arrival, outcome). After expiry is a breach, never "not exercised".
RENEWALS = [(3.0, "broken"), (4.2, "held"), (10.0, "held"), (10.5, "broken")]


@pytest.mark.parametrize("at, outcome", RENEWALS)
def test_a_token_is_renewed_in_the_room_cli_3_leaves(at: float, outcome: str) -> None:
    broken, held = judged(token_reuse, [*FLOW, api(1.0, "t1"), token(at, "c1", "t2"), api(at + 0.1, "t2")])
    assert (broken, held) == {"broken": ({"CLI-3"}, set()), "held": (set(), {"CLI-3"})}[outcome]


def test_a_renewal_is_timed_by_its_first_attempt() -> None:
    # Throttled at 9.5 s (before expiry), retried after the 1 s wait: got its token after expiry, still in time.
    throttled = token(9.5, "c1", "x")
    throttled.status, throttled.response_body = 429, b"too many"
    assert judged(token_reuse, [*FLOW, api(1.0, "t1"), throttled, token(10.6, "c1", "t2")]) == (set(), {"CLI-3"})
    # Renewals that never got a token are renewals too: one per call is judged though every one was refused.
    refused = [token(0.5 + i, "c1", error="invalid_request") for i in range(3)]
    assert judged(token_reuse, [*FLOW, *refused])[0] == {"CLI-3"}


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


# restart prompt at 1.5 s; (restart signal, outcome of the restart judge): only the explicit signal counts
RESTARTS = [(2.0, "held"), (None, "not exercised")]


@pytest.mark.parametrize("signal, outcome", RESTARTS)
def test_a_restart_is_known_from_its_signal_never_from_connections(signal: float | None, outcome: str) -> None:
    # A new connection for every request (as httpx-auth opens them) says nothing about a restart.
    traffic: list[Exchange] = [
        on(1, register(0.0, "c1")),
        on(2, token(0.1, "c1", "t1")),
        on(3, api(1.0, "t1")),
        on(4, token(4.0, "c1", "t2")),
    ]
    record = judge_traffic(Traffic(traffic, restart_at=signal, prompted_at=1.5), (RESTART,))[0]
    if outcome == "held":
        assert set(record.evidence.verified) == {"CLI-2"} and not record.evidence.breaches
    else:
        assert not record.evidence.verified and "never followed by the restart signal" in record.not_verified()["CLI-2"]
    # CLI-3 forgives the new token after a signalled restart only (the app lost its token); unsignalled it is early.
    assert judged(token_reuse, traffic, restart_at=signal)[0] == (set() if signal else {"CLI-3"})


def request(
    path: str, body: bytes, headers: list[tuple[str, str]], status: int = 201, answer: object = None, query: str = ""
) -> Exchange:
    return ex("POST", path + (f"?{query}" if query else ""), 0.5, status, headers=headers, body=body, answer=answer)


JSON_CT = [("content-type", "application/json")]
BASIC = [("authorization", "Basic " + base64.b64encode(b"c1:secret-c1").decode())]
GOOD_FORM = b"grant_type=client_credentials&client_id=c1&client_secret=secret-c1"
# request rules a client can break: (judge, request, requirement broken or None)
REQUEST_RULES = [
    (register_body, request("/o/client/register", b'{"software_statement": "s"}', JSON_CT), None),
    (register_body, request("/o/client/register", b'["s"]', JSON_CT, 400), "REG-REQ-5"),
    (register_body, request("/o/client/register", b'{"software_statement": ["s"]}', JSON_CT, 400), "REG-REQ-5"),
    (
        register_body,
        request("/o/client/register", b'{"software_statement": "s", "redirect_uri": 1}', JSON_CT, 400),
        "REG-REQ-5",
    ),
    (token_params, request("/o/client/token", GOOD_FORM, FORM), None),
    (token_params, request("/o/client/token", b"grant_type=client_credentials", FORM + BASIC), "TOK-REQ-2"),
    (token_params, request("/o/client/token", GOOD_FORM, FORM + BASIC, 400), "TOK-REQ-2"),
    (token_params, request("/o/client/token", b"", FORM, 400, query=GOOD_FORM.decode()), "TOK-REQ-2"),
    (token_params, request("/o/client/token", GOOD_FORM + b"&client_id=c2", FORM, 400), "TOK-REQ-2"),
    (
        token_params,
        request("/o/client/token", b"grant_type=password&client_id=c1&client_secret=s", FORM, 400),
        "TOK-REQ-2",
    ),
]


@pytest.mark.parametrize("rule, exchange, broken", REQUEST_RULES)
def test_request_rules_a_client_can_break_are_judged(rule, exchange: Exchange, broken: str | None) -> None:
    record = judge_traffic(Traffic([exchange]), (Judge("j", "j", (), rule),))[0]
    assert set(record.evidence.broken) == ({broken} if broken else set())
    assert set(record.evidence.verified) == (
        set() if broken else {"REG-REQ-5" if rule is register_body else "TOK-REQ-2"}
    )


def test_every_4xx_is_explained_with_the_requirement_it_points_to() -> None:
    bad_body = request("/o/client/register", b'["s"]', JSON_CT, 400, {"error": "invalid_request"})
    basic = request(
        "/o/client/token", b"grant_type=client_credentials", FORM + BASIC, 400, {"error": "invalid_request"}
    )
    wrong_statement = request(
        "/o/client/register", b'{"software_statement": "x"}', JSON_CT, 400, {"error": "invalid_software_statement"}
    )
    injected = token(3.0, "c1", error="invalid_client")
    injected.note = "invalid_client: credentials revoked (scenario revoked-credentials)"
    expired = api(10.5, "t1", 401)
    traffic = Traffic([*FLOW, bad_body, basic, wrong_statement, injected, expired])
    causes = {(r.exchange.url.rsplit("/", 1)[-1], r.requirement) for r in explain(traffic)}
    assert causes == {("register", "REG-REQ-5"), ("token", "TOK-REQ-2"), ("token", None), ("configuration", "CLI-3")}
    record = judge_traffic(traffic, (Judge("refusals", "r", (), refusals),))[0]
    assert set(record.evidence.broken) == {"REG-REQ-5", "TOK-REQ-2", "CLI-3"}


def test_a_judge_that_saw_nothing_says_what_the_traffic_lacked() -> None:
    record = judge_traffic(
        Traffic([*FLOW]), (Judge("bearer", "b", ("CLI-4",), bearer, "the client called no protected API"),)
    )[0]
    assert record.not_verified() == {"CLI-4": "not exercised: the client called no protected API"}


def test_client_scope_judges_only_the_clients_requirements() -> None:
    check = {
        "nodeid": "n",
        "requirements": ["CLI-1", "REG-OK-1"],
        "outcome": "passed",
        "verified": {"CLI-1": {"examples": []}, "REG-OK-1": {"examples": []}},
    }
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
    cases = [
        (jwt.encode(claims, partner, algorithm="ES256"), 201),
        (jwt.encode(claims, stranger, algorithm="ES256"), 400),
        (jwt.encode(claims, "", algorithm="none"), 400),
    ]
    with CertificationServer(Settings.of(["server-to-server"]), partner_key=partner.public_key()) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            answers = [http.post("/o/client/register", json={"software_statement": s}) for s, _ in cases]
            assert [a.status_code for a in answers] == [status for _, status in cases]
            assert {a.json().get("error") for a in answers[1:]} == {"invalid_software_statement"}
            # the reference statement keeps working beside the partner's
            assert http.post("/o/client/register", json={"software_statement": server.statement}).status_code == 201


def test_the_restart_signal_counts_only_after_the_prompt_and_is_not_client_traffic() -> None:
    import threading

    import httpx

    from dcr_harness.clientcert.scenarios import RESTART_MARKER_PATH, Settings
    from dcr_harness.clientcert.server import CertificationServer

    prompted = threading.Event()
    with CertificationServer(Settings.of(["restart"]), on_restart=prompted.set) as server:
        with httpx.Client(base_url=server.base_url, timeout=10) as http:
            assert http.post(RESTART_MARKER_PATH).status_code == 409  # no prompt yet: no restart to signal
            assert http.get(RESTART_MARKER_PATH).status_code == 405
            creds = http.post("/o/client/register", json={"software_statement": server.statement}).json()
            token = http.post(
                "/o/client/token",
                data={**{k: creds[k] for k in ("client_id", "client_secret")}, "grant_type": "client_credentials"},
            ).json()["access_token"]
            assert http.get(server.endpoints["api"], headers={"Authorization": f"Bearer {token}"}).status_code == 200
            # The prompt follows the first API answer, once it has been sent: wait for it (bounded).
            assert prompted.wait(timeout=10) and server.recording.restart_at is None
            assert http.post(RESTART_MARKER_PATH).status_code == 200
        assert server.recording.restart_at is not None
        assert not [ex for ex in server.recording.exchanges if RESTART_MARKER_PATH in ex.url]
