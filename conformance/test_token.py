"""Section 3: POST /o/client/token."""

import time

import pytest

from dcr_harness import checks
from dcr_harness.checks import expect, warn
from dcr_harness.checks.provocations import TOKEN, as_params, judge

CREATED_AT_TOLERANCE_MS = 300_000


@pytest.mark.req("TOK-OK-1", "TOK-OK-2", "TOK-REQ-1", "TOK-REQ-2", "FLOW-2")
def test_token_for_fresh_credentials(dcr, credentials):
    """Fresh credentials yield 201 and every documented token field"""
    checks.token_success(dcr.token(credentials.client_id, credentials.client_secret), ("FLOW-2",), baseline=True)
    checks.held(("TOK-REQ-1", "TOK-REQ-2"), "a form-encoded body with the three parameters was served")


@pytest.mark.req("TOK-OK-2")
def test_created_at_is_milliseconds_now(dcr, credentials):
    """created_at is milliseconds since the epoch, close to the current time"""
    before_ms = time.time() * 1000
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    body = checks.token_success(ex)
    created = body.get("created_at")
    if not isinstance(created, (int, float)) or isinstance(created, bool):
        checks.not_verified("TOK-OK-2", f"blocked: created_at is {created!r}, not a number", blocked=True)
        return
    expect(
        abs(created - before_ms) <= CREATED_AT_TOLERANCE_MS,
        "TOK-OK-2",
        f"created_at {created} is not milliseconds since the epoch near now ({before_ms:.0f}); seconds instead of milliseconds?",
        ex,
        what="created_at is milliseconds since the epoch, near now",
    )


@pytest.mark.req("TOK-OK-3", "FLOW-4")
def test_refresh_with_stored_credentials(dcr, credentials, target):
    """Asking again with the same credentials yields a new token, and it works"""
    first = checks.token_success(dcr.token(credentials.client_id, credentials.client_secret))
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    second = checks.token_success(ex, ("TOK-OK-3", "FLOW-4"))
    expect(
        second.get("access_token") != first.get("access_token"),
        "TOK-OK-3",
        "the refresh returned the same access token, not a new one",
        ex,
        what="a refresh yields a new access token",
    )
    if target.protected_api is not None and isinstance(second.get("access_token"), str):
        api = dcr.call_api(second["access_token"])
        checks.api_accepted(api)
        checks.held("TOK-OK-3", "the refreshed token works on the protected API")


@pytest.mark.req("TOK-OK-4")
def test_token_response_is_not_cacheable(dcr, credentials):
    """Token responses carry Cache-Control: no-store and Pragma: no-cache (SHOULD)"""
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    checks.token_success(ex)
    checks.responses.cache_headers(ex)


@pytest.mark.req("TOK-OK-2")
def test_no_undocumented_refresh_token(dcr, credentials):
    """No refresh_token: the vendor OpenAPI file adds one, the contract refreshes with credentials"""
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    body = checks.token_success(ex)
    if "refresh_token" in body:
        warn(
            "TOK-OK-2",
            "the token response carries refresh_token (vendor OpenAPI), which the contract does not document",
        )


@pytest.mark.req("TOK-REQ-3")
@pytest.mark.parametrize("accept", [None, "application/json", "application/json;charset=utf-8", "*/*"])
def test_accept_admitting_json_is_served(dcr, credentials, accept):
    """The documented Accept, its sample's plain form, and none at all are all served"""
    checks.token_success(
        dcr.token(credentials.client_id, credentials.client_secret, headers={"Accept": accept}), ("TOK-REQ-3",)
    )


@pytest.mark.req("TOK-REQ-3")
@pytest.mark.parametrize("header", ["X-Device-Info", "User-Agent"])
def test_optional_headers_may_be_absent(dcr, credentials, header):
    """The token endpoint serves a request without X-Device-Info or User-Agent"""
    checks.token_success(
        dcr.token(credentials.client_id, credentials.client_secret, headers={header: None}), ("TOK-REQ-3",)
    )


@pytest.mark.req("TOK-REQ-2")
def test_unknown_parameters_are_ignored(dcr, credentials):
    """Unknown form parameters are ignored (RFC 6749 section 3.2: a SHOULD here)"""
    form = [
        ("client_id", credentials.client_id),
        ("client_secret", credentials.client_secret),
        ("grant_type", "client_credentials"),
        ("x_dcr_harness", "1"),
    ]
    ex = dcr.token(form=form)
    checks.controls.refused_like_control(ex, "token", ("TOK-REQ-2",), "the baseline token request")
    if ex.status == 400:
        warn(
            "TOK-REQ-2", f"an unknown form parameter was rejected ({checks.answer(ex)}); RFC 6749 3.2 says to ignore it"
        )
        return
    checks.token_success(ex, ("TOK-REQ-2",))


@pytest.mark.parametrize("provocation", as_params(TOKEN))
def test_token_provocation(provocation, provoke):
    """Token provocation answered as the contract permits"""
    exchange, made_up = provoke(provocation)
    judge(provocation, exchange, made_up)
