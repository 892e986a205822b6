"""Permitted choices: where CONTRACT.md leaves the server a choice, the reference can take each answer.

Faults (faults.py) break a requirement; choices never do. Every alternative here is one the
contract's text permits, so a run of the whole suite against the reference with any
combination of choices must find zero failures (tests/e2e/test_permitted_choices.py proves it).
The first value of each choice is the default, i.e. the reference's behaviour without it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]  # the first one is the default
    description: str
    permits: str  # the contract sentence that leaves the choice open

    @property
    def default(self) -> str:
        return self.values[0]


CHOICES: dict[str, Choice] = {
    # Register endpoint
    "empty-statement": Choice(
        ("invalid_request", "invalid_software_statement"),
        'the code for {"software_statement": ""}',
        'REG-ERR-1 "a required parameter is missing"; REG-ERR-3 "the statement is not a valid signed JWT (malformed)"',
    ),
    "statement-type": Choice(
        ("invalid_request", "invalid_software_statement"),
        "the code for a software_statement that is null, a number, an object or a list",
        'REG-ERR-1 "wrong JSON type"; REG-ERR-3 "malformed"',
    ),
    "jwt-shape": Choice(
        ("invalid_software_statement", "invalid_request"),
        "the code for a statement that is not three base64url segments",
        'REG-ERR-3 "malformed"; REG-ERR-1 "the request is malformed"',
    ),
    "statement-time": Choice(
        ("invalid_software_statement", "unapproved_software_statement"),
        "the code for a properly signed statement whose exp is past or nbf is in the future",
        'REG-ERR-3 "not a valid signed JWT"; REG-ERR-4 "well formed and properly signed but not approved for use"',
    ),
    "empty-redirect-uri": Choice(
        ("invalid", "absent"),
        'redirect_uri null or "": refused (invalid_request / invalid_redirect_uri), or taken as not sent',
        'REG-REQ-5 "redirect_uri (string, optional)"',
    ),
    "unknown-members": Choice(
        ("ignore", "reject"),
        "body members / form parameters the contract does not name: ignored, or refused with invalid_request",
        "RFC 7591 2 and RFC 6749 3.2 say to ignore them (SHOULD): the harness reports a refusal as a warning",
    ),
    "invalid-utf8": Choice(
        ("reject", "replace"),
        "invalid UTF-8 in a body: invalid_request, or decoded leniently (U+FFFD) and judged as what it then says",
        'REG-ERR-1/TOK-ERR-1 "malformed"; REG-ERR-3 (a malformed statement), TOK-ERR-2 (an unknown client_id)',
    ),
    "error-order": Choice(
        ("request-first", "value-first"),
        "two defects in one request: the missing parameter's invalid_request first, or the bad value's own code first",
        "REG-ERR-1..4 and TOK-ERR-1..4 each describe one defect; the contract orders none of them",
    ),
    # Token endpoint
    "basic-alone": Choice(
        ("serve", "refuse"),
        "HTTP Basic client credentials without body credentials: a token, or invalid_request",
        'TOK-REQ-2 "a server may answer it either with invalid_request or with a token"',
    ),
    "query-params": Choice(
        ("ignore", "use"),
        "token parameters in the query string: ignored, or used where the body lacks them",
        'TOK-REQ-2 "Parameters in the query string ... a server may ignore them"',
    ),
    "empty-repeat": Choice(
        ("repeated", "omitted"),
        "a parameter sent twice, once with an empty value: a repeat (invalid_request), or the empty one omitted",
        'TOK-REQ-2 "A parameter sent with an empty value counts as omitted"; TOK-ERR-1 "repeated parameter"',
    ),
    "malformed-credentials": Choice(
        ("invalid_client", "invalid_request"),
        "client_id/client_secret/grant_type with control or non-ASCII characters, or overlong",
        'TOK-ERR-2 "the client credentials are invalid"; TOK-ERR-1 "malformed request"',
    ),
    "grant-parameters": Choice(
        ("ignore", "require"),
        "a known grant type other than client_credentials without its own parameters (code, username, ...)",
        'TOK-ERR-3 "not allowed to use this grant type"; TOK-ERR-1 "missing parameter"',
    ),
    "token-type": Choice(
        ("bearer", "Bearer"),
        "the spelling of token_type",
        'TOK-OK-2 "token_type (bearer, compared case-insensitively)"',
    ),
    # Both DCR endpoints
    "accept-conflict": Choice(
        ("serve", "refuse"),
        "an Accept with equally specific ranges that contradict each other (application/json;q=0, application/json)",
        'REG-REQ-3/TOK-REQ-3 "ordinary content negotiation" (RFC 9110 does not rank equal ranges)',
    ),
    "error-members": Choice(
        ("text", "null", "structured"),
        "optional members of error bodies (error_description; message, details, helpUrl, trace): text, null, "
        "or JSON objects and numbers",
        'REG-ERR-*/TOK-ERR-* prescribe {"error": CODE} only; API-3 "and optionally message, details, helpUrl, trace"',
    ),
    # Protected API
    "api-error-body": Choice(
        ("json", "text"),
        "the body of a 401: the enhanced error structure in JSON, or plain text",
        'API-3 "A JSON error body follows ..." (a body need not be JSON; the harness reports it as a warning)',
    ),
    "api-token-code": Choice(
        ("client-application", "service-provider"),
        "the enhanced error code of a token problem: invalid_access_token_client_application or ..._service_provider",
        'API-3 "a code of that action (invalid_access_token_service_provider, invalid_access_token_client_application)"',
    ),
    "query-token": Choice(
        ("reject", "accept"),
        "an access token in the access_token query parameter instead of the Authorization header",
        "RFC 6750 2.3 lets a resource server accept it (SHOULD NOT); the contract documents only the header (CLI-4)",
    ),
    # X-Device-Info (also --device-info-policy)
    "device-info": Choice(
        ("reject", "fallback"),
        "malformed or incomplete X-Device-Info: 400 invalid_request, or ignored (implicit extraction)",
        'DEV-3 "reject with 400 invalid_request, or ignore it and fall back to implicit extraction"',
    ),
}


def parse(assignments: Iterable[str]) -> dict[str, str]:
    """NAME=VALUE strings -> {name: value}; ValueError with a one-line reason otherwise."""
    chosen: dict[str, str] = {}
    for text in assignments:
        name, sep, value = text.partition("=")
        if not sep:
            raise ValueError(f"--choice {text!r}: expected NAME=VALUE (see --list-choices)")
        chosen[name.strip()] = value.strip()
    problems = validate(chosen)
    if problems:
        raise ValueError(problems[0])
    return chosen


def validate(chosen: Mapping[str, str]) -> list[str]:
    """Why these choices are not valid (unknown name, value not among the choice's values)."""
    problems = []
    for name, value in chosen.items():
        choice = CHOICES.get(name)
        if choice is None:
            problems.append(f"unknown choice {name!r}; known choices: {', '.join(CHOICES)}")
        elif value not in choice.values:
            problems.append(f"choice {name!r} takes one of {', '.join(choice.values)}, not {value!r}")
    return problems


def alternatives(run: int) -> dict[str, str]:
    """The non-default values for run 1, 2, ...: each choice's value number `run`, where it has one.

    Alternatives of different choices combine; values of one choice exclude each other, so a
    choice with more than two values needs more than one run (len(values) - 1 runs in all).
    """
    return {name: c.values[run] for name, c in CHOICES.items() if run < len(c.values)}


def runs_needed() -> int:
    return max(len(c.values) for c in CHOICES.values()) - 1


def listing() -> str:
    """One line a choice: name, values (default first), what it decides, the sentence that permits it."""
    width = max(map(len, CHOICES))
    lines = []
    for name, c in CHOICES.items():
        values = "|".join(c.values)
        lines.append(
            f"{name:<{width}}  {values:<44}  default {c.default}: {c.description}\n"
            f"{'':<{width}}  permitted by {c.permits}"
        )
    return "\n".join(lines)
