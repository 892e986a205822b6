"""The reference server's answers, case by case, in-process: the error code each defect
gets (REG-ERR-*, TOK-ERR-*), X-Device-Info policies (DEV-3), protected-API rejections
(API-2, API-3), and a property: no input gets a 5xx."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcr_harness.contract import device_info, schemas
from dcr_harness.refserver.keys import Keys
from dcr_harness.refserver.testing import FakeClock, InProcess, copy_keys, in_process

REGISTER, TOKEN = "/o/client/register", "/o/client/token"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def key_dir(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("keys")
    Keys.load_or_create(path)
    return path


@pytest.fixture(scope="module")
def server(key_dir, tmp_path_factory):
    """One unthrottled server for the whole module (the cases do not interfere)."""
    data_dir = tmp_path_factory.mktemp("server")
    copy_keys(key_dir, data_dir)
    with in_process(data_dir, burst=10**9) as srv:
        yield srv


@pytest.fixture(scope="module")
def creds(server) -> tuple[str, str]:
    return server.credentials()


def _register_error(server: InProcess, **kw) -> str:
    r = server.client.post(REGISTER, **kw)
    assert r.status_code == 400 and not schemas.validate("register-error", r.json()), r.text
    return r.json()["error"]


@pytest.mark.parametrize(
    "case, kw, code",
    [
        ("no content-type", {"content": b"{}"}, "invalid_request"),
        (
            "accept xml",
            {"json": {"software_statement": "VALID"}, "headers": {"Accept": "application/xml"}},
            "invalid_request",
        ),
        ("empty statement", {"json": {"software_statement": ""}}, "invalid_request"),
        ("null statement", {"json": {"software_statement": None}}, "invalid_request"),
        ("redirect null", {"json": {"software_statement": "VALID", "redirect_uri": None}}, "invalid_request"),
        ("statement not a JWT", {"json": {"software_statement": "not-a-jwt"}}, "invalid_software_statement"),
        ("relative redirect", {"json": {"software_statement": "VALID", "redirect_uri": "/cb"}}, "invalid_redirect_uri"),
        ("empty redirect", {"json": {"software_statement": "VALID", "redirect_uri": ""}}, "invalid_redirect_uri"),
        (
            "fragment",
            {"json": {"software_statement": "VALID", "redirect_uri": "https://app.example.com/callback#f"}},
            "invalid_redirect_uri",
        ),
        (
            "device info, doc sample",
            {"json": {"software_statement": "VALID"}, "headers": {"X-Device-Info": device_info.DOCUMENTATION_SAMPLE}},
            "invalid_request",
        ),
    ],
)
def test_register_errors(server, case, kw, code):
    if "json" in kw:
        kw["json"] = {k: (server.statements["valid"] if v == "VALID" else v) for k, v in kw["json"].items()}
    assert _register_error(server, **kw) == code


def test_register_success_details(server):
    r = server.register(
        headers={"Accept": "application/json;charset=utf-8", "X-Device-Info": device_info.header_value()},
        json={"software_statement": server.statements["valid"], "unknown_member": [1]},
    )
    assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
    assert not schemas.validate("register-response", r.json())
    assert server.register(
        json={"software_statement": server.statements["valid"], "redirect_uri": "adobepass://com.programmer"}
    ).json()["redirect_uris"] == ["adobepass://com.programmer"]


def _token_error(server: InProcess, body: str, **headers: str) -> str:
    r = server.client.post(TOKEN, content=body, headers={**FORM, **headers})
    assert r.status_code == 400 and not schemas.validate("token-error", r.json()), r.text
    return r.json()["error"]


@pytest.mark.parametrize(
    "body, code",
    [
        ("", "invalid_request"),
        ("client_id=ID&client_secret=SECRET", "invalid_request"),
        ("client_id=ID&client_secret=&grant_type=client_credentials", "invalid_request"),
        (
            "client_id=ID&client_secret=SECRET&grant_type=client_credentials&grant_type=client_credentials",
            "invalid_request",
        ),
        ("client_id=ID&client_secret=wrong&grant_type=urn:example:unknown", "unsupported_grant_type"),
        ("client_id=nobody&client_secret=SECRET&grant_type=client_credentials", "invalid_client"),
        ("client_id=ID&client_secret=wrong&grant_type=client_credentials", "invalid_client"),
        ("client_id=ID&client_secret=SECRET&grant_type=password", "unauthorized_client"),
        (
            "client_id=ID&client_secret=SECRET&grant_type=urn:ietf:params:oauth:grant-type:device_code",
            "unauthorized_client",
        ),
    ],
)
def test_token_errors_in_precedence_order(server, creds, body, code):
    assert _token_error(server, body.replace("ID", creds[0]).replace("SECRET", creds[1])) == code


def test_token_query_parameters_are_ignored(server, creds):
    query = f"?client_id={creds[0]}&client_secret={creds[1]}&grant_type=client_credentials"
    assert server.client.post(TOKEN + query, content=b"", headers=FORM).json()["error"] == "invalid_request"


def test_token_http_basic(server, creds):
    basic = {"Authorization": "Basic " + base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode()}
    alone = server.client.post(TOKEN, content="grant_type=client_credentials", headers={**FORM, **basic})
    assert alone.status_code == 201
    assert _token_error(server, f"client_id={creds[0]}&grant_type=client_credentials", **basic) == "invalid_request"


@pytest.mark.parametrize("accept", ["application/json", "application/json;charset=utf-8", "*/*", "application/*"])
def test_token_serves_documented_accepts(server, creds, accept):
    r = server.token(*creds, headers={"Accept": accept})
    assert r.status_code == 201 and r.headers["pragma"] == "no-cache"
    assert not schemas.validate("token-response", r.json())


@pytest.mark.parametrize(
    "value",
    [
        device_info.DOCUMENTATION_SAMPLE,
        "%%%",
        device_info.header_value(osName="BeOS"),
        base64.b64encode(b"[" * 5000).decode(),
    ],
    ids=["doc-sample", "not-base64", "os-outside-list", "deep-json"],
)
def test_device_info_policies(key_dir, tmp_path, value):
    for policy, expected in (("reject", 400), ("fallback", 201)):
        copy_keys(key_dir, tmp_path / policy)
        with in_process(tmp_path / policy, device_info_policy=policy) as srv:
            assert srv.register(headers={"X-Device-Info": value}).status_code == expected


@pytest.mark.parametrize(
    "authorization", [None, "Bearer", "Basic abc", "Bearer a b", "bearer  ", "Token abc", "Bearer unknown-token"]
)
def test_api_rejections(server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    r = server.api(headers=headers)
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert not schemas.validate("api-error#/$defs/token-problem", r.json()) and r.json()["status"] == 401


def test_api_other_service_provider(server):
    token = server.access_token()
    r = server.client.get("/api/v2/OTHER/configuration", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_access_token_service_provider"
    assert server.api(token).json()["id"] == "REF30"


def test_admin_hook_is_not_throttled_and_checks_its_body(key_dir, tmp_path):
    copy_keys(key_dir, tmp_path)
    # A clock that stands still: every request falls in one throttle window however slow the machine.
    with in_process(tmp_path, clock=FakeClock(), burst=0) as srv:
        hook = {"Authorization": f"Bearer {srv.config.admin_token}"}
        for _ in range(5):
            assert (
                srv.client.post("/admin/revoke", json={"software_id": "ref-revocable"}, headers=hook).status_code == 200
            )
        assert [srv.api().status_code for _ in range(2)] == [401, 429], "the throttle is on for the API"
        assert srv.client.post("/admin/revoke", json=["x"], headers=hook).status_code == 400
        assert srv.client.post("/admin/revoke", content=b"\xff", headers=hook).status_code == 400


def test_unknown_paths_and_methods(server):
    assert server.client.get("/nowhere").status_code == 404
    assert server.client.get(REGISTER).status_code == 405


# too_slow is a health check on the speed of generating inputs: a loaded machine is not a failure of the server.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(
    endpoint=st.sampled_from([REGISTER, TOKEN]),
    content_type=st.sampled_from(["application/json", "application/x-www-form-urlencoded", "text/plain", ""]),
    body=st.one_of(st.binary(max_size=300), st.text(max_size=300).map(str.encode)),
    accept=st.one_of(st.none(), st.text(max_size=40).filter(lambda s: s.isprintable() and s.isascii())),
    device=st.one_of(st.none(), st.text(alphabet="ABCDEFGHabcdefgh0123456789+/=", max_size=60)),
)
def test_no_input_gets_a_5xx(server, endpoint, content_type, body, accept, device):
    headers = {"Content-Type": content_type}
    if accept is not None:
        headers["Accept"] = accept
    if device is not None:
        headers["X-Device-Info"] = device
    r = server.client.post(endpoint, content=body, headers=headers)
    assert r.status_code == 400 and r.json()["error"] in {
        "invalid_request",
        "invalid_software_statement",
        "invalid_client",
        "unsupported_grant_type",
    }, r.text


def test_the_body_size_cap_refuses_larger_bodies_with_invalid_request_and_serves_the_rest(key_dir, tmp_path):
    """--max-body-bytes: a deployment's own cap answered in the contract's shape (CONTRACT.md section 0)."""
    copy_keys(key_dir, tmp_path)
    cap = 2048
    with in_process(tmp_path, burst=10**9, max_body_bytes=cap) as srv:

        def body(size: int) -> bytes:  # a valid registration padded with an unknown member to exactly `size` bytes
            doc = {"software_statement": srv.statements["valid"], "x": ""}
            doc["x"] = "a" * (size - len(json.dumps(doc).encode()))
            return json.dumps(doc).encode()

        json_type = {"Content-Type": "application/json"}
        served = srv.client.post(REGISTER, content=body(cap), headers=json_type)
        assert served.status_code == 201, served.text
        form = f"client_id={served.json()['client_id']}&client_secret={served.json()['client_secret']}&grant_type=client_credentials&x="
        token_body = (form + "a" * (cap - len(form))).encode()
        assert srv.client.post(TOKEN, content=token_body, headers=FORM).status_code == 201
        for endpoint, content, headers in ((REGISTER, body(cap + 1), json_type), (TOKEN, token_body + b"a", FORM)):
            refused = srv.client.post(endpoint, content=content, headers=headers)
            assert refused.status_code == 400 and refused.headers["content-type"].startswith("application/json")
            assert refused.json()["error"] == "invalid_request", refused.text


def test_the_body_size_cap_is_a_serve_option():
    from dcr_harness.refserver.main import build_parser, config_from_args

    assert config_from_args(build_parser().parse_args(["--max-body-bytes", "65536"])).max_body_bytes == 65536
    assert config_from_args(build_parser().parse_args([])).max_body_bytes == 1 << 20
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--max-body-bytes", "0"])
