"""POST /admin/revoke: the test-only hook that revokes an application mid-run (TARGET.md
`admin`). Not throttled and not subject to faults: it is the harness's lever, not the
contract under test."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .context import Context
from .errors import DcrError, invalid_request
from .parsing import decode_json, read_body

ADMIN_BODY_LIMIT = 4096


def _authorized(values: list[str], admin_token: str) -> bool:
    if len(values) != 1:
        return False
    scheme, _, token = values[0].strip().partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(token.strip().encode(), admin_token.encode())


async def handle(request: Request, ctx: Context) -> Response:
    admin_token = ctx.config.admin_token
    if not admin_token or not _authorized(request.headers.getlist("authorization"), admin_token):
        raise DcrError("unauthorized", "admin token required", status=401)
    doc = decode_json(await read_body(request, ADMIN_BODY_LIMIT))
    software_id = doc.get("software_id") if isinstance(doc, dict) else None
    if not isinstance(software_id, str) or not software_id:
        raise invalid_request('body must be {"software_id": "..."}')
    if not ctx.store.revoke(software_id):
        raise DcrError("not_found", "no such application", status=404)
    return JSONResponse({"revoked": software_id})
