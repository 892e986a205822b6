"""POST /o/client/token (TOK-*): client credentials in, a bearer access token out.

Checks run in the order of the error codes' precedence: malformed request
(invalid_request), unknown grant type (unsupported_grant_type), bad credentials
(invalid_client), grant not allowed for this client (unauthorized_client).
"""

from __future__ import annotations

import re
import time
import uuid
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import credentials, lenient, rare
from .context import Context
from .errors import DcrError, InjectedFailure, invalid_request
from .faults import CONTROL_CHARS
from .negotiation import FORM, media_type, require_content_type, require_json_accept
from .parsing import basic_credentials, parse_form, read_body, single_valued

KNOWN_GRANT_TYPES = frozenset(
    {
        "client_credentials",
        "authorization_code",
        "refresh_token",
        "password",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "urn:ietf:params:oauth:grant-type:device_code",
    }
)
REQUIRED = ("client_id", "client_secret", "grant_type")
LONG_CLIENT_ID = 512  # gen-500-long-param
# choice grant-parameters=require: what each known grant type needs beside it (RFC 6749, RFC 7523, RFC 8628).
GRANT_PARAMETERS = {
    "authorization_code": ("code",),
    "refresh_token": ("refresh_token",),
    "password": ("username", "password"),
    "urn:ietf:params:oauth:grant-type:jwt-bearer": ("assertion",),
    "urn:ietf:params:oauth:grant-type:device_code": ("device_code",),
}
# choice unknown-members=reject: the parameters an OAuth token endpoint knows.
KNOWN_PARAMETERS = (
    frozenset(REQUIRED)
    | {p for names in GRANT_PARAMETERS.values() for p in names}
    | {
        "scope",
        "redirect_uri",
        "code_verifier",
        "client_assertion",
        "client_assertion_type",
        "resource",
        "audience",
    }
)
# choice malformed-credentials=invalid_request: printable ASCII, and no longer than any credential issued.
_PRINTABLE = re.compile(r"[\x20-\x7e]{0,255}")


def _invalid_client(description: str) -> DcrError:
    return DcrError("invalid_client", description)


async def _parameters(request: Request, ctx: Context) -> dict[str, str]:
    """Body parameters, plus HTTP Basic credentials when they are the only credentials."""
    cfg = ctx.config
    last_wins = cfg.fault("tok-repeated-param-last-wins")
    raw = await read_body(request, cfg.max_body_bytes)
    rare.form_body(raw, cfg)
    pairs = parse_form(raw, lenient=cfg.choice("invalid-utf8") == "replace")
    if cfg.fault("rare-accept-repeated-same-param"):
        pairs = list(dict.fromkeys(pairs))  # a pair sent twice counts once
    if cfg.choice("empty-repeat") == "omitted":
        pairs = [(name, value) for name, value in pairs if value]  # RFC 6749 3.2: empty counts as omitted
    params = single_valued(pairs, last_wins=last_wins)
    if cfg.choice("unknown-members") == "reject" and set(params) - KNOWN_PARAMETERS:
        raise invalid_request(f"unknown parameter(s): {', '.join(sorted(set(params) - KNOWN_PARAMETERS))[:200]}")
    if cfg.fault("tok-accept-query-params") or cfg.choice("query-params") == "use":
        # A permitted choice: query parameters fill what the body lacks.
        for name, value in single_valued(
            parse_form(request.scope.get("query_string", b"")), last_wins=last_wins
        ).items():
            params.setdefault(name, value)
    if cfg.fault("gen-500-control-char") and any(CONTROL_CHARS.search(v) for v in params.values()):
        raise InjectedFailure()
    basic = basic_credentials(request.headers.getlist("authorization"))
    if basic is not None:
        if params.get("client_id") or params.get("client_secret"):
            if not cfg.fault("tok-basic-plus-body-accepted"):
                raise invalid_request("client authenticated both with HTTP Basic and in the body")
        elif cfg.choice("basic-alone") == "refuse":
            raise invalid_request("HTTP Basic alone is not the documented form: send the credentials in the body")
        else:
            params["client_id"], params["client_secret"] = basic
    return params


async def handle(request: Request, ctx: Context) -> Response:
    cfg = ctx.config
    rare.headers(request, cfg, "token")
    if cfg.fault("tok-415-non-form") and media_type(request.headers.get("content-type")) != FORM:
        return JSONResponse({"message": "Unsupported Media Type"}, status_code=415)
    require_content_type(request, FORM)
    require_json_accept(
        request,
        allow_params=not cfg.fault("tok-accept-json-params-only"),
        refuse_conflicts=cfg.choice("accept-conflict") == "refuse",
    )
    ctx.device_info(request)
    params = await _parameters(request, ctx)
    client_id, secret, grant_type = (params.get(name, "") for name in REQUIRED)
    if cfg.fault("gen-500-long-param") and len(client_id) > LONG_CLIENT_ID:
        raise InjectedFailure()
    if cfg.choice("malformed-credentials") == "invalid_request" and not all(
        _PRINTABLE.fullmatch(params.get(n, "")) for n in REQUIRED
    ):
        raise invalid_request("malformed parameter value (control or non-ASCII characters, or overlong)")
    if cfg.choice("error-order") == "value-first":
        _check_values(params, ctx)  # the bad value's own code before the missing parameter's invalid_request
    empty_secret_ok = cfg.fault("gen-accept-empty-secret") and "client_secret" in params
    # RFC 6749 3.2: a parameter sent without a value counts as omitted.
    missing = [n for n in REQUIRED if not params.get(n) and not (n == "client_secret" and empty_secret_ok)]
    if missing:
        raise invalid_request(f"missing parameter(s): {', '.join(missing)}")
    if cfg.choice("grant-parameters") == "require" and not all(
        params.get(p) for p in GRANT_PARAMETERS.get(grant_type, ())
    ):
        raise invalid_request(f"grant_type {grant_type} needs {', '.join(GRANT_PARAMETERS[grant_type])}")
    if grant_type not in KNOWN_GRANT_TYPES:
        code = "invalid_request" if cfg.fault("tok-unknown-grant-invalid-request") else "unsupported_grant_type"
        raise DcrError(code, "grant_type is not supported by this server")

    client = ctx.store.client(client_id, ignore_case=cfg.fault("near-client-id-case-insensitive"))
    if client is None:
        raise _invalid_client("unknown client")
    skip_secret = cfg.fault("tok-accept-wrong-secret") or (empty_secret_ok and secret == "")
    if not skip_secret and not lenient.secret_ok(secret, client, ctx):
        raise _invalid_client("wrong client secret")
    if client.revoked:
        raise _invalid_client("the client's software statement is revoked")
    if grant_type not in client.grant_types and not cfg.fault("tok-ungranted-grant-accepted"):
        raise DcrError("unauthorized_client", "grant_type not granted to this client")
    if cfg.fault("tok-no-refresh") and ctx.store.has_tokens(client_id):
        raise _invalid_client("credentials already used")
    return _issue(client.client_id, ctx)


def _check_values(params: dict[str, str], ctx: Context) -> None:
    """error-order=value-first: the values that are present are judged before anything missing."""
    grant_type, client_id, secret = params.get("grant_type"), params.get("client_id"), params.get("client_secret")
    if grant_type and grant_type not in KNOWN_GRANT_TYPES:
        raise DcrError("unsupported_grant_type", "grant_type is not supported by this server")
    client = (
        ctx.store.client(client_id, ignore_case=ctx.config.fault("near-client-id-case-insensitive"))
        if client_id
        else None
    )
    if client_id and client is None:
        raise _invalid_client("unknown client")
    if client is not None and secret and not lenient.secret_ok(secret, client, ctx):
        raise _invalid_client("wrong client secret")


def _issue(client_id: str, ctx: Context) -> Response:
    cfg = ctx.config
    now = time.time()
    token, token_id, created_ms = credentials.new_access_token(), str(uuid.uuid4()), int(now * 1000)
    ctx.store.add_token(lenient.token_key(token, cfg), token_id, client_id, created_ms, now + cfg.token_ttl)
    created_at: int | str = created_ms
    if cfg.fault("tok-created-at-seconds"):
        created_at = datetime.fromtimestamp(now, UTC).isoformat()
    answer = {
        "id": token_id,
        "access_token": token,
        "created_at": created_at,
        "expires_in": int(cfg.token_ttl),
        "token_type": "mac" if cfg.fault("tok-token-type-mac") else cfg.choice("token-type"),
    }
    if cfg.fault("tok-missing-created-at"):
        del answer["created_at"]
    # RFC 6749 5.1 (TOK-OK-4).
    headers = {} if cfg.fault("tok-no-cache-headers") else {"Cache-Control": "no-store", "Pragma": "no-cache"}
    return JSONResponse(answer, status_code=200 if cfg.fault("tok-status-200") else 201, headers=headers)
