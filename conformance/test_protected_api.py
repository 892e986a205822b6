"""Section 4: protected APIs with bearer tokens."""

import time

import pytest

from dcr_harness import checks
from dcr_harness.checks import CheckBlocked, soft
from dcr_harness.contract.target_keys import line_to_add

# API-4: expiry is checked live only for short-lived tokens (docs/target-file.md: token_ttl_seconds).
LIVE_EXPIRY_LIMIT_S = 30
EXPIRY_GRACE_S = 3.0
POLL_INTERVAL_S = 0.5


@pytest.fixture
def api(target, needs):
    needs("protected_api")
    return target.protected_api


@pytest.mark.req("API-1", "FLOW-3")
def test_valid_token_is_accepted(api, dcr, access_token):
    """A valid, unexpired bearer token is not answered 401"""
    checks.api_accepted(dcr.call_api(access_token))
    checks.held("FLOW-3", "a bearer token from the token endpoint calls the protected API")


@pytest.mark.req("API-2", "API-3")
@pytest.mark.parametrize(
    "authorization",
    [
        pytest.param(None, id="no Authorization header"),
        pytest.param("Bearer", id="Bearer without a token"),
        pytest.param("Basic ZGNyOmhhcm5lc3M=", id="Basic instead of Bearer"),
        pytest.param("Bearer a b c", id="token with spaces"),
        pytest.param("Bearer dcr-harness-unknown-token-0000000000", id="unknown token"),
    ],
)
def test_bad_authorization_is_rejected(api, dcr, authorization):
    """A missing, malformed or unknown token gets 401 with an enhanced error body"""
    checks.api_rejected(dcr.call_api(authorization=authorization))


@pytest.mark.req("API-2", "API-3")
def test_token_in_query_string_is_not_accepted(api, dcr, access_token, target):
    """A token outside the Authorization header does not authenticate (CLI-4 names the header)"""
    ex = dcr.send(api.method, api.path, headers={"Accept": "application/json"}, query=[("access_token", access_token)])
    if ex.status is not None and 200 <= ex.status < 300:
        # RFC 6750 2.3 lets a resource server take the token from the query (SHOULD NOT): a finding, not a failure.
        checks.warn(
            "API-2",
            "a token in the access_token query parameter was accepted (RFC 6750 2.3: SHOULD NOT; "
            "the contract documents only the Authorization header)",
        )
        return
    checks.api_rejected(ex)


@pytest.mark.req("API-4", "API-2")
def test_expired_token_is_rejected(api, dcr, credentials, target):
    """A token stops working once expires_in has passed"""
    token, ex = dcr.token_ok(credentials)
    expires_in = ex.json().get("expires_in")
    ttl = target.token_ttl_seconds or expires_in
    if not isinstance(ttl, (int, float)) or ttl > LIVE_EXPIRY_LIMIT_S:
        pytest.skip(
            f"not covered: tokens live {ttl} s; expiry is checked live only up to {LIVE_EXPIRY_LIMIT_S} s "
            f"(configure short-lived tokens on a test deployment and {line_to_add('token_ttl_seconds')})"
        )
    checks.api_accepted(dcr.call_api(token))
    expiry = time.monotonic() - ex.elapsed + float(expires_in)
    time.sleep(max(0.0, expiry - time.monotonic()))  # the token's own lifetime, not a guess
    deadline = expiry + EXPIRY_GRACE_S
    while True:
        last = dcr.call_api(token)
        if (last.status is not None and 400 <= last.status < 500) or time.monotonic() > deadline:
            break
        time.sleep(POLL_INTERVAL_S)
    checks.token_stopped_working(last, expires_in)
    checks.api_rejected(last)


@pytest.mark.req("API-2", "TOK-ERR-2", "REG-ERR-4")
def test_revocation_mid_run(dcr, target, needs):
    """Revoking a statement stops its tokens, its credentials and its registrations"""
    needs("statements.revocable", "admin")
    from dcr_harness.contract.statements import split

    statement = target.statements.revocable
    ex = dcr.register(statement)
    if ex.status == 400 and (ex.json() or {}).get("error") == "unapproved_software_statement":
        pytest.skip(
            "not covered: statements.revocable is already revoked (a revocation is permanent; an earlier run "
            "used it up): give the target file a fresh `statements.revocable`, or an admin hook that can un-revoke; "
            + line_to_add("statements.revocable")
        )
    creds = dcr.register_ok(statement)
    token, _ = dcr.token_ok(creds)
    if target.protected_api is not None:
        checks.api_accepted(dcr.call_api(token))
    software_id = split(statement)[1].get("software_id")
    revoked = dcr.revoke(str(software_id))
    if revoked.status is None or not 200 <= revoked.status < 300:
        raise CheckBlocked(
            f"the admin revocation hook answered {checks.answer(revoked)}: check `admin.revoke_url` "
            "and `admin.token` in the target file",
            revoked,
        )
    # Three independent consequences of one revocation: each is judged even when another broke.
    if target.protected_api is not None:
        with soft():
            checks.api_rejected(dcr.call_api(token), ("API-2",))
    with soft():
        checks.oauth_error(dcr.token(creds.client_id, creds.client_secret), "token", {"invalid_client"}, ("TOK-ERR-2",))
    with soft():
        checks.oauth_error(dcr.register(statement), "register", {"unapproved_software_statement"}, ("REG-ERR-4",))
