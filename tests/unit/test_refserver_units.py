"""Unit tests of the reference server's parts: negotiation, parsing, statements, throttle."""

from __future__ import annotations

import base64
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from starlette.requests import Request

from dcr_harness.refserver.config import ServerConfig
from dcr_harness.refserver.errors import DcrError
from dcr_harness.refserver.keys import Keys, StatementError
from dcr_harness.refserver.negotiation import accepts_json
from dcr_harness.refserver.parsing import basic_credentials, decode_json, parse_form, single_valued
from dcr_harness.refserver.register import is_absolute_uri
from dcr_harness.refserver.seed import VALID
from dcr_harness.refserver.throttle import Throttle

# THR-6, verbatim: (seconds since the device's first request, served?)
THR6 = [(t, True) for t in (0, 0.3, 0.6, 0.9, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8, 2.1, 2.2)] + [
    (2.4, False),
    (2.6, False),
    (2.8, False),
    (3.1, True),
]


@pytest.mark.parametrize(
    "header, admitted",
    [
        (None, True),
        ("", True),
        ("*/*", True),
        ("application/*", True),
        ("application/json", True),
        ("application/json;charset=utf-8", True),
        ("APPLICATION/JSON; q=0.5", True),
        ("text/html, */*;q=0.1", True),
        ("text/html", False),
        ("application/xml", False),
        ("application/json;q=0, text/html", False),
        ("application/json;q=0, */*", False),
        ("*/*;q=0", False),
        ("application/json;q=abc", False),
        ("application/*;q=0, application/json", True),
    ],
)
def test_accept_negotiation(header, admitted):
    assert accepts_json(header) is admitted


def test_accept_without_parameter_support_is_the_fault_only():
    assert accepts_json("application/json;charset=utf-8", allow_params=False) is False
    assert accepts_json("application/json", allow_params=False) is True


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"\xff{}",
        b"NaN",
        b'{"a": Infinity}',
        b"\xef\xbb\xbf{}",
        b"[" * 100_000,
        b"1" * 5000,
        b'{"a": 1, "a": 2}',
        b'{"x": {"b": 1, "b": 1}}',
    ],
)
def test_json_that_is_malformed_or_repeats_members_is_invalid_request(body):
    with pytest.raises(DcrError) as err:
        decode_json(body)
    assert err.value.code == "invalid_request"


def test_json_last_wins_only_when_asked():
    assert decode_json(b'{"a": 1, "a": 2}', last_wins=True) == {"a": 2}


@pytest.mark.parametrize("raw", [b"a=%zz", b"a=%e9", b"a=\xff", b"a=%"])
def test_form_bad_encoding_is_invalid_request(raw):
    with pytest.raises(DcrError):
        parse_form(raw)


def test_form_repeats_and_blanks():
    pairs = parse_form(b"a=1&b=&c")
    assert pairs == [("a", "1"), ("b", ""), ("c", "")]
    with pytest.raises(DcrError):
        single_valued(parse_form(b"a=1&a=1"))
    assert single_valued(parse_form(b"a=1&a=2"), last_wins=True) == {"a": "2"}


def test_basic_credentials():
    value = "Basic " + base64.b64encode(b"id%3Ax:s+cret").decode()
    assert basic_credentials([value]) == ("id:x", "s cret")
    assert basic_credentials(["Bearer abc"]) is None
    assert basic_credentials([]) is None
    for bad in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        with pytest.raises(DcrError):
            basic_credentials([bad])


@pytest.mark.parametrize(
    "uri, ok",
    [
        ("https://app.example.com/callback", True),
        ("adobepass://com.programmer", True),
        ("urn:x:y", True),
        ("/callback", False),
        ("not a uri", False),
        ("https://a.example/#frag", False),
        ("", False),
        ("1http://x", False),
        ("https://a.example/\x00", False),
    ],
)
def test_absolute_uri(uri, ok):
    assert is_absolute_uri(uri) is ok


@pytest.fixture(scope="module")
def keys(tmp_path_factory) -> Keys:
    return Keys.load_or_create(tmp_path_factory.mktemp("keys"))


def _b64(obj: object) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unsigned(statement: str, alg: str) -> str:
    return f"{_b64({'alg': alg, 'typ': 'JWT'})}.{statement.split('.')[1]}."


def test_statement_round_trip_and_key_persistence(keys, tmp_path):
    statement = keys.mint(VALID)
    assert keys.verify(statement)["software_id"] == VALID.software_id
    header = jwt.get_unverified_header(statement)
    assert header == {"alg": "RS256", "typ": "JWT", "kid": keys.kid}
    again = Keys.load_or_create(tmp_path)
    assert Keys.load_or_create(tmp_path).kid == again.kid != keys.kid


def _forgeries(keys: Keys) -> dict[str, str]:
    valid = keys.mint(VALID)
    head, payload, sig = valid.split(".")
    public_pem = keys.public_key.public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    hs = hmac.new(public_pem, f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{payload}".encode(), "sha256")
    return {
        "alg none": _unsigned(valid, "none"),
        "alg NoNe": _unsigned(valid, "NoNe"),
        "HS256 keyed with the public key": f"{_b64({'alg': 'HS256', 'typ': 'JWT'})}.{payload}.{_b64(hs.digest())}",
        "foreign key": keys.mint(VALID, foreign=True),
        "foreign key without kid": jwt.encode({"software_id": "ref-valid"}, keys.foreign, algorithm="RS256"),
        "tampered claims": f"{head}.{_b64({'software_id': 'ref-revocable'})}.{sig}",
        "flipped signature": f"{head}.{payload}.{sig[:-2]}{'A' if sig[-2] != 'A' else 'B'}{sig[-1]}",
        "two segments": f"{head}.{payload}",
        "four segments": valid + ".e30",
        "not base64": "%%%.***.$$$",
        "header not an object": f"{_b64([1])}.{payload}.{sig}",
        "payload not JSON": f"{head}.{_b64(b'not json')}.{sig}",
        "expired": keys.mint(VALID, exp=int(time.time()) - 3600),
        "not yet valid": keys.mint(VALID, nbf=int(time.time()) + 3600),
        "unknown kid": jwt.encode({"software_id": "ref-valid"}, keys.signing, algorithm="RS256", headers={"kid": "x"}),
        "empty": "",
    }


def test_every_forgery_is_rejected(keys):
    for name, forged in _forgeries(keys).items():
        with pytest.raises(StatementError):
            keys.verify(forged)
            pytest.fail(f"accepted: {name}")


def test_fault_switches_of_verify(keys):
    forged = _forgeries(keys)
    assert keys.verify(forged["alg none"], allow_alg_none=True)["software_id"] == "ref-valid"
    assert keys.verify(forged["foreign key"], check_signature=False)["software_id"] == "ref-valid"
    assert keys.verify(forged["expired"], check_exp=False)["software_id"] == "ref-valid"
    with pytest.raises(StatementError):
        keys.verify(forged["expired"], check_signature=False)  # exp still checked when only the signature is not


def _request(xff: str | None = None, host: str = "10.0.0.1") -> Request:
    headers = [(b"x-forwarded-for", xff.encode())] if xff else []
    return Request({"type": "http", "headers": headers, "client": (host, 50000)})


def test_throttle_reproduces_thr6_exactly():
    throttle = Throttle(ServerConfig())
    start = 1000.0
    assert [(t, throttle.admit("d", start + t)) for t, _ in THR6] == THR6


def test_throttle_devices_are_independent_and_identified_by_first_forwarded_address():
    throttle = Throttle(ServerConfig(burst=0))
    assert throttle.device_of(_request("198.18.0.1, 10.1.1.1")) == "198.18.0.1"
    assert throttle.device_of(_request()) == "10.0.0.1"
    assert throttle.admit("a", 0.0) and not throttle.admit("a", 0.1)
    assert throttle.admit("b", 0.1)  # THR-5
    assert throttle.admit("a", 1.05)  # THR-4: the next window serves again


def test_throttle_device_map_is_bounded():
    throttle = Throttle(ServerConfig(max_devices=3))
    for i in range(10):
        throttle.admit(f"d{i}", 0.0)
    assert list(throttle.devices) == ["d7", "d8", "d9"]


@pytest.mark.parametrize(
    "fault, expected",
    [
        ("thr-none", [True] * len(THR6)),
        ("thr-burst-refills", [True] * len(THR6)),  # window 2 has a fresh burst, so 2.4-2.8 are served
        ("thr-no-recovery", [ok and t < 3 for t, ok in THR6]),
    ],
)
def test_throttle_faults_change_the_schedule(fault, expected):
    throttle = Throttle(ServerConfig(faults=frozenset({fault})))
    assert [throttle.admit("d", t) for t, _ in THR6] == expected


def test_config_rejects_unknown_faults_and_policies():
    with pytest.raises(ValueError):
        ServerConfig(faults=frozenset({"no-such-fault"}))
    with pytest.raises(ValueError):
        ServerConfig(device_info_policy="maybe")
    with pytest.raises(KeyError):
        ServerConfig().fault("no-such-fault")
