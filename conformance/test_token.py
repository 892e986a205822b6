"""Section 3: POST /o/client/token."""

import time

import pytest

from dcr_harness import checks
from dcr_harness.checks import fail, warn
from dcr_harness.provocations import TOKEN, as_params, judge

CREATED_AT_TOLERANCE_MS = 300_000


@pytest.mark.req("TOK-OK-1", "TOK-OK-2", "TOK-REQ-1", "TOK-REQ-2", "FLOW-2")
def test_token_for_fresh_credentials(dcr, credentials):
    """Fresh credentials yield 201 and every documented token field"""
    checks.token_success(dcr.token(credentials.client_id, credentials.client_secret))


@pytest.mark.req("TOK-OK-2")
def test_created_at_is_milliseconds_now(dcr, credentials):
    """created_at is milliseconds since the epoch, close to the current time"""
    before_ms = time.time() * 1000
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    body = checks.token_success(ex)
    if abs(body["created_at"] - before_ms) > CREATED_AT_TOLERANCE_MS:
        fail("TOK-OK-2", f"created_at {body['created_at']} is not milliseconds since the epoch near now "
             f"({before_ms:.0f}); seconds instead of milliseconds?", ex)


@pytest.mark.req("TOK-OK-3", "FLOW-4", "CLI-2")
def test_refresh_with_stored_credentials(dcr, credentials, target):
    """Asking again with the same credentials yields a new token, and it works"""
    first = checks.token_success(dcr.token(credentials.client_id, credentials.client_secret))
    ex = dcr.token(credentials.client_id, credentials.client_secret)
    second = checks.token_success(ex, ("TOK-OK-3",))
    if second["access_token"] == first["access_token"]:
        fail("TOK-OK-3", "the refresh returned the same access token, not a new one", ex)
    if target.protected_api is not None:
        checks.api_accepted(dcr.call_api(second["access_token"]))


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
        warn("TOK-OK-2", "the token response carries refresh_token (vendor OpenAPI), which the contract does not document")


@pytest.mark.req("TOK-REQ-3")
@pytest.mark.parametrize("accept", [None, "application/json", "application/json;charset=utf-8", "*/*"])
def test_accept_admitting_json_is_served(dcr, credentials, accept):
    """The documented Accept, its sample's plain form, and none at all are all served"""
    checks.token_success(dcr.token(credentials.client_id, credentials.client_secret, headers={"Accept": accept}), ("TOK-REQ-3",))


@pytest.mark.req("TOK-REQ-3", "DEV-1", "DEV-2")
@pytest.mark.parametrize("header", ["X-Device-Info", "User-Agent"])
def test_optional_headers_may_be_absent(dcr, credentials, header):
    """The token endpoint serves a request without X-Device-Info or User-Agent"""
    checks.token_success(dcr.token(credentials.client_id, credentials.client_secret, headers={header: None}), ("TOK-REQ-3",))


@pytest.mark.req("TOK-REQ-2")
def test_unknown_parameters_are_ignored(dcr, credentials):
    """Unknown form parameters are ignored (RFC 6749 section 3.2)"""
    form = [("client_id", credentials.client_id), ("client_secret", credentials.client_secret),
            ("grant_type", "client_credentials"), ("x_dcr_harness", "1")]
    checks.token_success(dcr.token(form=form), ("TOK-REQ-2",))


@pytest.mark.parametrize("provocation", as_params(TOKEN))
def test_token_provocation(provocation, provoke):
    """Token provocation answered as the contract permits"""
    judge(provocation, provoke(provocation))
