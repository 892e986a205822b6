"""GET /api/v2/{serviceProvider}/configuration: a protected API (API-1..API-4).

Token problems get 401 with the enhanced error structure (API-3) and an RFC 6750
WWW-Authenticate challenge.
"""

from __future__ import annotations

import re
import time

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from . import lenient, rare
from .context import Context
from .errors import HELP_URL, ApiError

PATH = "/api/v2/{service_provider}/configuration"
REALM = "dcr-harness-reference"
_BEARER = re.compile(r"^Bearer +([A-Za-z0-9\-._~+/]+=*) *$", re.IGNORECASE)
CLIENT_APPLICATION = "invalid_access_token_client_application"
SERVICE_PROVIDER = "invalid_access_token_service_provider"


def bearer_token(values: list[str]) -> str:
    if not values:
        raise ApiError(CLIENT_APPLICATION, "the request carries no access token", token_sent=False)
    match = _BEARER.match(values[0]) if len(values) == 1 else None
    if match is None:
        raise ApiError(CLIENT_APPLICATION, "the Authorization header is not 'Bearer <token>'")
    return match.group(1)


def _check_token(token: str, ctx: Context) -> None:
    cfg = ctx.config
    record = ctx.store.token(lenient.token_key(token, cfg))
    if record is None:
        if not cfg.fault("api-accept-unknown-token"):
            raise ApiError(CLIENT_APPLICATION, "unknown access token")
        return
    if record.expires_at <= time.time() and not cfg.fault("api-accept-expired"):
        raise ApiError(CLIENT_APPLICATION, "the access token has expired")
    if record.revoked and not cfg.fault("api-accept-revoked"):
        raise ApiError(CLIENT_APPLICATION, "the access token's software statement is revoked")


async def handle(request: Request, ctx: Context) -> Response:
    cfg = ctx.config
    authorization = request.headers.getlist("authorization")
    rare.bearer(authorization, cfg)
    query_token = request.query_params.get("access_token") if cfg.choice("query-token") == "accept" else None
    if query_token and not authorization:
        _check_token(query_token, ctx)
    else:
        _check_token(lenient.first_word_token(authorization, cfg) or bearer_token(authorization), ctx)
    if cfg.fault("api-reject-valid"):
        raise ApiError(CLIENT_APPLICATION, "access token rejected")
    provider = request.path_params["service_provider"]
    if provider != cfg.service_provider:
        # Tokens of this server are issued for its one service provider.
        raise ApiError(SERVICE_PROVIDER, f"the access token was not issued for service provider {provider!r}")
    return JSONResponse(
        {
            "id": provider,
            "displayName": "Reference Service Provider",
            "mvpds": [
                {"id": "REFMVPD", "displayName": "Reference MVPD", "logoUrl": "https://app.example.com/mvpd.png"}
            ],
        }
    )


def render_error(err: ApiError, ctx: Context) -> Response:
    cfg = ctx.config
    status = 403 if err.status == 401 and cfg.fault("api-status-403") else err.status
    members = cfg.choice("error-members")  # optional members as text, null or non-strings: a permitted choice
    null = members == "null"
    body = {
        "action": err.action,
        "status": 400 if cfg.fault("api-error-status-mismatch") else status,
        "code": SERVICE_PROVIDER
        if err.code == CLIENT_APPLICATION and cfg.choice("api-token-code") == "service-provider"
        else err.code,
        "message": None if null else err.message,
        "helpUrl": None if null else HELP_URL,
        **({"details": None, "trace": None} if null else {}),
        **({"details": {"reason": err.message}, "trace": 0} if members == "structured" else {}),
    }
    headers = {}
    if status == 401:
        error = ', error="invalid_token"' if err.token_sent else ""
        headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"{error}'
    if cfg.fault("api-error-body-plain") or cfg.choice("api-error-body") == "text":
        return PlainTextResponse(f"{status} {err.code}: {err.message}", status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)
