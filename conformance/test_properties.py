"""Property-based negative testing: generated input judged against the contract.

Each property draws cases from dcr_harness.strategies; a case carries its oracle (the
requirements it tests and the answers the contract permits). A failure is shrunk by
Hypothesis to a minimal case and printed with a curl reproduction. Bounded by the
Hypothesis profile (conftest.py: ci is derandomized), paced, and budgeted.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dcr_harness.http import DcrClient
from dcr_harness.strategies import api, device, forgeries, register, token
from dcr_harness.strategies.runner import run_case


@pytest.fixture(scope="module")
def shared_credentials(http_session):
    """Registered once for the module: credentials keep working indefinitely (TOK-OK-3)."""
    return DcrClient(http_session).register_ok()


@pytest.fixture(scope="module")
def server_key(embedded_data_dir):
    """The embedded reference server's signing key; absent for any other target."""
    return forgeries.ServerKey.from_data_dir(embedded_data_dir)


@pytest.mark.req("REG-ERR-1", "REG-REQ-5", "REG-ERR-2", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_malformed_bodies(http_session, target, data):
    """Malformed register bodies get 400 invalid_request, never a 5xx or a 2xx"""
    run_case(http_session, data.draw(register.malformed_bodies(target.statements.valid), label="case"))


@pytest.mark.req("REG-ERR-1", "REG-REQ-5", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_repeated_and_missing_members(http_session, target, data):
    """Repeated or missing members get invalid_request; the query string never breaks the server"""
    valid = target.statements.valid
    strategy = st.one_of(
        register.repeated_members(valid, target.allowed_redirect_uri),
        register.missing_statement(),
        register.query_and_body(valid),
    )
    run_case(http_session, data.draw(strategy, label="case"))


@pytest.mark.req("REG-ERR-2", "REG-ERR-1", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_bad_redirect_uris(http_session, target, data):
    """Relative, fragment, non-URI, dangerous, overlong or unregistered redirect URIs get invalid_redirect_uri"""
    run_case(http_session, data.draw(register.redirect_uris(target), label="case"))


@pytest.mark.req("REG-ERR-3", "REG-ERR-1", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_non_jwt_statements(http_session, data):
    """Overlong statements, or statements with control or non-ASCII characters, are refused cleanly"""
    run_case(http_session, data.draw(register.odd_statements(), label="case"))


@pytest.mark.req("REG-REQ-1", "REG-REQ-3", "REG-ERR-1", "REG-OK-1", "REG-ERR-5")
@given(data=st.data())
def test_register_content_negotiation(http_session, data):
    """Content-Type must be JSON and Accept must admit JSON; unusual but valid spellings are served"""
    run_case(http_session, data.draw(register.media_types(), label="case"))


@pytest.mark.req("REG-REQ-5", "REG-OK-1", "REG-OK-2", "REG-ERR-5")
@given(data=st.data())
def test_register_ignores_unknown_members(http_session, target, data):
    """Unknown members are ignored, not rejected (RFC 7591 2): the registration is served"""
    run_case(http_session, data.draw(register.extra_members(target.statements.valid), label="case"))


@pytest.mark.req("REG-ERR-3", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_forged_statements(http_session, target, server_key, data):
    """Every mutation of a valid statement gets invalid_software_statement"""
    run_case(http_session, data.draw(forgeries.statement_cases(target.statements.valid, server_key), label="case"))


@pytest.mark.req("REG-ERR-3", "REG-ERR-5")
@given(data=st.data())
def test_register_rejects_statements_outside_their_validity(http_session, target, server_key, data):
    """A statement with exp in the past or nbf in the future is refused (invalid or unapproved statement)"""
    run_case(http_session, data.draw(forgeries.time_cases(target.statements.valid, server_key), label="case"))


@pytest.mark.req("TOK-REQ-2", "TOK-ERR-1", "TOK-ERR-5")
@given(data=st.data())
def test_token_rejects_missing_parameters(http_session, shared_credentials, data):
    """Missing or empty parameters get invalid_request (an empty value counts as omitted)"""
    run_case(http_session, data.draw(token.missing_params(shared_credentials), label="case"), shared_credentials)


@pytest.mark.req("TOK-ERR-1", "TOK-REQ-2", "TOK-ERR-5")
@given(data=st.data())
def test_token_rejects_repeated_parameters(http_session, shared_credentials, data):
    """A repeated parameter gets invalid_request; the query string never breaks the server"""
    creds = shared_credentials
    run_case(
        http_session,
        data.draw(st.one_of(token.repeated_params(creds), token.query_and_body(creds)), label="case"),
        creds,
    )


@pytest.mark.req("TOK-ERR-2", "TOK-ERR-1", "TOK-ERR-5")
@given(data=st.data())
def test_token_rejects_odd_credentials(http_session, shared_credentials, data):
    """Overlong credentials, or credentials with control or non-ASCII characters, are refused cleanly"""
    run_case(http_session, data.draw(token.odd_values(shared_credentials), label="case"), shared_credentials)


@pytest.mark.req("TOK-ERR-1", "TOK-ERR-3", "TOK-ERR-4", "TOK-ERR-5")
@given(data=st.data())
def test_token_rejects_unsupported_grants_and_bodies(http_session, shared_credentials, data):
    """Odd grant types and arbitrary bodies get the error the token model permits"""
    creds = shared_credentials
    run_case(http_session, data.draw(st.one_of(token.grant_types(creds), token.raw_bodies(creds)), label="case"), creds)


@pytest.mark.req("TOK-REQ-1", "TOK-REQ-3", "TOK-ERR-1", "TOK-OK-1", "TOK-ERR-5")
@given(data=st.data())
def test_token_content_negotiation(http_session, shared_credentials, data):
    """Content-Type must be form encoding and Accept must admit JSON; valid spellings are served"""
    run_case(http_session, data.draw(token.media_types(shared_credentials), label="case"), shared_credentials)


@pytest.mark.req("TOK-REQ-2", "TOK-OK-1", "TOK-OK-2", "TOK-ERR-5")
@given(data=st.data())
def test_token_ignores_unknown_parameters(http_session, shared_credentials, data):
    """Unknown parameters are ignored (RFC 6749 3.2): a token is issued"""
    run_case(http_session, data.draw(token.extra_fields(shared_credentials), label="case"), shared_credentials)


@pytest.mark.req("DEV-3", "DEV-1", "DEV-2", "REG-REQ-2", "TOK-REQ-3")
@given(data=st.data())
def test_device_info_mutations(http_session, shared_credentials, data):
    """Invalid X-Device-Info is rejected with invalid_request or ignored, never a 5xx"""
    run_case(http_session, data.draw(device.device_cases(), label="case"), shared_credentials)


@pytest.mark.req("API-2", "API-3", "API-1")
@given(data=st.data())
def test_protected_api_authorization(http_session, target, shared_credentials, needs, data):
    """Mutated Authorization headers get 401 with an enhanced error body; valid spellings are served"""
    needs("protected_api")
    run_case(http_session, data.draw(api.api_cases(), label="case"), shared_credentials)
