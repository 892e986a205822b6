"""The Starlette application: routes, and the wrapper every endpoint runs in.

The wrapper throttles (THR-*), turns client-input problems into the endpoint's own 4xx,
and turns any unexpected exception into 400 invalid_request (logged): a 5xx answer to
client input would itself break REG-ERR-5/TOK-ERR-5. Only faults produce 5xx.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import admin, protected, register, tokens
from .config import ServerConfig
from .context import Context
from .device import DeviceInfoCheck
from .errors import ApiError, DcrError, InjectedFailure, RequestError, injected_failure, invalid_request, oauth_error
from .keys import Keys
from .parsing import drain
from .store import Store
from .throttle import Throttle

log = logging.getLogger(__name__)

REGISTER_PATH = "/o/client/register"
TOKEN_PATH = "/o/client/token"
ADMIN_REVOKE_PATH = "/admin/revoke"

Handler = Callable[[Request, Context], Awaitable[Response]]
Renderer = Callable[[Any, Context], Response]


def _endpoint(handler: Handler, render: Renderer, fallback: Callable[[], RequestError], throttled: bool = True):
    async def answer(request: Request) -> Response:
        ctx: Context = request.app.state.ctx
        try:
            refusal = ctx.throttle.refusal(request) if throttled else None
            return refusal or await handler(request, ctx)
        except InjectedFailure:
            return injected_failure()
        except RequestError as err:
            return render(err, ctx)
        except Exception:
            log.exception(
                "unexpected error on %s %s; answered as a malformed request", request.method, request.url.path
            )
            return render(fallback(), ctx)

    async def run(request: Request) -> Response:
        response = await answer(request)
        await drain(request)  # a refusal decided before the body was read (size cap, headers, throttle)
        return response

    return run


def _oauth(err: DcrError, ctx: Context) -> Response:
    return oauth_error(err, ctx.config.choice("error-members"))


def _dcr_fallback() -> RequestError:
    return invalid_request("malformed request")


def _api_fallback() -> RequestError:
    return ApiError("invalid_request", "malformed request", status=400, action="none")


async def _http_error(request: Request, exc: Exception) -> Response:
    # Unknown paths (404) and wrong methods (405): not client input to the contract.
    assert isinstance(exc, HTTPException)
    body = {"error": "not_found" if exc.status_code == 404 else "method_not_allowed", "status": exc.status_code}
    return JSONResponse(body, status_code=exc.status_code, headers=exc.headers)


def create_app(config: ServerConfig, store: Store, keys: Keys, throttle: Throttle | None = None) -> Starlette:
    """The server as an ASGI app; `throttle` may be injected (tests drive its clock)."""
    ctx = Context(
        config=config,
        store=store,
        keys=keys,
        throttle=throttle or Throttle(config),
        device_info=DeviceInfoCheck(
            config.choice("device-info"),
            fail_500=config.fault("dev-500-bad-device-info"),
            fail_500_on_control_key=config.fault("rare-500-device-key-control"),
        ),
    )
    routes = [
        Route(REGISTER_PATH, _endpoint(register.handle, register.render_error, _dcr_fallback), methods=["POST"]),
        Route(
            TOKEN_PATH,
            _endpoint(tokens.handle, _oauth, _dcr_fallback, throttled=not config.fault("thr-token-exempt")),
            methods=["POST"],
        ),
        Route(protected.PATH, _endpoint(protected.handle, protected.render_error, _api_fallback), methods=["GET"]),
        Route(ADMIN_REVOKE_PATH, _endpoint(admin.handle, _oauth, _dcr_fallback, throttled=False), methods=["POST"]),
    ]
    app = Starlette(routes=routes, exception_handlers={404: _http_error, 405: _http_error})
    app.state.ctx = ctx
    return app
