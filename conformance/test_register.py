"""Section 2: POST /o/client/register."""

import time

import pytest

from dcr_harness import checks
from dcr_harness.checks import expect, fail, warn
from dcr_harness.checks.provocations import REGISTER, as_params, judge
from dcr_harness.contract import device_info

# REG-OK-4: "close to the server's current time"; generous for clock skew between hosts.
ISSUED_AT_TOLERANCE_S = 300


@pytest.mark.req("REG-OK-1", "REG-OK-2", "REG-REQ-5", "FLOW-1")
def test_register_returns_client_credentials(dcr):
    """A valid statement yields 201 and every documented field"""
    checks.register_success(dcr.register(), ("FLOW-1",), baseline=True)
    checks.held("REG-REQ-5", "a body with software_statement alone was served")


@pytest.mark.req("REG-OK-4")
def test_grant_types_include_client_credentials(dcr):
    """grant_types contains client_credentials for a statement meant for the token endpoint"""
    ex = dcr.register()
    body = checks.register_success(ex)
    grants = body.get("grant_types")
    expect(
        isinstance(grants, list) and "client_credentials" in grants,
        "REG-OK-4",
        f"grant_types {grants!r} lacks client_credentials",
        ex,
        what="grant_types contains client_credentials",
    )


@pytest.mark.req("REG-OK-4")
def test_client_id_issued_at_is_now(dcr):
    """client_id_issued_at is seconds since the epoch, close to the current time"""
    before = time.time()
    ex = dcr.register()
    body = checks.register_success(ex)
    issued = body.get("client_id_issued_at")
    if not isinstance(issued, (int, float)) or isinstance(issued, bool):
        checks.not_verified(
            "REG-OK-4", f"blocked: client_id_issued_at is {issued!r}, not a number (REG-OK-2)", blocked=True
        )
        return
    expect(
        abs(issued - before) <= ISSUED_AT_TOLERANCE_S + ex.elapsed,
        "REG-OK-4",
        f"client_id_issued_at {issued} is {issued - before:+.0f} s from now "
        f"(tolerance {ISSUED_AT_TOLERANCE_S} s; milliseconds instead of seconds?)",
        ex,
        what=f"client_id_issued_at within {ISSUED_AT_TOLERANCE_S} s of now",
    )


@pytest.mark.req("REG-OK-3")
def test_each_registration_yields_fresh_credentials(dcr):
    """Three registrations of one statement yield three distinct credential pairs"""
    bodies = [(checks.register_success(ex), ex) for ex in (dcr.register() for _ in range(3))]
    ids = [b.get("client_id") for b, _ in bodies]
    secrets = [b.get("client_secret") for b, _ in bodies]
    expect(
        len(set(ids)) == 3,
        "REG-OK-3",
        f"client_id repeated across registrations: {ids}",
        bodies[-1][1],
        what="three registrations, three client_ids",
    )
    expect(
        len(set(secrets)) == 3,
        "REG-OK-3",
        "client_secret repeated across registrations",
        bodies[-1][1],
        what="three registrations, three client_secrets",
    )


@pytest.mark.req("REG-REQ-5", "REG-OK-1")
def test_register_with_allowed_redirect_uri(dcr, target, needs):
    """A redirect_uri that the application allows is accepted"""
    needs("allowed_redirect_uri")
    checks.register_success(dcr.register(redirect_uri=target.allowed_redirect_uri), ("REG-REQ-5",))


@pytest.mark.req("REG-REQ-5")
def test_redirect_uri_is_optional(dcr):
    """redirect_uri may be left out (the vendor OpenAPI file marks it required; the prose wins)"""
    ex = dcr.register()
    checks.controls.refused_like_control(ex, "register", ("REG-REQ-5",), "the baseline registration")
    if ex.status == 400 and isinstance(ex.json(), dict) and ex.json().get("error") == "invalid_request":
        fail(
            "REG-REQ-5",
            "registration without redirect_uri refused: the deployment follows the vendor "
            "OpenAPI file (redirect_uri required), not the documented contract",
            ex,
        )
    checks.register_success(ex, ("REG-REQ-5",))


@pytest.mark.req("REG-REQ-5", "REG-OK-2")
def test_statement_without_redirect_uris(dcr, target, needs):
    """An application with no redirect URIs registers without redirect_uri"""
    needs("statements.valid_no_redirect")
    checks.register_success(dcr.register(target.statements.valid_no_redirect), ("REG-REQ-5",))


@pytest.mark.req("REG-REQ-5")
def test_unknown_members_are_ignored(dcr, target):
    """Unknown body members are ignored, not rejected (RFC 7591 section 2: a SHOULD here)"""
    ex = dcr.register(body={"software_statement": target.statements.valid, "x_dcr_harness": {"n": 1}})
    checks.controls.refused_like_control(ex, "register", ("REG-REQ-5",), "the baseline registration")
    if ex.status == 400:
        warn("REG-REQ-5", f"an unknown body member was rejected ({checks.answer(ex)}); RFC 7591 2 says to ignore it")
        return
    checks.register_success(ex, ("REG-REQ-5",))


@pytest.mark.req("REG-REQ-2", "DEV-1", "DEV-2")
@pytest.mark.parametrize("variant", ["absent", "required keys only", "every documented key"])
def test_device_info_variants_are_served(dcr, variant):
    """Registration is served with no X-Device-Info, or a valid one"""
    values = {
        "absent": None,
        "required keys only": device_info.encode(
            {k: device_info.DEFAULT_DEVICE[k] for k in ("model", "version", "osName", "osVersion", "connectionType")}
        ),
        "every documented key": device_info.header_value(
            browserName="Safari",
            browserVendor="Apple",
            browserVersion="17.0",
            userAgent="AppleTV",
            displayWidth=1920,
            displayHeight=1080,
            displayPpi=96,
            diagonalScreenSize="55",
            connectionIp="198.18.0.1",
            connectionPort=443,
        ),
    }
    served_because = ("REG-REQ-2",) if variant == "absent" else ("REG-REQ-2", "DEV-1", "DEV-2")
    checks.register_success(dcr.register(headers={"X-Device-Info": values[variant]}), served_because)


@pytest.mark.req("REG-REQ-4")
def test_user_agent_is_optional(dcr):
    """Registration is served without a User-Agent"""
    checks.register_success(dcr.register(headers={"User-Agent": None}), ("REG-REQ-4",))


@pytest.mark.req("REG-REQ-3")
@pytest.mark.parametrize(
    "accept",
    [
        None,
        "application/json",
        "*/*",
        "application/*",
        "application/json; charset=utf-8",
        "text/html;q=0.9, application/json;q=0.5",
    ],
)
def test_accept_admitting_json_is_served(dcr, accept):
    """An Accept header that admits application/json is served"""
    checks.register_success(dcr.register(headers={"Accept": accept}), ("REG-REQ-3",))


@pytest.mark.parametrize("provocation", as_params(REGISTER))
def test_register_provocation(provocation, provoke):
    """Register provocation answered as the contract permits"""
    exchange, made_up = provoke(provocation)
    judge(provocation, exchange, made_up)
