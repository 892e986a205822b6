"""The DCR client that checks drive: well-behaved by default, anything on request.

Defaults are what a conformant client sends (CLI-1): the documented Content-Type, Accept
JSON, a valid X-Device-Info, and the device header. `headers` overrides any of them; a
header given as None is left out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_plus, urlencode

from ..contract import device_info
from ..errors import PreconditionFailed
from ..reasons import blocked_by
from .exchange import Exchange
from .session import USER_AGENT, Session

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
UNSET: Any = object()
# THR-1: the device is the FIRST address of X-Forwarded-For. Every request names a proxy after the
# device (RFC 5737 TEST-NET-3), so that a server keying on another address throttles all checks as one.
FORWARDING_PROXY = "203.0.113.7"


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    registration: Exchange

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=<masked>)"  # never the secret

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))


def encode_form(pairs: Sequence[tuple[str, str]]) -> bytes:
    """Form encoding that keeps order and repeats (a repeated field is a provocation)."""
    return urlencode(list(pairs)).encode()


def basic_auth(client_id: str, client_secret: str) -> str:
    """RFC 6749 2.3.1: id and secret are form-encoded before base64 (a secret with '+' or '%' must survive)."""
    pair = f"{quote_plus(client_id)}:{quote_plus(client_secret)}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _merge(
    defaults: Mapping[str, str | bytes | None], overrides: Mapping[str, str | bytes | None] | None
) -> dict[str, str | bytes | None]:
    """Headers with overrides applied case-insensitively; None means leave the header out."""
    merged = dict(defaults)
    lowered = {k.lower(): k for k in merged}
    for name, value in (overrides or {}).items():
        merged.pop(lowered.get(name.lower(), name), None)
        merged[name] = value
    return merged


class DcrClient:
    def __init__(self, session: Session, device: str | None = None, *, paced: bool = True) -> None:
        self.session = session
        self.target = session.target
        self.device = device or session.new_device()
        self.paced = paced

    def device_value(self) -> str:
        """The device header's value: the device, then a proxy when the header is X-Forwarded-For."""
        forwarded = self.target.throttle.device_header.lower() == "x-forwarded-for"
        return f"{self.device}, {FORWARDING_PROXY}" if forwarded else self.device

    def _headers(self, headers: Mapping[str, str | bytes | None] | None) -> list[tuple[str, str | bytes]]:
        # User-Agent is a per-request default (not the httpx client's), so that None really omits it (REG-REQ-4).
        merged = _merge({"User-Agent": USER_AGENT, self.target.throttle.device_header: self.device_value()}, headers)
        return [(k, v) for k, v in merged.items() if v is not None]

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        headers: Mapping[str, str | bytes | None] | None = None,
        content: bytes = b"",
        query: Sequence[tuple[str, str]] | None = None,
        extra_headers: Sequence[tuple[str, str | bytes]] = (),
    ) -> Exchange:
        """Any request at all: raw bytes, any headers, a query string; `extra_headers` are sent after the
        others (a header repeated is a provocation; bytes values carry non-ASCII or invalid UTF-8)."""
        url = path_or_url if "://" in path_or_url else self.target.url(path_or_url)
        if query:
            url += ("&" if "?" in url else "?") + urlencode(list(query))
        return self.session.send_raw(
            method,
            url,
            headers=[*self._headers(headers), *extra_headers],
            content=content,
            device=self.device,
            paced=self.paced,
        )

    def register(
        self,
        statement: str | None = UNSET,
        *,
        redirect_uri: str | None = None,
        body: Any = UNSET,
        content: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
        extra_headers: Sequence[tuple[str, str | bytes]] = (),
    ) -> Exchange:
        """POST the register endpoint. `body` replaces the JSON object; `content` the bytes."""
        if content is None:
            if body is UNSET:
                body = {"software_statement": self.target.statements.valid if statement is UNSET else statement}
                if body["software_statement"] is None:
                    del body["software_statement"]
                if redirect_uri is not None:
                    body["redirect_uri"] = redirect_uri
            content = json.dumps(body).encode()
        defaults = {"Content-Type": JSON, "Accept": JSON, "X-Device-Info": device_info.header_value()}
        return self.send(
            "POST",
            self.target.register_path,
            headers=_merge(defaults, headers),
            content=content,
            extra_headers=extra_headers,
        )

    def token(
        self,
        client_id: str | None = None,
        client_secret: str | None = None,
        grant_type: str | None = "client_credentials",
        *,
        form: Sequence[tuple[str, str]] | None = None,
        content: bytes | None = None,
        query: Sequence[tuple[str, str]] | None = None,
        headers: Mapping[str, str | None] | None = None,
        extra_headers: Sequence[tuple[str, str | bytes]] = (),
    ) -> Exchange:
        """POST the token endpoint. `form` replaces the fields (order and repeats kept)."""
        if content is None:
            if form is None:
                form = [
                    (k, v)
                    for k, v in (("client_id", client_id), ("client_secret", client_secret), ("grant_type", grant_type))
                    if v is not None
                ]
            content = encode_form(form)
        defaults = {"Content-Type": FORM, "Accept": JSON, "X-Device-Info": device_info.header_value()}
        return self.send(
            "POST",
            self.target.token_path,
            headers=_merge(defaults, headers),
            content=content,
            query=query,
            extra_headers=extra_headers,
        )

    def call_api(
        self,
        access_token: str | None = None,
        *,
        authorization: str | bytes | None = UNSET,
        headers: Mapping[str, str | None] | None = None,
        extra_headers: Sequence[tuple[str, str | bytes]] = (),
    ) -> Exchange:
        """Call the target's protected API with a bearer token (CLI-4), or a raw Authorization."""
        api = self.target.protected_api
        if api is None:
            raise LookupError("the target names no protected_api")
        if authorization is UNSET:
            authorization = f"Bearer {access_token}" if access_token is not None else None
        defaults = {"Accept": JSON, "Authorization": authorization}
        return self.send(api.method, api.path, headers=_merge(defaults, headers), extra_headers=extra_headers)

    def revoke(self, software_id: str) -> Exchange:
        """The test-only admin hook of TARGET.md: revoke an application mid-run."""
        admin = self.target.admin
        if admin is None:
            raise LookupError("the target names no admin hook")
        headers = {
            "Content-Type": JSON,
            "Authorization": f"Bearer {admin.token}",
            self.target.throttle.device_header: None,
        }
        return self.session.send_raw(
            "POST",
            admin.revoke_url,
            headers=[(k, v) for k, v in headers.items() if v is not None],
            content=json.dumps({"software_id": software_id}).encode(),
            device=None,
            paced=False,
        )

    # Composite steps that many checks need as a precondition.

    def register_ok(self, statement: str | None = UNSET, **kwargs: Any) -> Credentials:
        exchange = self.register(statement, **kwargs)
        body = exchange.json()
        if (
            exchange.status not in (200, 201)
            or not isinstance(body, dict)
            or not {"client_id", "client_secret"} <= body.keys()
        ):
            raise PreconditionFailed(
                "registration with the valid statement did not succeed (blocked by REG-OK-1)",
                exchange,
                blocked_by("REG-OK-1"),
            )
        secret = self.session.masker.secret(str(body["client_secret"]))  # a Secret: its repr is masked
        return Credentials(str(body["client_id"]), secret, exchange)

    def token_ok(self, creds: Credentials, **kwargs: Any) -> tuple[str, Exchange]:
        exchange = self.token(creds.client_id, creds.client_secret, **kwargs)
        body = exchange.json()
        if (
            exchange.status not in (200, 201)
            or not isinstance(body, dict)
            or not isinstance(body.get("access_token"), str)
        ):
            raise PreconditionFailed("a token request with fresh credentials did not succeed", exchange)
        return self.session.masker.secret(body["access_token"]), exchange
