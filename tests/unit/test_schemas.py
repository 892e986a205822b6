"""The contract's JSON Schemas: well formed, connected, traceable, and right on the
documentation's samples and on negative vectors (each citing the requirement it breaks)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from dcr_harness.contract import device_info, requirements, schemas
from dcr_harness.paths import SCHEMA_DIR
from dcr_harness.report import certification
from tests.unit.results_samples import sample_results
from tests.upstream import UPSTREAM_SEEDS

SEED_DOC = UPSTREAM_SEEDS / "003_0e962d2ef321bc19.txt"  # the vendor's register page (upstream seeds)

# The software statement of the register sample (seed 003), whitespace removed.
DOC_STATEMENT = (
    "eyJhbGciOiJSUzI1NiJ9."
    "eyJzb2Z0d2FyZV9pZCI6IjROUkIxLTBYWkFCWkk5RTYtNVNNM1IiLCJjbGllbnRfbmFtZSI6IkV4YW1wbGUgU3Rh"
    "dGVtZW50LWJhc2VkIENsaWVudCIsImNsaWVudF91cmkiOiJodHRwczovL2NsaWVudC5leGFtcGxlLm5ldC8ifQ."
    "GHfL4QNIrQwL18BSRdE595T9jbzqa06R9BT8w409x9oIcKaZo_mt15riEXHazdISUvDIZhtiyNrSHQ8K4TvqWxH6"
    "uJgcmoodZdPwmWRIEYbQDLqPNxREtYn05X3AR7ia4FRjQ2ojZjk5fJqJdQ-JcfxyhK-P8BAWBd6I2LLA77IG32xt"
    "bhxYfHX7VhuU5ProJO8uvu3Ayv4XRhLZJY4yKfmyjiiKiPNe-Ia4SMy_d_QSWxskU5XIQl5Sa2YRPMbDRXttm2Tf"
    "nZM1xx70DoYi8g6czz-CPGRi4SW_S2RKHIJfIjoI3zTJ0Y2oe0_EJAiXbL6OyF9S5tKxDXV8JIndSA"
)

# The register samples of seed 003, verbatim.
DOC_REGISTER_REQUEST = {"software_statement": DOC_STATEMENT, "redirect_uri": "adobepass://com.programmer"}
DOC_REGISTER_RESPONSE = {
    "client_id": "s6BhdRkqt3",
    "client_secret": "t7AkePiru4",
    "redirect_uris": ["app://com.programmer.adobe#sdasdsadas"],
    "grant_types": ["client_credentials"],
    "scopes": ["api:client:v2"],
    "client_id_issued_at": 1723227212,
}
DOC_REGISTER_ERROR = {"error": "invalid_request"}
# Shaped like the token documentation's success sample (TOK-OK-2).
DOC_TOKEN_RESPONSE = {
    "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.c2FtcGxl.c2lnbmF0dXJl",
    "expires_in": 86400,
    "token_type": "bearer",
    "created_at": 1723227212547,
    "id": "de6f3b3f-5ab1-4f12-b4dc-3d8c0d0d1f6a",
}
DOC_TOKEN_REQUEST = {"client_id": "s6BhdRkqt3", "client_secret": "t7AkePiru4", "grant_type": "client_credentials"}
API_TOKEN_PROBLEM = {
    "action": "application-registration",
    "status": 401,
    "code": "invalid_access_token_service_provider",
    "message": "The access token is invalid.",
    "helpUrl": "https://experienceleague.adobe.com/docs/enhanced-error-codes.html",
    "trace": "8bcb17f9-b172-47d2-86d9-3eb146eba85e",
}
MINIMAL_TARGET = {"base_url": "http://127.0.0.1:8000", "statements": {"valid": "a.b.c"}}


def b64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


DOC_HEADER, DOC_CLAIMS = (b64url_json(s) for s in DOC_STATEMENT.split(".")[:2])

# One valid instance per schema: every schema (and every $ref in it) is exercised.
SAMPLES: dict[str, Any] = {
    "register-request": DOC_REGISTER_REQUEST,
    "register-response": DOC_REGISTER_RESPONSE,
    "register-error": DOC_REGISTER_ERROR,
    "oauth-error": {"error": "invalid_grant", "error_description": "any code is an OAuth error"},
    "token-request": DOC_TOKEN_REQUEST,
    "token-response": DOC_TOKEN_RESPONSE,
    "token-error": {"error": "invalid_client"},
    "api-error": API_TOKEN_PROBLEM,
    "api-error#/$defs/token-problem": API_TOKEN_PROBLEM,
    "device-info": device_info.build(),
    "software-statement-header": DOC_HEADER,
    "software-statement-claims": DOC_CLAIMS,
    "target": MINIMAL_TARGET,
}
# certification.json: built from a one-check results.json, as a run writes it.
SAMPLES["certification"] = certification.build(
    {
        "harness_version": "0.1.0",
        "started_at": "2026-01-01T00:00:00Z",
        "finished_at": "2026-01-01T00:00:01Z",
        "target": {"name": "sample", "base_url": "https://dcr.example"},
        "seed": None,
        "checks": [
            {
                "nodeid": "c::t",
                "title": "t",
                "requirements": ["REG-OK-1"],
                "outcome": "passed",
                "message": "",
                "exchanges": [],
            }
        ],
    }
)
# results.json: a blocked check's record, through the builder every run uses.
SAMPLES["results"] = sample_results()


def errors_of(name: str, instance: Any) -> list[str]:
    return schemas.validate(name, instance)


# --- the schema files ----------------------------------------------------------------


@pytest.mark.parametrize("name", schemas.names())
def test_schema_is_valid_2020_12(name: str) -> None:
    document = schemas.schema(name)
    Draft202012Validator.check_schema(document)
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["$id"] == f"urn:dcr-harness:schema:{name}"


def test_one_file_per_schema_name() -> None:
    files = sorted(p.name for p in SCHEMA_DIR.glob("*.json"))
    assert files == [f"{n}.schema.json" for n in schemas.names()]
    assert {n.partition("#")[0] for n in SAMPLES} == set(schemas.names()), "every schema needs a sample"


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


@pytest.mark.parametrize("name", schemas.names())
def test_every_ref_resolves(name: str) -> None:
    resolver = schemas.registry().resolver(base_uri=schemas.ID_PREFIX + name)
    for ref in _refs(schemas.schema(name)):
        assert resolver.lookup(ref).contents is not None, ref


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_validates(name: str) -> None:
    assert errors_of(name, SAMPLES[name]) == []
    assert schemas.is_valid(name, SAMPLES[name])


@pytest.mark.parametrize("name", schemas.names())
def test_schema_cites_known_requirements(name: str) -> None:
    cited = schemas.requirements_of(name)
    assert cited, f"{name} cites no requirement ID"
    unknown = [i for i in cited if not requirements.is_known(i)]
    assert not unknown, f"{name} cites unknown IDs {unknown}"


def test_requirements_of_finds_every_id_form() -> None:
    text = "REG-REQ-1 REG-OK-2 REG-ERR-3 TOK-OK-4 API-3 THR-6 DEV-2 CLI-5 FLOW-1 XREG-OK-1 API-"
    assert schemas.REQUIREMENT_ID.findall(text) == [
        "REG-REQ-1",
        "REG-OK-2",
        "REG-ERR-3",
        "TOK-OK-4",
        "API-3",
        "THR-6",
        "DEV-2",
        "CLI-5",
        "FLOW-1",
    ]
    assert schemas.requirements_of("register-response") == ["REG-OK-2"]
    assert set(schemas.requirements_of("register-error")) >= {f"REG-ERR-{i}" for i in range(1, 6)}


def test_unknown_name_raises_key_error_listing_known_names() -> None:
    with pytest.raises(KeyError, match="register-response"):
        schemas.validate("register-reponse", {})
    with pytest.raises(KeyError):
        schemas.schema("nope")


def test_validators_are_cached_and_assert_formats() -> None:
    v = schemas.validator("api-error")
    assert v is schemas.validator("api-error")
    assert v.format_checker is not None
    assert "date-time" in v.format_checker.checkers


def test_error_messages_name_the_json_path() -> None:
    errors = errors_of("register-response", {**DOC_REGISTER_RESPONSE, "scopes": ["ok", 3]})
    assert errors == ["$.scopes[1]: 3 is not of type 'string'"]
    assert errors_of("register-response", []) == ["$: [] is not of type 'object'"]
    assert errors == sorted(errors)


# --- documentation samples -----------------------------------------------------------


@pytest.mark.skipif(not SEED_DOC.is_file(), reason=f"seed document not present: {SEED_DOC}")
def test_samples_are_the_documentation_samples() -> None:
    text = SEED_DOC.read_text(encoding="utf-8")
    statement = re.search(r'"software_statement": "([^"]+)"', text)
    assert statement and re.sub(r"\s+", "", statement.group(1)) == DOC_STATEMENT
    success = re.search(r"Response - Success.*?(\{.*?\n\})", text, re.S)
    assert success and json.loads(success.group(1)) == DOC_REGISTER_RESPONSE
    assert device_info.DOCUMENTATION_SAMPLE in text


def test_doc_register_samples_validate() -> None:
    assert errors_of("register-request", DOC_REGISTER_REQUEST) == []
    assert errors_of("register-response", DOC_REGISTER_RESPONSE) == []
    assert errors_of("register-error", DOC_REGISTER_ERROR) == []


def test_doc_token_sample_validates() -> None:
    assert errors_of("token-response", DOC_TOKEN_RESPONSE) == []
    assert errors_of("token-request", DOC_TOKEN_REQUEST) == []


def test_doc_statement_decodes_to_valid_header_and_claims() -> None:
    assert DOC_HEADER == {"alg": "RS256"}
    assert set(DOC_CLAIMS) == {"software_id", "client_name", "client_uri"}
    assert errors_of("software-statement-header", DOC_HEADER) == []
    assert errors_of("software-statement-claims", DOC_CLAIMS) == []


def _doc_device_text() -> str:
    return base64.b64decode(device_info.DOCUMENTATION_SAMPLE).decode()


def test_dev3_doc_device_info_is_not_json() -> None:
    with pytest.raises(device_info.DeviceInfoError):
        device_info.decode(device_info.DOCUMENTATION_SAMPLE)


def test_dev3_doc_device_info_with_comma_fixed_still_fails() -> None:
    text = _doc_device_text()
    assert '"tvOS"\n' in text, "the sample lost its missing comma"
    fixed = json.loads(text.replace('"tvOS"\n', '"tvOS",\n'))
    errors = errors_of("device-info", fixed)
    assert errors == [
        "$: 'connectionType' is a required property",
        "$: 'version' is a required property",
    ]


def test_built_device_info_is_valid() -> None:
    assert errors_of("device-info", device_info.build()) == []
    assert errors_of("device-info", device_info.decode(device_info.header_value())) == []


# --- positive and negative vectors ---------------------------------------------------

VALID: list[tuple[str, str, Any, str]] = [
    ("REG-REQ-5", "register-request", {"software_statement": "a.b.c"}, "no-redirect-uri"),
    ("REG-REQ-5", "register-request", {"software_statement": "a.b.c", "client_name": "x"}, "unknown-member"),
    (
        "REG-OK-2",
        "register-response",
        {**DOC_REGISTER_RESPONSE, "redirect_uris": [], "extra": 1},
        "empty-array-extra-member",
    ),
    ("REG-ERR-1", "register-error", {"error": "invalid_request", "error_description": "bad"}, "with-description"),
    # The contract prescribes `error` only: optional members of any type, or null, break nothing.
    ("REG-ERR-5", "register-error", {"error": "invalid_request", "error_description": 1}, "description-not-string"),
    (
        "REG-ERR-5",
        "register-error",
        {"error": "invalid_request", "error_description": None, "error_uri": None},
        "optional-members-null",
    ),
    ("TOK-ERR-5", "token-error", {"error": "invalid_client", "error_description": {"why": "x"}}, "description-object"),
    ("REG-ERR-2", "register-error", {"error": "invalid_redirect_uri"}, "invalid-redirect-uri"),
    ("REG-ERR-3", "register-error", {"error": "invalid_software_statement"}, "invalid-statement"),
    ("REG-ERR-4", "register-error", {"error": "unapproved_software_statement"}, "unapproved-statement"),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "scope": "x"}, "extra-field"),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "token_type": "Bearer"}, "token-type-Bearer"),
    (
        "TOK-OK-2",
        "token-response",
        {**DOC_TOKEN_RESPONSE, "token_type": "BEARER", "refresh_token": "r"},
        "token-type-BEARER",
    ),
    ("TOK-ERR-1", "token-error", {"error": "invalid_request"}, "invalid-request"),
    ("TOK-ERR-2", "token-error", {"error": "invalid_client"}, "invalid-client"),
    ("TOK-ERR-3", "token-error", {"error": "unauthorized_client"}, "unauthorized-client"),
    ("TOK-ERR-4", "token-error", {"error": "unsupported_grant_type"}, "unsupported-grant-type"),
    ("API-3", "api-error", {"action": "retry", "status": 503, "code": "service_unavailable"}, "minimal"),
    ("API-3", "api-error", {**API_TOKEN_PROBLEM, "details": "d", "helpUrl": "http://x.example/a?b#c"}, "all-fields"),
    (
        "API-3",
        "api-error",
        {**API_TOKEN_PROBLEM, "message": None, "details": None, "helpUrl": None, "trace": None},
        "optional-members-null",
    ),
    (
        "API-3",
        "api-error",
        {**API_TOKEN_PROBLEM, "details": {"reason": "expired"}, "trace": 7},
        "optional-members-not-strings",
    ),
    (
        "API-3",
        "api-error#/$defs/token-problem",
        {**API_TOKEN_PROBLEM, "code": "invalid_access_token_client_application"},
        "token-problem-client-application",
    ),
    (
        "DEV-2",
        "device-info",
        device_info.build(primaryHardwareType=None, osFamily=None, osVendor=None),
        "required-only",
    ),
    (
        "DEV-2",
        "device-info",
        device_info.build(
            connectionSecure="false",
            displayWidth="1920",
            displayHeight=1080,
            displayPpi=401.5,
            connectionPort="443",
            browserName="Safari",
            browserVendor="Apple",
            custom="merged",
        ),
        "string-forms-and-unknown-key",
    ),
    ("REG-ERR-3", "software-statement-header", {"alg": "RS256", "typ": "JWT", "kid": "k1"}, "typ-kid"),
    (
        "REG-ERR-3",
        "software-statement-claims",
        {**DOC_CLAIMS, "iat": 1723227212, "grant_types": ["client_credentials"], "scopes": ["api:client:v2"]},
        "more-claims",
    ),
]

INVALID: list[tuple[str, str, Any, str]] = [
    ("REG-REQ-5", "register-request", {}, "missing-software-statement"),
    ("REG-REQ-5", "register-request", {"redirect_uri": "app://x"}, "only-redirect-uri"),
    ("REG-REQ-5", "register-request", {"software_statement": 42}, "statement-not-string"),
    (
        "REG-REQ-5",
        "register-request",
        {"software_statement": "a.b.c", "redirect_uri": ["app://x"]},
        "redirect-uri-array",
    ),
    ("REG-REQ-5", "register-request", [DOC_REGISTER_REQUEST], "array-body"),
    (
        "REG-OK-2",
        "register-response",
        {k: v for k, v in DOC_REGISTER_RESPONSE.items() if k != "scopes"},
        "missing-scopes",
    ),
    (
        "REG-OK-2",
        "register-response",
        {k: v for k, v in DOC_REGISTER_RESPONSE.items() if k != "client_secret"},
        "missing-secret",
    ),
    (
        "REG-OK-2",
        "register-response",
        {**DOC_REGISTER_RESPONSE, "client_id_issued_at": "1723227212"},
        "issued-at-string",
    ),
    (
        "REG-OK-2",
        "register-response",
        {**DOC_REGISTER_RESPONSE, "client_id_issued_at": 1723227212.5},
        "issued-at-float",
    ),
    ("REG-OK-2", "register-response", {**DOC_REGISTER_RESPONSE, "client_id_issued_at": -1}, "issued-at-negative"),
    (
        "REG-OK-2",
        "register-response",
        {**DOC_REGISTER_RESPONSE, "grant_types": "client_credentials"},
        "grant-types-string",
    ),
    ("REG-OK-2", "register-response", {**DOC_REGISTER_RESPONSE, "client_id": 12345}, "client-id-number"),
    ("REG-ERR-5", "register-error", {"error": "invalid_grant"}, "unknown-code-invalid-grant"),
    ("REG-ERR-5", "register-error", {"error": "invalid_client"}, "token-code-at-register"),
    ("REG-ERR-5", "register-error", {}, "missing-error"),
    (
        "TOK-REQ-2",
        "token-request",
        {k: v for k, v in DOC_TOKEN_REQUEST.items() if k != "grant_type"},
        "missing-grant-type",
    ),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "client_secret": ""}, "empty-secret-counts-as-omitted"),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "client_id": ""}, "empty-client-id"),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "grant_type": "password"}, "grant-type-password"),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "grant_type": "refresh_token"}, "grant-type-refresh-token"),
    ("TOK-REQ-2", "token-request", {**DOC_TOKEN_REQUEST, "client_id": 7}, "client-id-number"),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "token_type": "mac"}, "token-type-mac"),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "token_type": "bearer "}, "token-type-trailing-space"),
    ("TOK-OK-2", "token-response", {k: v for k, v in DOC_TOKEN_RESPONSE.items() if k != "id"}, "missing-id"),
    (
        "TOK-OK-2",
        "token-response",
        {k: v for k, v in DOC_TOKEN_RESPONSE.items() if k != "token_type"},
        "missing-token-type",
    ),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "access_token": ""}, "empty-access-token"),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "expires_in": 0}, "expires-in-zero"),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "expires_in": "86400"}, "expires-in-string"),
    (
        "TOK-OK-2",
        "token-response",
        {**DOC_TOKEN_RESPONSE, "created_at": "2024-08-09T18:13:32Z"},
        "created-at-date-string",
    ),
    ("TOK-OK-2", "token-response", {**DOC_TOKEN_RESPONSE, "id": 99}, "id-number"),
    ("TOK-ERR-5", "token-error", {"error": "invalid_grant"}, "unknown-code-invalid-grant"),
    ("TOK-ERR-5", "token-error", {"error": "invalid_scope"}, "unknown-code-invalid-scope"),
    ("TOK-ERR-5", "token-error", {"error": "invalid_software_statement"}, "register-code-at-token"),
    ("TOK-ERR-5", "token-error", {"error": None}, "null-code"),
    ("API-3", "api-error", {"action": "reauthenticate", "status": 401, "code": "x"}, "action-outside-list"),
    ("API-3", "api-error", {"action": "none", "status": "401", "code": "x"}, "status-string"),
    ("API-3", "api-error", {"action": "none", "status": 401}, "missing-code"),
    ("API-3", "api-error", {"status": 401, "code": "x"}, "missing-action"),
    ("API-3", "api-error", {**API_TOKEN_PROBLEM, "helpUrl": "/docs/errors"}, "help-url-relative"),
    ("API-3", "api-error", {**API_TOKEN_PROBLEM, "helpUrl": "see the docs"}, "help-url-not-url"),
    ("API-3", "api-error", {**API_TOKEN_PROBLEM, "helpUrl": "https://exa mple.com/"}, "help-url-space"),
    (
        "API-3",
        "api-error#/$defs/token-problem",
        {**API_TOKEN_PROBLEM, "action": "authentication"},
        "token-problem-action",
    ),
    ("API-3", "api-error#/$defs/token-problem", {**API_TOKEN_PROBLEM, "code": "invalid_token"}, "token-problem-code"),
    ("API-3", "api-error#/$defs/token-problem", {**API_TOKEN_PROBLEM, "status": "401"}, "token-problem-base-rules"),
    ("DEV-2", "device-info", device_info.build(osName="Mac OS X"), "osName-outside-list"),
    ("DEV-2", "device-info", device_info.build(osName="tvos"), "osName-wrong-case"),
    ("DEV-2", "device-info", device_info.build(primaryHardwareType="Phone"), "primaryHardwareType-outside-list"),
    ("DEV-2", "device-info", device_info.build(osFamily="Mac"), "osFamily-outside-list"),
    ("DEV-2", "device-info", device_info.build(osVendor="HP"), "osVendor-outside-list"),
    ("DEV-2", "device-info", device_info.build(browserName="Brave"), "browserName-outside-list"),
    ("DEV-2", "device-info", device_info.build(browserVendor="Brave"), "browserVendor-outside-list"),
    ("DEV-2", "device-info", device_info.build(connectionSecure="yes"), "connectionSecure-yes"),
    ("DEV-2", "device-info", device_info.build(connectionSecure=1), "connectionSecure-number"),
    ("DEV-2", "device-info", device_info.build(displayWidth="wide"), "displayWidth-not-numeric"),
    ("DEV-2", "device-info", device_info.build(displayPpi=True), "displayPpi-boolean"),
    ("DEV-2", "device-info", device_info.build(connectionPort=70000), "connectionPort-range"),
    ("DEV-2", "device-info", device_info.build(model=5), "model-number"),
    ("DEV-2", "device-info", device_info.build(version=None), "missing-version"),
    ("DEV-2", "device-info", device_info.build(connectionType=None), "missing-connectionType"),
    ("DEV-2", "device-info", device_info.build(osName=None), "missing-osName"),
    ("DEV-2", "device-info", device_info.build(connectionType=""), "empty-connectionType"),
    ("DEV-1", "device-info", [device_info.build()], "not-an-object"),
    ("REG-ERR-3", "software-statement-header", {}, "missing-alg"),
    ("REG-ERR-3", "software-statement-header", {"alg": "none"}, "alg-none"),
    ("REG-ERR-3", "software-statement-header", {"alg": "NONE"}, "alg-NONE"),
    ("REG-ERR-3", "software-statement-header", {"alg": 256}, "alg-number"),
    ("REG-ERR-3", "software-statement-claims", {"client_name": "x"}, "missing-software-id"),
    ("REG-ERR-3", "software-statement-claims", {"software_id": ""}, "empty-software-id"),
    ("REG-ERR-3", "software-statement-claims", {**DOC_CLAIMS, "exp": "tomorrow"}, "exp-string"),
    (
        "REG-ERR-3",
        "software-statement-claims",
        {**DOC_CLAIMS, "grant_types": "client_credentials"},
        "grant-types-string",
    ),
]


def _vector_ids(rows: list[tuple[str, str, Any, str]]) -> list[str]:
    return [f"{req}:{name}:{label}" for req, name, _, label in rows]


def test_vectors_cite_requirements_of_their_schema() -> None:
    for req, name, _, label in VALID + INVALID:
        assert requirements.is_known(req), (req, label)
        assert req in schemas.requirements_of(name), f"{label}: {name} does not cite {req}"


@pytest.mark.parametrize(("req", "name", "instance", "label"), VALID, ids=_vector_ids(VALID))
def test_valid_vector(req: str, name: str, instance: Any, label: str) -> None:
    assert errors_of(name, instance) == []


@pytest.mark.parametrize(("req", "name", "instance", "label"), INVALID, ids=_vector_ids(INVALID))
def test_invalid_vector(req: str, name: str, instance: Any, label: str) -> None:
    errors = errors_of(name, instance)
    assert errors, f"{req}: {label} was accepted by {name}"
    assert all(re.match(r"^\$\S*: ", e) for e in errors), errors
    assert not schemas.is_valid(name, instance)


# --- the schemas say what the contract says ------------------------------------------


def _backticked(text: str) -> list[str]:
    return re.findall(r"`([^`]+)`", text)


def _found(pattern: str, text: str) -> str:
    """The first group of pattern's match in text (the test fails when the contract no longer says it)."""
    match = re.search(pattern, text)
    assert match is not None, f"the contract no longer matches {pattern!r}"
    return match.group(1)


def test_device_info_lists_match_dev2() -> None:
    text = requirements.get("DEV-2").text
    doc = schemas.schema("device-info")
    lists = dict(re.findall(r"`(\w+)` one of (.*?)\.(?:\s|$)", text))
    assert set(lists) == {"primaryHardwareType", "osName", "osFamily", "osVendor", "browserName", "browserVendor"}
    for key, values in lists.items():
        assert doc["properties"][key]["enum"] == values.split(", "), key
    required = _found(r"required: (.*?);", text)
    optional = _found(r"optional: (.*?);", text)
    assert doc["required"] == _backticked(required)
    assert list(doc["properties"]) == _backticked(required) + _backticked(optional)
    restricted = re.findall(r"`(\w+)` \(restricted", text)
    assert all("enum" in doc["properties"][k] for k in restricted)


@pytest.mark.parametrize(("name", "prefix"), [("register-error", "REG-ERR-"), ("token-error", "TOK-ERR-")])
def test_error_codes_match_the_contract(name: str, prefix: str) -> None:
    codes = [_backticked(requirements.get(f"{prefix}{i}").text)[0] for i in range(1, 5)]
    assert schemas.schema(name)["properties"]["error"]["enum"] == codes


def test_api_error_lists_match_api3() -> None:
    text = requirements.get("API-3").text
    doc = schemas.schema("api-error")
    actions = _backticked(_found(r"`action` \(one of (.*?)\)", text))
    assert doc["properties"]["action"]["enum"] == actions
    problem_codes = _backticked(_found(r"code of that action \((.*?)\)", text))
    assert doc["$defs"]["token-problem"]["properties"]["code"]["enum"] == problem_codes
    assert doc["required"] == ["action", "status", "code"]


@pytest.mark.parametrize(
    ("name", "req"),
    [("register-response", "REG-OK-2"), ("token-response", "TOK-OK-2"), ("token-request", "TOK-REQ-2")],
)
def test_required_fields_match_the_contract(name: str, req: str) -> None:
    first_clause = requirements.get(req).text.split(";")[0]
    fields = [f for f in _backticked(first_clause) if f != "bearer"]  # bearer is a value, not a field
    assert schemas.schema(name)["required"] == fields
