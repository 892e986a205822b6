"""exchanges.har: the run's HTTP exchanges as a HAR 1.2 log, which browsers' developer tools,
proxies and API clients open.

Built from the results dict, so it holds exactly what results.json holds, masked the same
way (secrets as ${DCR_...} references) and written through the run's secret scanner. Failed,
errored and warned checks keep whole exchanges (headers and bodies); other checks only a
summary, whose entries carry no headers and an empty body of unknown size (-1). Each entry
names its check and requirements in the `_check` and `_requirements` fields (HAR's custom
fields start with an underscore).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .. import __version__

HAR_NAME = "exchanges.har"
HTTP_VERSION = "HTTP/1.1"


def _headers(pairs: list[list[str]] | None) -> list[dict[str, str]]:
    return [{"name": k, "value": v} for k, v in pairs or []]


def _header(pairs: list[list[str]] | None, name: str) -> str:
    return next((v for k, v in pairs or [] if k.lower() == name), "")


def _status_text(status: int | None) -> str:
    try:
        return HTTPStatus(status).phrase if status else ""
    except ValueError:
        return ""


def entry(x: Mapping[str, Any], check: Mapping[str, Any], started: str) -> dict[str, Any]:
    """One exchange (as results.json holds it) as a HAR entry."""
    whole = "request_headers" in x
    req_body, resp_body = x.get("request_body") or "", x.get("response_body") or ""
    request: dict[str, Any] = {
        "method": x["method"],
        "url": x["url"],
        "httpVersion": HTTP_VERSION,
        "cookies": [],
        "headers": _headers(x.get("request_headers")),
        "queryString": [
            {"name": k, "value": v} for k, v in parse_qsl(urlsplit(x["url"]).query, keep_blank_values=True)
        ],
        "headersSize": -1,
        "bodySize": len(req_body.encode()) if whole else -1,
    }
    if whole and req_body:
        request["postData"] = {"mimeType": _header(x.get("request_headers"), "content-type"), "text": req_body}
    content: dict[str, Any] = {
        "size": len(resp_body.encode()) if whole else -1,
        "mimeType": _header(x.get("response_headers"), "content-type"),
    }
    if whole:
        content["text"] = resp_body
    elapsed = float(x.get("elapsed_ms") or 0)
    out = {
        "startedDateTime": x.get("started") or started,
        "time": elapsed,
        "request": request,
        "response": {
            "status": x.get("status") or 0,
            "statusText": _status_text(x.get("status")),
            "httpVersion": HTTP_VERSION,
            "cookies": [],
            "headers": _headers(x.get("response_headers")),
            "content": content,
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": content["size"],
        },
        "cache": {},
        "timings": {"send": 0, "wait": elapsed, "receive": 0},
        "_check": check["nodeid"],
        "_requirements": list(check.get("requirements") or []),
    }
    if x.get("error") or x.get("note"):
        out["comment"] = "; ".join(str(v) for v in (x.get("error"), x.get("note")) if v)
    return out


def build(results: Mapping[str, Any]) -> dict[str, Any]:
    started = _iso(results.get("started_at"))
    entries = [entry(x, c, started) for c in results.get("checks") or [] for x in c.get("exchanges") or []]
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "dcr-harness", "version": str(results.get("harness_version") or __version__)},
            "entries": entries,
            "comment": 'secrets are masked as ${DCR_...} variables; results.json\'s "variables" says what each stands for',
        }
    }


def _iso(stamp: str | None) -> str:
    """results.json's second-precision UTC stamp as the ISO 8601 form HAR asks for."""
    return (stamp or "1970-01-01T00:00:00Z").replace("Z", ".000Z")


def write(run_dir: Path, results: Mapping[str, Any], scanner: Any) -> Path:
    path = run_dir / HAR_NAME
    scanner.write_text(path, json.dumps(build(results), ensure_ascii=False) + "\n", HAR_NAME)
    return path
