"""POST /o/client/register (REG-*): software statement in, fresh client credentials out."""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from . import credentials, lenient, rare
from .context import Context
from .errors import NO_STORE, DcrError, InjectedFailure, invalid_request, oauth_error
from .faults import CONTROL_CHARS
from .keys import StatementError, StatementOutsideValidity
from .negotiation import JSON, require_content_type, require_json_accept
from .parsing import decode_json, read_body
from .store import Application

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
_JWT_SHAPE = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
LONG_REDIRECT = 2000  # gen-500-long-param
MEMBERS = frozenset({"software_statement", "redirect_uri"})  # REG-REQ-5: all the contract names


def _bad_statement(description: str) -> DcrError:
    return DcrError("invalid_software_statement", description)


def _bad_redirect(description: str) -> DcrError:
    return DcrError("invalid_redirect_uri", description)


def _strings(value: Any) -> list[str]:
    """Every string in a JSON value, keys included (for gen-500-control-char)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (k, *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def is_absolute_uri(value: str) -> bool:
    """RFC 3986 absolute-URI: a scheme, no fragment, no whitespace or control characters."""
    if not value or "#" in value or any(c.isspace() or ord(c) < 0x20 for c in value):
        return False
    scheme, sep, _ = value.partition(":")
    return bool(sep) and bool(_SCHEME.match(scheme))


def _statement_error(code: str, description: str) -> DcrError:
    return invalid_request(description) if code == "invalid_request" else _bad_statement(description)


def _members(doc: dict[str, Any], ctx: Context) -> tuple[str, str | None]:
    """The statement and redirect_uri of a register body; where the contract leaves a choice, the chosen code.

    Two defects (no usable statement and a redirect_uri): error-order decides which is named.
    """
    cfg = ctx.config
    if cfg.choice("unknown-members") == "reject" and set(doc) - MEMBERS:
        raise invalid_request(f"unknown member(s): {', '.join(sorted(set(doc) - MEMBERS))[:200]}")
    redirect_uri = doc.get("redirect_uri")
    if redirect_uri in (None, "") and cfg.choice("empty-redirect-uri") == "absent":
        redirect_uri = None
    elif "redirect_uri" in doc and not isinstance(redirect_uri, str):
        raise invalid_request("redirect_uri must be a string")
    statement = doc.get("software_statement")
    if isinstance(statement, str) and cfg.fault("rare-accept-padded-statement"):
        statement = statement.strip()
    if not isinstance(statement, str) or statement == "":
        if redirect_uri is not None and cfg.choice("error-order") == "value-first":
            raise _bad_redirect("no application to allow this redirect_uri: the statement is missing")
        if "software_statement" not in doc:
            raise invalid_request("software_statement is required")
        if statement == "":
            raise _statement_error(cfg.choice("empty-statement"), "software_statement is empty")
        raise _statement_error(cfg.choice("statement-type"), "software_statement must be a string")
    if not _JWT_SHAPE.fullmatch(statement):
        raise _statement_error(cfg.choice("jwt-shape"), "software_statement is not a JWT (three base64url segments)")
    return statement, redirect_uri


def _approved_application(statement: str, ctx: Context) -> Application:
    cfg = ctx.config
    try:
        claims = ctx.keys.verify(
            statement,
            allow_alg_none=cfg.fault("reg-accept-alg-none"),
            check_signature=not cfg.fault("reg-accept-foreign-key"),
            check_exp=not cfg.fault("gen-accept-expired-statement"),
        )
    except StatementOutsideValidity as exc:
        raise DcrError(cfg.choice("statement-time"), str(exc)) from None
    except StatementError as exc:
        raise _bad_statement(str(exc)) from None
    software_id = claims.get("software_id")
    if not isinstance(software_id, str) or not software_id:
        raise _bad_statement("software_id claim missing")
    app = ctx.store.application(software_id)
    if app is None:
        raise _bad_statement("unknown software_id")
    if ctx.store.is_revoked(software_id) and not cfg.fault("reg-ignore-revocation"):
        raise DcrError("unapproved_software_statement", "the application's statement is revoked")
    return app


def _redirect_uris(app: Application, redirect_uri: str | None, ctx: Context) -> list[str]:
    if redirect_uri is None:
        return list(app.redirect_uris)
    if not ctx.config.fault("reg-accept-any-redirect"):
        if not is_absolute_uri(redirect_uri):
            raise _bad_redirect("redirect_uri is not an absolute URI")
        if redirect_uri not in app.redirect_uris:
            raise _bad_redirect("redirect_uri is not registered for this application")
    return [redirect_uri]


def _credentials(app: Application, issued_at: int, ctx: Context) -> tuple[str, str]:
    reuse = ctx.config.fault("reg-reuse-credentials")
    if reuse and app.software_id in ctx.reused_credentials:
        return ctx.reused_credentials[app.software_id]
    client_id, secret, salt = credentials.new_client_id(), credentials.new_secret(), credentials.new_salt()
    ctx.store.add_client(
        client_id, salt, credentials.hash_secret(lenient.secret_form(secret, ctx.config), salt), app, issued_at
    )
    if reuse:
        ctx.reused_credentials[app.software_id] = (client_id, secret)
    return client_id, secret


async def handle(request: Request, ctx: Context) -> Response:
    cfg = ctx.config
    rare.headers(request, cfg, "register")
    if cfg.fault("reg-refuses-all"):
        raise _bad_redirect("redirect_uri is not registered for this application")
    if not cfg.fault("reg-accept-any-content-type"):
        require_content_type(request, JSON)
    if not cfg.fault("reg-ignore-accept"):
        require_json_accept(request, refuse_conflicts=cfg.choice("accept-conflict") == "refuse")
    ctx.device_info(request)
    body = await read_body(request, cfg.max_body_bytes)
    rare.register_body(body, cfg)
    try:
        doc = decode_json(
            body, last_wins=cfg.fault("reg-dup-member-last-wins"), lenient=cfg.choice("invalid-utf8") == "replace"
        )
    except DcrError:
        if cfg.fault("reg-500-bad-json"):
            raise InjectedFailure() from None
        raise
    if not isinstance(doc, dict):
        raise invalid_request("body must be a JSON object")
    if cfg.fault("gen-500-control-char") and any(CONTROL_CHARS.search(s) for s in _strings(doc)):
        raise InjectedFailure()

    statement, redirect_uri = _members(doc, ctx)
    rare.redirect_uri(redirect_uri, cfg)
    rare.statement(statement, cfg)
    if cfg.fault("gen-500-long-param") and redirect_uri is not None and len(redirect_uri) > LONG_REDIRECT:
        raise InjectedFailure()

    app = _approved_application(statement, ctx)
    redirect_uris = _redirect_uris(app, redirect_uri, ctx)
    issued_at = int(time.time())
    client_id, secret = _credentials(app, issued_at, ctx)
    answer: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": secret,
        "client_id_issued_at": issued_at * 1000 if cfg.fault("reg-issued-at-ms") else issued_at,
        "redirect_uris": redirect_uris,
        "grant_types": [] if cfg.fault("reg-no-client-credentials-grant") else list(app.grant_types),
        "scopes": list(app.scopes),
    }
    if cfg.fault("reg-missing-field"):
        del answer["client_id_issued_at"]
    status = 200 if cfg.fault("reg-status-200") else 201
    return JSONResponse(answer, status_code=status, headers=NO_STORE)


def render_error(err: DcrError, ctx: Context) -> Response:
    cfg = ctx.config
    if err.code == "invalid_request" and cfg.fault("reg-wrong-error-code"):
        err = DcrError("invalid_client_metadata", err.description, err.status)
    if cfg.fault("reg-error-not-json"):
        return PlainTextResponse(f"error={err.code}", status_code=err.status, headers=NO_STORE)
    return oauth_error(err, cfg.choice("error-members"))
