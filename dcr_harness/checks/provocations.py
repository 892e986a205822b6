"""Negative cases as data: (requirements, provocation, permitted answers), one generic judge.

Each Provocation sends one request with exactly one defect and names the error codes the
contract permits for it. SUCCESS among the permitted answers means the contract leaves the
server a choice that includes serving the request (e.g. HTTP Basic alone, DEV-3);
REFUSAL_IS_FINDING means the request should be served but a 400 refusal breaks only a
SHOULD (unknown members, RFC 7591 2 / RFC 6749 3.2): a warning, not a failure.
Where a request carries two defects, either defect's code is permitted.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from .. import checks
from ..checks import envelope
from ..contract import device_info, statements
from ..contract.target import Target
from ..http import DcrClient, Exchange
from ..http.client import Credentials, PreconditionFailed, basic_auth, encode_form
from ..reasons import Reason, ReasonKind

SUCCESS = "<served>"
REFUSAL_IS_FINDING = "<a 400 refusal is a SHOULD finding>"
MARKERS = frozenset({SUCCESS, REFUSAL_IS_FINDING})


class PrettyPrinter(Protocol):
    """The part of IPython's pretty printer that Hypothesis hands to _repr_pretty_."""

    def text(self, obj: str) -> None: ...


class Context:
    """What a provocation may draw on: the client, the target, lazily registered credentials.

    made_up_allowed: when registration is refused, token provocations go on with made-up
    credentials (`made_up` tells): a broken registration must not hide the token endpoint's
    own defects (media types, missing parameters, unknown clients)."""

    def __init__(self, dcr: DcrClient, made_up_allowed: bool = False) -> None:
        self.dcr = dcr
        self.target: Target = dcr.target
        self.made_up_allowed = made_up_allowed
        self.made_up = False

    @functools.cached_property
    def creds(self) -> Credentials:
        try:
            return self.dcr.register_ok()
        except PreconditionFailed as exc:
            if not self.made_up_allowed:
                raise
            self.made_up = True
            secret = self.dcr.session.masker.secret(checks.controls.MADE_UP_SECRET)
            return Credentials(checks.controls.MADE_UP_CLIENT_ID, secret, exc.exchange)

    def token(self) -> str:
        """A fresh access token for the context's credentials (the protected API's cases send it)."""
        return self.dcr.token_ok(self.creds)[0]

    @property
    def valid(self) -> str:
        return self.target.statements.valid

    def register_json(self, body: object) -> Exchange:
        return self.dcr.register(body=body)

    def register_bytes(self, content: bytes) -> Exchange:
        return self.dcr.register(content=content)

    def token_form(self, *pairs: tuple[str, str], headers: Mapping[str, str | None] | None = None) -> Exchange:
        return self.dcr.token(form=list(pairs), headers=headers)

    def good_form(self, **changes: str | None) -> list[tuple[str, str]]:
        fields: dict[str, str | None] = {
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret,
            "grant_type": "client_credentials",
        }
        fields.update(changes)
        return [(k, v) for k, v in fields.items() if v is not None]


@dataclass(frozen=True)
class Provocation:
    requirements: tuple[str, ...]
    name: str
    endpoint: str  # "register" or "token"
    permitted: frozenset[str]
    send: Callable[[Context], Exchange] = field(compare=False)
    needs: tuple[str, ...] = ()
    # Sent with made-up credentials, its one defect is theirs (an unknown client): judged without a control.
    judged_blind: bool = False
    # The requirements a wrong answer breaks, where the codes permitted do not tell (responses.oauth_error).
    breaks: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.requirements[0]}:{self.name}"

    def __repr__(self) -> str:
        return f"Provocation({self.id})"  # the case, not its closures and permitted sets

    def _repr_pretty_(self, printer: PrettyPrinter, cycle: bool) -> None:
        printer.text(repr(self))


def P(
    reqs: str,
    name: str,
    endpoint: str,
    permitted: set[str] | frozenset[str] | str,
    send: Callable[[Context], Exchange],
    needs: tuple[str, ...] = (),
    judged_blind: bool = False,
) -> Provocation:
    allowed = {permitted} if isinstance(permitted, str) else permitted
    return Provocation(tuple(reqs.split()), name, endpoint, frozenset(allowed), send, needs, judged_blind)


MADE_UP_CONTROL = checks.controls.MADE_UP_CONTROL


MALFORMED_RULE = {"register": "REG-ERR-1", "token": "TOK-ERR-1"}


def at_the_envelope(p: Provocation, exchange: Exchange) -> Provocation | None:
    """Section 0 of the contract: a request over a limit or not well-formed may be refused before the API.

    Such a refusal is set aside (None: not verified, "front door"); a request that is not well-formed may
    also get the contract's invalid_request, and a wrong code then breaks the malformed-request rule alone.
    Every envelope request is recorded for the deployment section, refused or not."""
    found = envelope.classify(exchange)
    if found is None:
        return p
    by = envelope.refused_before_the_api(exchange, found, p.endpoint, p.permitted)
    checks.at_the_envelope(envelope.record(exchange, found, p.name, p.endpoint, by))
    if by is not None:
        closing = checks.responses.CLOSING.get(p.endpoint)
        if closing:
            checks.held((closing,), f"refused without a server error ({exchange.status})")
        checks.not_verified(
            tuple(r for r in p.requirements if r != closing),
            f"not verified (front door): {found.what} ({found.kind}) was refused by {by} "
            f"({checks.answer(exchange)}) before the API judged it",
            why=Reason(ReasonKind.FRONT_DOOR),
        )
        return None
    if found.kind == envelope.MALFORMED and p.endpoint in MALFORMED_RULE:
        rule = MALFORMED_RULE[p.endpoint]
        return replace(
            p, permitted=p.permitted | {INVALID_REQUEST}, breaks=(rule,) if rule in p.requirements else p.breaks
        )
    return p


def judge(p: Provocation, exchange: Exchange, made_up: bool = False) -> None:
    """The generic check: a permitted error, or service where the contract allows it.

    A refusal answered like the refused control (checks/controls.py) is no evidence: not verified.
    made_up: sent with made-up credentials, so an unknown client's invalid_client is permitted too."""
    enveloped = at_the_envelope(p, exchange)
    if enveloped is None:
        return
    p = enveloped
    if made_up:
        p = replace(p, permitted=p.permitted | {"invalid_client"})
    if not (made_up and p.judged_blind):
        control = MADE_UP_CONTROL if made_up else p.endpoint
        checks.controls.refused_like_control(exchange, control, (*p.requirements, checks.responses.CLOSING[p.endpoint]))
    success = checks.register_success if p.endpoint == "register" else checks.token_success
    if SUCCESS in p.permitted and exchange.status is not None and 200 <= exchange.status < 300:
        success(exchange, p.requirements)
        return
    if REFUSAL_IS_FINDING in p.permitted and exchange.status == 400:
        checks.warn(
            p.requirements[0],
            f"refused ({checks.answer(exchange)}) a request the RFCs say to serve: "
            "unknown members or parameters are to be ignored (a SHOULD)",
        )
        return
    codes = p.permitted - MARKERS
    if not codes:
        success(exchange, p.requirements)  # must be served: a refusal breaks the requirements that say so
        return
    checks.oauth_error(exchange, p.endpoint, codes, p.requirements, p.breaks)


def _dup_member(statement: str) -> bytes:
    s = json.dumps(statement)
    return f'{{"software_statement": {s}, "software_statement": {s}}}'.encode()


def _secret_of_another_client(c: Context) -> Exchange:
    other = c.dcr.register_ok()
    if other.client_secret == c.creds.client_secret:
        # A server that reissues the same credentials (a REG-OK-3 failure) leaves no other client's secret to try.
        raise checks.CheckBlocked("two registrations returned the same client_secret: no other client's secret to try")
    return c.token_form(*c.good_form(client_secret=other.client_secret))


def _device(value: str) -> dict[str, str]:
    return {"X-Device-Info": value}


INVALID_REQUEST = "invalid_request"
BAD_STATEMENT = "invalid_software_statement"
BAD_REDIRECT = "invalid_redirect_uri"
UNAPPROVED = "unapproved_software_statement"
# A statement of the wrong JSON type, with invalid UTF-8, or not JWT-shaped: REG-ERR-1 ("wrong JSON type",
# "malformed") and REG-ERR-3 ("malformed") both describe it, so either code is right.
STATEMENT_OR_REQUEST = frozenset({INVALID_REQUEST, BAD_STATEMENT})

REGISTER: list[Provocation] = [
    # REG-REQ-1: Content-Type application/json is required.
    P(
        "REG-REQ-1 REG-ERR-1",
        "content-type text/plain",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(headers={"Content-Type": "text/plain"}),
    ),
    P(
        "REG-REQ-1 REG-ERR-1",
        "content-type absent",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(headers={"Content-Type": None}),
    ),
    P(
        "REG-REQ-1 REG-ERR-1",
        "form-encoded body",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(
            content=encode_form([("software_statement", c.valid)]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
    ),
    # REG-REQ-3: an Accept that excludes JSON.
    P(
        "REG-REQ-3 REG-ERR-1",
        "accept text/html",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(headers={"Accept": "text/html"}),
    ),
    P(
        "REG-REQ-3 REG-ERR-1",
        "accept application/xml",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(headers={"Accept": "application/xml"}),
    ),
    P(
        "REG-REQ-3 REG-ERR-1",
        "accept json with q=0",
        "register",
        INVALID_REQUEST,
        lambda c: c.dcr.register(headers={"Accept": "application/json;q=0, text/html"}),
    ),
    # REG-REQ-5 / REG-ERR-1: missing, wrong type, malformed, repeated.
    P("REG-REQ-5 REG-ERR-1", "software_statement missing", "register", INVALID_REQUEST, lambda c: c.register_json({})),
    # Two defects (no statement, and a redirect_uri no application is known to allow): either code.
    P(
        "REG-REQ-5 REG-ERR-1",
        "software_statement missing, redirect_uri only",
        "register",
        {INVALID_REQUEST, BAD_REDIRECT},
        lambda c: c.register_json({"redirect_uri": "https://app.example.com/callback"}),
    ),
    # A statement of the wrong JSON type is also not a valid signed JWT (REG-ERR-3): either code.
    P(
        "REG-REQ-5 REG-ERR-1",
        "software_statement is a number",
        "register",
        STATEMENT_OR_REQUEST,
        lambda c: c.register_json({"software_statement": 42}),
    ),
    P(
        "REG-REQ-5 REG-ERR-1",
        "software_statement is an object",
        "register",
        STATEMENT_OR_REQUEST,
        lambda c: c.register_json({"software_statement": {"jwt": c.valid}}),
    ),
    P(
        "REG-REQ-5 REG-ERR-1",
        "redirect_uri is an array",
        "register",
        {INVALID_REQUEST, BAD_REDIRECT},
        lambda c: c.register_json(
            {"software_statement": c.valid, "redirect_uri": ["https://app.example.com/callback"]}
        ),
    ),
    P("REG-ERR-1", "body is a JSON array", "register", INVALID_REQUEST, lambda c: c.register_json([c.valid])),
    P("REG-ERR-1", "body is a JSON string", "register", INVALID_REQUEST, lambda c: c.register_json(c.valid)),
    P(
        "REG-ERR-1",
        "body is truncated JSON",
        "register",
        INVALID_REQUEST,
        lambda c: c.register_bytes(json.dumps({"software_statement": c.valid}).encode()[:-7]),
    ),
    P("REG-ERR-1", "body is empty", "register", INVALID_REQUEST, lambda c: c.register_bytes(b"")),
    # The bad bytes sit inside the statement: a lenient decoder sees a malformed statement (REG-ERR-3).
    P(
        "REG-ERR-1",
        "body is invalid UTF-8",
        "register",
        STATEMENT_OR_REQUEST,
        lambda c: c.register_bytes(b'{"software_statement": "\xff\xfe\xfa"}'),
    ),
    P(
        "REG-ERR-1",
        "software_statement repeated",
        "register",
        INVALID_REQUEST,
        lambda c: c.register_bytes(_dup_member(c.valid)),
    ),
    # REG-ERR-2: redirect URIs.
    P(
        "REG-ERR-2",
        "redirect_uri relative",
        "register",
        BAD_REDIRECT,
        lambda c: c.dcr.register(redirect_uri="/callback"),
    ),
    P(
        "REG-ERR-2",
        "redirect_uri not a URI",
        "register",
        BAD_REDIRECT,
        lambda c: c.dcr.register(redirect_uri="not a uri"),
    ),
    P(
        "REG-ERR-2",
        "redirect_uri not allowed for the application",
        "register",
        BAD_REDIRECT,
        lambda c: c.dcr.register(redirect_uri="https://attacker.example.net/callback"),
    ),
    P(
        "REG-ERR-2",
        "redirect_uri with a fragment",
        "register",
        BAD_REDIRECT,
        lambda c: c.dcr.register(
            redirect_uri=(c.target.allowed_redirect_uri or "https://app.example.com/callback") + "#frag"
        ),
    ),
    P(
        "REG-ERR-2",
        "redirect_uri for an application with none",
        "register",
        BAD_REDIRECT,
        lambda c: c.dcr.register(
            c.target.statements.valid_no_redirect, redirect_uri="https://app.example.com/callback"
        ),
        needs=("statements.valid_no_redirect",),
    ),
    # REG-ERR-3: statements that are not valid signed JWTs for this service.
    P("REG-ERR-3", "alg none", "register", BAD_STATEMENT, lambda c: c.dcr.register(statements.alg_none(c.valid))),
    P(
        "REG-ERR-3",
        "alg NONE",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(statements.alg_none(c.valid, "NONE")),
    ),
    P(
        "REG-ERR-3",
        "signature bit flipped",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(statements.flipped_signature(c.valid)),
    ),
    P(
        "REG-ERR-3",
        "claims changed under the old signature",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(statements.changed_claims(c.valid)),
    ),
    P(
        "REG-ERR-3",
        "signed with a harness key",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(statements.foreign_signed(c.valid)),
    ),
    P(
        "REG-ERR-3",
        "target's foreign-signed statement",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(c.target.statements.foreign_signed),
        needs=("statements.foreign_signed",),
    ),
    P(
        "REG-ERR-3",
        "HS256 with a guessable secret",
        "register",
        BAD_STATEMENT,
        lambda c: c.dcr.register(statements.hs256_signed(c.valid, b"dcr-harness-guessable-hmac-secret")),
    ),
    P("REG-ERR-3", "not a JWT", "register", STATEMENT_OR_REQUEST, lambda c: c.dcr.register("not-a-jwt")),
    # Not JWT-shaped: a malformed statement (REG-ERR-3) or a malformed request (REG-ERR-1).
    P(
        "REG-ERR-3",
        "two segments",
        "register",
        STATEMENT_OR_REQUEST,
        lambda c: c.dcr.register(c.valid.rsplit(".", 1)[0]),
    ),
    P("REG-ERR-3", "four segments", "register", STATEMENT_OR_REQUEST, lambda c: c.dcr.register(c.valid + ".e30")),
    P("REG-ERR-3", "segments not base64url", "register", STATEMENT_OR_REQUEST, lambda c: c.dcr.register("%%%.***.$$$")),
    # REG-ERR-4: a well-formed statement that is not approved.
    P(
        "REG-ERR-4",
        "revoked statement",
        "register",
        UNAPPROVED,
        lambda c: c.dcr.register(c.target.statements.revoked),
        needs=("statements.revoked",),
    ),
    # DEV-3: malformed device info is rejected or ignored, never a 5xx.
    P(
        "DEV-3 REG-REQ-2",
        "device info from the documentation sample",
        "register",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.register(headers=_device(device_info.DOCUMENTATION_SAMPLE)),
    ),
    P(
        "DEV-3 DEV-1",
        "device info not Base64",
        "register",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.register(headers=_device("%%% not base64 %%%")),
    ),
    P(
        "DEV-3 DEV-1",
        "device info Base64 of non-JSON",
        "register",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.register(headers=_device("bm90IGpzb24=")),
    ),
    P(
        "DEV-3 DEV-2",
        "device info lacks connectionType",
        "register",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.register(headers=_device(device_info.header_value(connectionType=None))),
    ),
    P(
        "DEV-3 DEV-2",
        "device info osName outside its list",
        "register",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.register(headers=_device(device_info.header_value(osName="BeOS"))),
    ),
]

TOKEN: list[Provocation] = [
    # TOK-REQ-1: form encoding is required.
    P(
        "TOK-REQ-1 TOK-ERR-1",
        "JSON body",
        "token",
        INVALID_REQUEST,
        lambda c: c.dcr.token(
            content=json.dumps(dict(c.good_form())).encode(), headers={"Content-Type": "application/json"}
        ),
    ),
    P(
        "TOK-REQ-1 TOK-ERR-1",
        "content-type absent",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), headers={"Content-Type": None}),
    ),
    P(
        "TOK-REQ-1 TOK-ERR-1",
        "content-type text/plain",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), headers={"Content-Type": "text/plain"}),
    ),
    P(
        "TOK-REQ-3 TOK-ERR-1",
        "accept text/html",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), headers={"Accept": "text/html"}),
    ),
    # TOK-REQ-2 / TOK-ERR-1: missing or empty parameters.
    *[
        P(
            "TOK-REQ-2 TOK-ERR-1",
            f"{name} {how}",
            "token",
            INVALID_REQUEST,
            (lambda n, v: lambda c: c.token_form(*c.good_form(**{n: v})))(name, value),
        )
        for name in ("client_id", "client_secret", "grant_type")
        for how, value in (("missing", None), ("empty", ""))
    ],
    P("TOK-REQ-2 TOK-ERR-1", "empty body", "token", INVALID_REQUEST, lambda c: c.token_form()),
    # TOK-ERR-1: repeated parameters, several mechanisms, malformed.
    P(
        "TOK-ERR-1",
        "client_id repeated",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), ("client_id", c.creds.client_id)),
    ),
    P(
        "TOK-ERR-1",
        "grant_type repeated",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), ("grant_type", "client_credentials")),
    ),
    P(
        "TOK-ERR-1",
        "client_secret repeated with another value",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(*c.good_form(), ("client_secret", "other-secret-value")),
    ),
    P(
        "TOK-ERR-1",
        "HTTP Basic and body credentials",
        "token",
        INVALID_REQUEST,
        lambda c: c.token_form(
            *c.good_form(), headers={"Authorization": basic_auth(c.creds.client_id, c.creds.client_secret)}
        ),
    ),
    # A lenient decoder turns the bytes into an unknown client_id (TOK-ERR-2).
    P(
        "TOK-ERR-1",
        "body is invalid UTF-8",
        "token",
        {INVALID_REQUEST, "invalid_client"},
        lambda c: c.dcr.token(content=b"client_id=\xff\xfe&client_secret=\xfa&grant_type=client_credentials"),
    ),
    # TOK-REQ-2: undocumented forms the server may serve or refuse.
    P(
        "TOK-REQ-2",
        "HTTP Basic alone",
        "token",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.token_form(
            ("grant_type", "client_credentials"),
            headers={"Authorization": basic_auth(c.creds.client_id, c.creds.client_secret)},
        ),
    ),
    P(
        "TOK-REQ-2 TOK-ERR-1",
        "parameters in the query string only",
        "token",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.dcr.token(content=b"", query=c.good_form()),
    ),
    # TOK-ERR-2: bad credentials.
    P(
        "TOK-ERR-2",
        "unknown client_id",
        "token",
        "invalid_client",
        lambda c: c.token_form(*c.good_form(client_id="dcr-harness-unknown-client-0000")),
        judged_blind=True,
    ),
    P(
        "TOK-ERR-2",
        "wrong client_secret",
        "token",
        "invalid_client",
        lambda c: c.token_form(*c.good_form(client_secret=c.creds.client_secret[::-1] + "x")),
    ),
    P("TOK-ERR-2", "secret of another client", "token", "invalid_client", lambda c: _secret_of_another_client(c)),
    # TOK-ERR-3: a grant type the server may know but did not grant (or not know at all).
    P(
        "TOK-ERR-3",
        "grant_type password",
        "token",
        {"unauthorized_client", "unsupported_grant_type"},
        lambda c: c.token_form(*c.good_form(grant_type="password"), ("username", "harness"), ("password", "harness")),
    ),
    P(
        "TOK-ERR-3",
        "grant_type authorization_code",
        "token",
        {"unauthorized_client", "unsupported_grant_type"},
        lambda c: c.token_form(*c.good_form(grant_type="authorization_code"), ("code", "harness-code")),
    ),
    # TOK-ERR-4: grant types nobody supports.
    P(
        "TOK-ERR-4",
        "grant_type unknown URN",
        "token",
        "unsupported_grant_type",
        lambda c: c.token_form(*c.good_form(grant_type="urn:example:dcr-harness:unknown")),
    ),
    P(
        "TOK-ERR-4",
        "grant_type misspelt",
        "token",
        "unsupported_grant_type",
        lambda c: c.token_form(*c.good_form(grant_type="client_credential")),
    ),
    # DEV-3 on the token endpoint.
    P(
        "DEV-3 TOK-REQ-3",
        "device info from the documentation sample",
        "token",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.token_form(*c.good_form(), headers=_device(device_info.DOCUMENTATION_SAMPLE)),
    ),
    P(
        "DEV-3 DEV-2",
        "device info lacks model",
        "token",
        {SUCCESS, INVALID_REQUEST},
        lambda c: c.token_form(*c.good_form(), headers=_device(device_info.header_value(model=None))),
    ),
]


def as_params(table: list[Provocation]) -> list[object]:
    """pytest params carrying each provocation's requirement IDs as `req` marks."""
    import pytest

    closing = {"register": "REG-ERR-5", "token": "TOK-ERR-5"}
    return [
        pytest.param(
            p,
            id=p.id,
            marks=pytest.mark.req(
                *p.requirements, *([closing[p.endpoint]] if closing[p.endpoint] not in p.requirements else [])
            ),
        )
        for p in table
    ]
