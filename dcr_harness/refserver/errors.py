"""Error answers: OAuth-style `{"error": CODE}` on the DCR endpoints (REG-ERR-*, TOK-ERR-*)
and the enhanced error structure on protected APIs (API-3)."""

from __future__ import annotations

from starlette.responses import JSONResponse, PlainTextResponse, Response

# Errors are never cached: an error answer to one client's credentials must not be replayed.
NO_STORE = {"Cache-Control": "no-store"}
HELP_URL = "https://experienceleague.adobe.com/en/docs/pass/authentication/enhanced-error-codes"


class RequestError(Exception):
    """A client input problem that the endpoint answers with a 4xx of its own kind."""


class DcrError(RequestError):
    """An OAuth error on register/token (always 400 there), or on the admin hook."""

    def __init__(self, code: str, description: str, status: int = 400) -> None:
        # Descriptions may quote client input: keep them encodable whatever the input was.
        description = description.encode("utf-8", "backslashreplace").decode("utf-8")
        super().__init__(f"{code}: {description}")
        self.code, self.description, self.status = code, description, status


class ApiError(RequestError):
    """An enhanced-error answer of a protected API (API-2, API-3)."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int = 401,
        action: str = "application-registration",
        token_sent: bool = True,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.status, self.action = code, message, status, action
        self.token_sent = token_sent  # RFC 6750 3.1: no error code in the challenge without a token


class InjectedFailure(Exception):
    """A fault asks for a 5xx here; the endpoint wrapper lets it through on purpose."""


def invalid_request(description: str) -> DcrError:
    return DcrError("invalid_request", description)


def oauth_error(err: DcrError, members: str = "text") -> Response:
    """{"error": CODE, "error_description": ...}; choice error-members: the description as text, null or an object."""
    description = {"text": err.description, "null": None, "structured": {"description": err.description}}[members]
    body = {"error": err.code, "error_description": description}
    return JSONResponse(body, status_code=err.status, headers=NO_STORE)


def injected_failure() -> Response:
    return PlainTextResponse("Internal Server Error (injected fault)", status_code=500)
