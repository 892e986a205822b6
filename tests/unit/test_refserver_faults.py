"""Every fault changes behaviour in the way it claims: one provocation per fault, run
against a fresh server with the fault off and with it on, both outcomes stated.

In-process (starlette TestClient) for speed; the live server is covered by test_refserver.py.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dcr_harness.contract import device_info
from dcr_harness.refserver import FAULTS
from dcr_harness.refserver.credentials import token_digest
from dcr_harness.refserver.keys import Keys
from dcr_harness.refserver.seed import VALID
from dcr_harness.refserver.testing import FakeClock, InProcess, copy_keys, in_process

REGISTER, TOKEN = "/o/client/register", "/o/client/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
Provoke = Callable[[InProcess], Any]


def _status(r) -> int:
    return r.status_code


def _error(r) -> str:
    return r.json()["error"] if r.headers.get("content-type", "").startswith("application/json") else r.text


def _register(**kw: Any) -> Provoke:
    return lambda s: _status(s.register(**kw))


def _register_with(statement: str) -> Provoke:
    return lambda s: _status(s.register(s.statements[statement]))


def _register_json(**members: str) -> Provoke:
    return lambda s: _status(s.register(json={"software_statement": s.statements["valid"], **members}))


def _register_bytes(body: Callable[[InProcess], bytes], **headers: str) -> Provoke:
    return lambda s: _status(
        s.client.post(REGISTER, content=body(s), headers={"Content-Type": "application/json", **headers})
    )


def _token_form(body: str, query: str = "", **headers: str) -> Provoke:
    """A raw token request from fresh credentials; ID and SECRET in `body`/`query` are replaced."""

    def provoke(s: InProcess) -> int:
        client_id, secret = s.credentials()
        fill = lambda text: text.replace("ID", client_id).replace("SECRET", secret)  # noqa: E731
        return _status(s.client.post(TOKEN + fill(query), content=fill(body), headers={**FORM, **headers}))

    return provoke


GOOD_FORM = "client_id=ID&client_secret=SECRET&grant_type=client_credentials"


def _token(s: InProcess, **headers: str):
    return s.token(*s.credentials(), headers=headers)


def _second_token(s: InProcess) -> int:
    creds = s.credentials()
    s.token(*creds)
    return _status(s.token(*creds))


def _basic_and_body(s: InProcess) -> int:
    client_id, secret = s.credentials()
    basic = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return _status(s.token(client_id, secret, headers={"Authorization": basic}))


def _expired_token(s: InProcess) -> int:
    client_id, _ = s.credentials()
    s.store.add_token(token_digest("expired-token"), "id", client_id, 0, time.time() - 10)
    return _status(s.api("expired-token"))


def _revoked_token(s: InProcess) -> int:
    token = s.access_token(s.statements["revocable"])
    s.store.revoke("ref-revocable")
    return _status(s.api(token))


def _alg_none(s: InProcess) -> int:
    head = base64.urlsafe_b64encode(b'{"alg":"none"}').decode().rstrip("=")
    return _status(s.register(f"{head}.{s.statements['valid'].split('.')[1]}."))


def _throttled(devices: tuple[str, ...], schedule: tuple[float, ...]) -> Provoke:
    """Statuses of unauthenticated API calls (401 when served) from each device at each fake time."""

    def provoke(s: InProcess) -> list[int]:
        assert isinstance(s.clock, FakeClock)
        statuses = []
        for t in schedule:
            s.clock.now = t
            statuses += [_status(s.api(headers={"X-Forwarded-For": d})) for d in devices]
        return statuses

    return provoke


def _throttled_token(s: InProcess) -> list[int]:
    """Statuses of back-to-back token requests with made-up credentials from one device (400 when served)."""
    headers = {**FORM, "X-Forwarded-For": TWO_DEVICES[0]}
    return [
        _status(
            s.client.post(TOKEN, content="client_id=x&client_secret=y&grant_type=client_credentials", headers=headers)
        )
        for _ in range(14)
    ]


THR6 = (0, 0.3, 0.6, 0.9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.2, 2.4, 2.6, 2.8, 3.1)
THR6_OK = [401] * 13 + [429] * 3 + [401]
TWO_DEVICES = ("198.18.0.1", "198.18.0.2")
AT_ONCE = (0.0,) * 11  # each device: rate + burst exactly


def _statement_segment(index: int, text: bytes) -> Provoke:
    """The valid statement with its header (0) or claims (1) replaced by `text`, under the old signature."""

    def provoke(s: InProcess) -> int:
        parts = s.statements["valid"].split(".")
        parts[index] = base64.urlsafe_b64encode(text).decode().rstrip("=")
        return _status(s.register(".".join(parts)))

    return provoke


def _device_key_with_control(s: InProcess) -> int:
    info = {**device_info.build(), "os\x01Name": "x"}
    return _status(s.register(headers={"X-Device-Info": base64.b64encode(json.dumps(info).encode()).decode()}))


def _deep_unknown_member(s: InProcess) -> bytes:
    return b'{"software_statement": %s, "x": %s}' % (
        json.dumps(s.statements["valid"]).encode(),
        b"[" * 100 + b"]" * 100,
    )


# fault: (provocation, outcome without the fault, outcome with it)
CASES: dict[str, tuple[Provoke, Any, Any]] = {
    "reg-status-200": (_register(), 201, 200),
    "reg-missing-field": (lambda s: "client_id_issued_at" in s.register().json(), True, False),
    "reg-issued-at-ms": (lambda s: s.register().json()["client_id_issued_at"] > 10**11, False, True),
    "reg-reuse-credentials": (lambda s: s.credentials() == s.credentials(), False, True),
    "reg-no-client-credentials-grant": (lambda s: s.register().json()["grant_types"], ["client_credentials"], []),
    "reg-accept-alg-none": (_alg_none, 400, 201),
    "reg-accept-foreign-key": (_register_with("foreign_signed"), 400, 201),
    "reg-ignore-revocation": (_register_with("revoked"), 400, 201),
    "reg-accept-any-redirect": (_register_json(redirect_uri="/relative"), 400, 201),
    "reg-wrong-error-code": (lambda s: _error(s.register(json={})), "invalid_request", "invalid_client_metadata"),
    "reg-error-not-json": (
        lambda s: s.register(json={}).headers["content-type"],
        "application/json",
        "text/plain; charset=utf-8",
    ),
    "reg-500-bad-json": (_register_bytes(lambda s: b"{"), 400, 500),
    "reg-accept-any-content-type": (
        _register_bytes(
            lambda s: json.dumps({"software_statement": s.statements["valid"]}).encode(),
            **{"Content-Type": "text/plain"},
        ),
        400,
        201,
    ),
    "reg-ignore-accept": (_register(headers={"Accept": "text/html"}), 400, 201),
    "reg-dup-member-last-wins": (
        _register_bytes(
            lambda s: (
                b'{"software_statement": "x", "software_statement": %s}' % json.dumps(s.statements["valid"]).encode()
            )
        ),
        400,
        201,
    ),
    "reg-refuses-all": (_register(), 201, 400),
    "tok-415-non-form": (
        lambda s: _status(s.client.post(TOKEN, content="{}", headers={"Content-Type": "application/json"})),
        400,
        415,
    ),
    "tok-status-200": (lambda s: _status(_token(s)), 201, 200),
    "tok-created-at-seconds": (lambda s: type(_token(s).json()["created_at"]).__name__, "int", "str"),
    "tok-token-type-mac": (lambda s: _token(s).json()["token_type"], "bearer", "mac"),
    "tok-missing-created-at": (lambda s: "created_at" in _token(s).json(), True, False),
    "tok-no-refresh": (_second_token, 201, 400),
    "tok-accept-wrong-secret": (
        _token_form("client_id=ID&client_secret=wrong&grant_type=client_credentials"),
        400,
        201,
    ),
    "tok-basic-plus-body-accepted": (_basic_and_body, 400, 201),
    "tok-unknown-grant-invalid-request": (
        lambda s: _error(s.token(*s.credentials(), grant_type="urn:example:unknown")),
        "unsupported_grant_type",
        "invalid_request",
    ),
    "tok-ungranted-grant-accepted": (lambda s: _status(s.token(*s.credentials(), grant_type="password")), 400, 201),
    "tok-repeated-param-last-wins": (_token_form(GOOD_FORM + "&client_id=ID"), 400, 201),
    "tok-no-cache-headers": (lambda s: _token(s).headers.get("cache-control"), "no-store", None),
    "tok-accept-json-params-only": (lambda s: _status(_token(s, Accept="application/json;charset=utf-8")), 201, 400),
    "tok-accept-query-params": (_token_form("", "?" + GOOD_FORM), 400, 201),
    "api-accept-expired": (_expired_token, 401, 200),
    "api-accept-revoked": (_revoked_token, 401, 200),
    "api-accept-unknown-token": (lambda s: _status(s.api("never-issued")), 401, 200),
    "api-status-403": (lambda s: _status(s.api()), 401, 403),
    "api-error-body-plain": (
        lambda s: s.api().headers["content-type"],
        "application/json",
        "text/plain; charset=utf-8",
    ),
    "api-error-status-mismatch": (lambda s: s.api().json()["status"], 401, 400),
    "api-reject-valid": (lambda s: _status(s.api(s.access_token())), 200, 401),
    "dev-500-bad-device-info": (_register(headers={"X-Device-Info": "%%% not base64"}), 400, 500),
    "thr-none": (_throttled(TWO_DEVICES[:1], THR6), THR6_OK, [401] * 17),
    "thr-global-bucket": (_throttled(TWO_DEVICES, AT_ONCE), [401] * 22, [401] * 11 + [429] * 11),
    "thr-burst-refills": (_throttled(TWO_DEVICES[:1], THR6), THR6_OK, [401] * 17),
    "thr-no-recovery": (_throttled(TWO_DEVICES[:1], THR6), THR6_OK, [401] * 13 + [429] * 4),
    "thr-status-503": (_throttled(TWO_DEVICES[:1], THR6), THR6_OK, [401] * 13 + [503] * 3 + [401]),
    "thr-ignore-device-header": (_throttled(TWO_DEVICES, AT_ONCE), [401] * 22, [401] * 11 + [429] * 11),
    "thr-no-burst": (
        _throttled(TWO_DEVICES[:1], THR6),
        THR6_OK,
        [401, 429, 429, 429, 401] + [429] * 6 + [401] + [429] * 4 + [401],
    ),
    "thr-token-exempt": (_throttled_token, [400] * 11 + [429] * 3, [400] * 14),
    "gen-500-long-param": (_register_json(redirect_uri="https://app.example.com/" + "a" * 2000), 400, 500),
    "gen-500-control-char": (_register_json(redirect_uri="https://app.example.com/\x01"), 400, 500),
    "gen-accept-empty-secret": (_token_form("client_id=ID&client_secret=&grant_type=client_credentials"), 400, 201),
    "gen-accept-expired-statement": (
        lambda s: _status(s.register(s.keys.mint(VALID, exp=int(time.time()) - 3600))),
        400,
        201,
    ),
    "rare-500-redirect-bad-percent": (_register_json(redirect_uri="https://app.example.com/callback%zz"), 400, 500),
    "rare-500-deep-json": (_register_bytes(_deep_unknown_member), 201, 500),
    "rare-500-xff-not-address": (_register(headers={"X-Forwarded-For": "not-an-address, 198.18.0.1"}), 201, 500),
    "rare-500-non-ascii-user-agent": (_register(headers={"User-Agent": "é".encode()}), 201, 500),
    "rare-500-form-invalid-utf8": (
        _token_form("client_id=ID&client_secret=%FF&grant_type=client_credentials"),
        400,
        500,
    ),
    "rare-500-device-key-control": (_device_key_with_control, 201, 500),
    "rare-500-alg-not-string": (_statement_segment(0, b'{"alg": 42, "typ": "JWT"}'), 400, 500),
    "rare-500-claim-out-of-range": (
        _statement_segment(1, b'{"software_id": "ref-valid", "iat": 18446744073709551616}'),
        400,
        500,
    ),
    "rare-500-content-type-param": (_register(headers={"Content-Type": "application/json; charset"}), 201, 500),
    "rare-500-accept-bad-q": (lambda s: _status(_token(s, Accept="application/json;q=abc")), 400, 500),
    "rare-500-empty-bearer": (lambda s: _status(s.api(headers={"Authorization": "Bearer"})), 401, 500),
    "rare-accept-repeated-same-param": (_token_form(GOOD_FORM + "&grant_type=client_credentials"), 400, 201),
    "rare-accept-padded-statement": (lambda s: _status(s.register(" " + s.statements["valid"] + "\n")), 400, 201),
    "near-client-id-case-insensitive": (
        lambda s: _near_token(s, lambda cid, secret, other: (cid.swapcase(), secret)),
        400,
        201,
    ),
    "near-secret-case-insensitive": (
        lambda s: _near_token(s, lambda cid, secret, other: (cid, secret.swapcase())),
        400,
        201,
    ),
    "near-secret-trimmed": (lambda s: _near_token(s, lambda cid, secret, other: (cid, f" {secret}\t")), 400, 201),
    "near-cross-client-secret": (lambda s: _near_token(s, lambda cid, secret, other: (cid, other)), 400, 201),
    "near-token-prefix": (lambda s: _status(s.api(s.access_token()[:-1])), 401, 200),
    "near-bearer-first-word": (
        lambda s: _status(s.api(headers={"Authorization": f"Bearer {s.access_token()} extra"})),
        401,
        200,
    ),
}


def _near_token(s: InProcess, near: Callable[[str, str, str], tuple[str, str]]) -> int:
    """A token request with a near miss of fresh credentials (near(id, secret, another client's secret))."""
    (client_id, secret), (_, other) = s.credentials(), s.credentials()
    cid, sent = near(client_id, secret, other)
    return _status(s.token(cid, sent))


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys")
    Keys.load_or_create(path)
    return path


def _outcome(key_dir: Path, data_dir: Path, faults: frozenset[str], provoke: Provoke, throttled: bool) -> Any:
    copy_keys(key_dir, data_dir)
    # Cases about something else must not be throttled themselves: a burst they never spend.
    burst = 10 if throttled else 1_000_000
    with in_process(data_dir, clock=FakeClock(), faults=faults, burst=burst) as server:
        return provoke(server)


def test_every_fault_has_a_case():
    assert sorted(CASES) == sorted(FAULTS)


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_changes_behaviour(name, key_dir, tmp_path):
    provoke, normal, faulty = CASES[name]
    throttled = name.startswith("thr-")
    assert _outcome(key_dir, tmp_path / "off", frozenset(), provoke, throttled) == normal
    assert _outcome(key_dir, tmp_path / "on", frozenset({name}), provoke, throttled) == faulty
