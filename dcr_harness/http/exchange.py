"""One recorded request and its answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from .curl import to_curl
from .masking import Masker

BODY_PREVIEW_LIMIT = 4096
# A failing generated example's request is kept whole up to this size, so that `dcr-harness replay` can send it again.
CASE_BODY_LIMIT = 65536


@dataclass(repr=False)
class Exchange:
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytes = b""
    elapsed: float = 0.0
    started_at: float = 0.0
    device: str | None = None
    error: str | None = None
    note: str | None = None  # e.g. "retried after an unexpected 429"
    case: dict[str, Any] | None = None  # the generated case a failing example sent (replay judges it again)

    def __repr__(self) -> str:
        # Assertion texts and tracebacks show this: never the bodies, headers or query (secrets live there).
        return f"<Exchange {self.method} {urlsplit(self.url).path} -> {self.error or self.status}>"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """Hypothesis prints dataclasses field by field unless told otherwise (falsifying examples)."""
        printer.text(repr(self))

    def header(self, name: str) -> str | None:
        """The first response header of that name (case-insensitive)."""
        lname = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == lname), None)

    def request_header(self, name: str) -> str | None:
        lname = name.lower()
        return next((v for k, v in self.request_headers if k.lower() == lname), None)

    @property
    def media_type(self) -> str | None:
        value = self.header("content-type")
        return value.split(";")[0].strip().lower() if value else None

    def json(self) -> Any:
        """The response body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.response_body)
        except (ValueError, UnicodeDecodeError):
            return None

    def describe(self) -> str:
        if self.error:
            return f"{self.method} {self.url} -> transport error: {self.error}"
        return f"{self.method} {self.url} -> {self.status} ({self.elapsed * 1000:.0f} ms)"

    def curl(self, masker: Masker) -> str:
        return to_curl(self, masker)

    def summary(self, masker: Masker) -> dict[str, Any]:
        """The exchange in one line's worth of fields: how a passed check's traffic is reported."""
        return {
            "method": self.method,
            "url": masker.mask(self.url),
            "status": self.status,
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "error": self.error,
            "note": self.note,
            "started": self.started_iso,
        }

    @property
    def started_iso(self) -> str | None:
        """When the request was sent (UTC, milliseconds): HAR's startedDateTime."""
        if not self.started_at:
            return None
        return datetime.fromtimestamp(self.started_at, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    def to_dict(self, masker: Masker) -> dict[str, Any]:
        """The exchange as artifacts show it: every secret masked, bodies cut to a preview."""

        def body(data: bytes, limit: int = BODY_PREVIEW_LIMIT) -> str:
            text = masker.mask_bytes(data[:limit])
            return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")

        return {
            "method": self.method,
            "url": masker.mask(self.url),
            "device": self.device,
            "request_headers": [[k, masker.mask(v)] for k, v in self.request_headers],
            "request_body": body(self.request_body, CASE_BODY_LIMIT if self.case else BODY_PREVIEW_LIMIT),
            "status": self.status,
            "response_headers": [[k, masker.mask(v)] for k, v in self.response_headers],
            "response_body": body(self.response_body),
            "elapsed_ms": round(self.elapsed * 1000, 1),
            "error": self.error,
            "note": self.note,
            "started": self.started_iso,
            "curl": self.curl(masker),
            **(
                {"case": {**self.case, "id": masker.mask(self.case["id"]), "name": masker.mask(self.case["name"])}}
                if self.case
                else {}
            ),
        }
