"""Named faults: switches that make the reference server break one requirement each.

They exist so that the harness's own tests can prove that every check fails when the
server misbehaves in the way the check is about. `requirements` names what a fault
violates; a `conformant` fault changes behaviour in a way the contract permits, so that
tests can prove the harness does not fail a permitted choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# What gen-500-control-char trips on: U+0000-U+001F in any client string.
CONTROL_CHARS = re.compile(r"[\x00-\x1f]")


@dataclass(frozen=True)
class Fault:
    description: str
    requirements: tuple[str, ...]
    conformant: bool = False


def _f(description: str, *requirements: str, conformant: bool = False) -> Fault:
    return Fault(description, requirements, conformant)


FAULTS: dict[str, Fault] = {
    # Register endpoint
    "reg-status-200": _f("registration success answered 200 instead of 201", "REG-OK-1"),
    "reg-missing-field": _f("registration response omits client_id_issued_at", "REG-OK-2"),
    "reg-issued-at-ms": _f("client_id_issued_at given in milliseconds", "REG-OK-4"),
    "reg-reuse-credentials": _f("every registration of an application returns the same client_id/secret", "REG-OK-3"),
    "reg-no-client-credentials-grant": _f("registration response has empty grant_types", "REG-OK-4"),
    "reg-accept-alg-none": _f("statements with alg none (any case) are accepted unsigned", "REG-ERR-3"),
    "reg-accept-foreign-key": _f("statement signatures are not verified", "REG-ERR-3"),
    "reg-ignore-revocation": _f("statements of revoked applications are approved", "REG-ERR-4"),
    "reg-accept-any-redirect": _f("any redirect_uri is accepted", "REG-ERR-2"),
    "reg-wrong-error-code": _f(
        "register answers invalid_client_metadata instead of invalid_request", "REG-ERR-1", "REG-ERR-5", "DEV-3"
    ),
    "reg-error-not-json": _f(
        "register error bodies are text/plain", "REG-ERR-1", "REG-ERR-2", "REG-ERR-3", "REG-ERR-4", "DEV-3"
    ),
    "reg-500-bad-json": _f("register answers 500 to an unparseable JSON body", "REG-ERR-5"),
    "reg-accept-any-content-type": _f("register ignores Content-Type", "REG-REQ-1"),
    "reg-ignore-accept": _f("register serves 201 to an Accept that excludes JSON", "REG-REQ-3"),
    "reg-dup-member-last-wins": _f("duplicate JSON members accepted, the last one wins", "REG-ERR-1"),
    # A deployment broken at the root: every registration, valid or not, gets one answer.
    "reg-refuses-all": _f("every registration is refused with 400 invalid_redirect_uri", "REG-OK-1", "FLOW-1"),
    # Token endpoint
    "tok-status-200": _f("token success answered 200 instead of 201", "TOK-OK-1"),
    "tok-created-at-seconds": _f("created_at is an ISO 8601 string, not integer milliseconds", "TOK-OK-2"),
    "tok-token-type-mac": _f('token_type is "mac"', "TOK-OK-2"),
    "tok-missing-created-at": _f("token responses omit created_at", "TOK-OK-2"),
    "tok-no-refresh": _f("a second token request for the same client gets invalid_client", "TOK-OK-3", "FLOW-4"),
    "tok-accept-wrong-secret": _f("client_secret is not checked", "TOK-ERR-2"),
    "tok-basic-plus-body-accepted": _f("HTTP Basic together with body credentials is accepted", "TOK-ERR-1"),
    "tok-unknown-grant-invalid-request": _f("an unknown grant type gets invalid_request", "TOK-ERR-4"),
    "tok-ungranted-grant-accepted": _f("a known grant type the client was not granted gets a token", "TOK-ERR-3"),
    "tok-repeated-param-last-wins": _f("repeated form parameters accepted, the last one wins", "TOK-ERR-1"),
    "tok-no-cache-headers": _f("token responses lack Cache-Control/Pragma (a SHOULD: warning only)", "TOK-OK-4"),
    "tok-accept-json-params-only": _f(
        "Accept: application/json;charset=utf-8 answered 400 invalid_request", "TOK-REQ-3"
    ),
    "tok-415-non-form": _f(
        "a token request whose body is not form-encoded gets 415 with no error member, whatever its credentials",
        "TOK-ERR-1",
        "TOK-ERR-5",
    ),
    "tok-accept-query-params": _f(
        "token parameters missing from the body are taken from the query string (permitted)",
        "TOK-REQ-2",
        conformant=True,
    ),
    # Protected API
    "api-accept-expired": _f("expired tokens are accepted", "API-2", "API-4"),
    "api-accept-revoked": _f("tokens of revoked applications are accepted", "API-2"),
    "api-accept-unknown-token": _f("any well-formed bearer token is accepted", "API-2"),
    "api-status-403": _f("token problems answered 403 instead of 401", "API-2"),
    "api-error-body-plain": _f("401 answers carry a text/plain body", "API-3"),
    "api-error-status-mismatch": _f("401 answers carry status 400 in the error body", "API-3"),
    "api-reject-valid": _f("valid tokens are rejected with 401", "API-1"),
    # X-Device-Info
    "dev-500-bad-device-info": _f("a malformed X-Device-Info gets 500", "DEV-3", "REG-ERR-5", "TOK-ERR-5"),
    # Throttling
    "thr-none": _f("no throttling at all", "THR-3", "THR-6"),
    "thr-global-bucket": _f("one allowance shared by all devices", "THR-1", "THR-5"),
    # A refilling burst breaks THR-2's "one-time burst" as well as THR-6's "the burst never refills";
    # staying throttled 3 s also refuses THR-6's documented success at 3.1 s (0.3 s after the last 429).
    "thr-burst-refills": _f("the burst refills at every one-second window", "THR-2", "THR-6"),
    "thr-no-recovery": _f("a device that got a 429 stays throttled for 3 s", "THR-4", "THR-6"),
    "thr-status-503": _f("over-limit requests get 503 instead of 429", "THR-3"),
    "thr-ignore-device-header": _f("devices identified by connection address only", "THR-1", "THR-5"),
    "thr-no-burst": _f("no initial burst: only the rate allowance", "THR-2", "THR-6"),
    "thr-token-exempt": _f("the token endpoint is not throttled (outside the shared allowance)", "THR-1"),
    # Found by property-based tests
    "gen-500-long-param": _f(
        "500 when redirect_uri exceeds 2000 characters or client_id exceeds 512", "REG-ERR-5", "TOK-ERR-5"
    ),
    "gen-500-control-char": _f(
        "500 when a form value or JSON string contains a control character U+0000-U+001F", "REG-ERR-5", "TOK-ERR-5"
    ),
    "gen-accept-empty-secret": _f("an empty client_secret is accepted for a known client_id", "TOK-REQ-2", "TOK-ERR-1"),
    "gen-accept-expired-statement": _f("statements whose exp is in the past are accepted", "REG-ERR-3"),
    # Rare inputs: one unusual value in one input each; the coverage phase must find every one.
    "rare-500-redirect-bad-percent": _f("500 when redirect_uri holds a malformed percent-escape", "REG-ERR-5"),
    "rare-500-deep-json": _f("500 when the register body nests arrays or objects more than 64 deep", "REG-ERR-5"),
    "rare-500-xff-not-address": _f(
        "500 when the first X-Forwarded-For entry is not an IP address", "REG-ERR-5", "TOK-ERR-5"
    ),
    "rare-500-non-ascii-user-agent": _f("500 when User-Agent holds a non-ASCII byte", "REG-ERR-5", "TOK-ERR-5"),
    "rare-500-form-invalid-utf8": _f(
        "500 when the token body holds invalid UTF-8, raw or percent-encoded", "TOK-ERR-5"
    ),
    "rare-500-device-key-control": _f(
        "500 when an X-Device-Info key holds a control character", "DEV-3", "REG-ERR-5", "TOK-ERR-5"
    ),
    "rare-500-alg-not-string": _f("500 when the statement header's alg is not a string", "REG-ERR-5"),
    "rare-500-claim-out-of-range": _f("500 when a statement claim is a number beyond 64 bits", "REG-ERR-5"),
    "rare-500-content-type-param": _f("500 when a register Content-Type parameter has no value", "REG-ERR-5"),
    "rare-500-accept-bad-q": _f("500 when a token Accept range has a q-value that is not a number", "TOK-ERR-5"),
    "rare-500-empty-bearer": _f("500 when the protected API gets a Bearer scheme without a token", "API-2"),
    "rare-accept-repeated-same-param": _f("a token parameter repeated with the same value is accepted", "TOK-ERR-1"),
    "rare-accept-padded-statement": _f(
        "a valid statement with surrounding white space is trimmed and accepted", "REG-ERR-3"
    ),
    # Near misses: a comparison that accepts a value nearly the valid one; the near-miss phase finds each.
    "near-client-id-case-insensitive": _f("client_id is looked up ignoring letter case", "TOK-ERR-2"),
    "near-secret-case-insensitive": _f("client_secret is compared ignoring letter case", "TOK-ERR-2"),
    "near-secret-trimmed": _f("client_secret is trimmed of white space before it is compared", "TOK-ERR-2"),
    "near-cross-client-secret": _f(
        "a client_secret of another client of the same application is accepted", "TOK-ERR-2"
    ),
    "near-token-prefix": _f("only the first 32 characters of an access token are compared", "API-2"),
    "near-bearer-first-word": _f("the bearer token is the word after Bearer, whatever follows it", "API-2"),
}


def unknown(names: Iterable[str]) -> list[str]:
    """The names among `names` that are not faults (for usage errors)."""
    return sorted(n for n in names if n not in FAULTS)


def listing() -> str:
    """One line a fault: name, violated requirements, description."""
    width = max(map(len, FAULTS))
    lines = []
    for name, fault in FAULTS.items():
        reqs = ",".join(fault.requirements) + (" (conformant)" if fault.conformant else "")
        lines.append(f"{name:<{width}}  {reqs:<22}  {fault.description}")
    return "\n".join(lines)
