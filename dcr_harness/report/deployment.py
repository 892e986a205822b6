"""The deployment section of a certification: what the front door refuses, and which requests never reached the API.

Built from the checks' envelope records (checks/envelope.py: every request over a limit or not
well-formed, and who refused it, if anyone). A size limit is stated as the largest request of that
kind that reached the API and the smallest one refused before it; declared limits (the target's
front_door keys) are shown beside the observed ones.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

LIMIT = "over a limit"
DIMENSIONS = ("body", "header line", "target")
SHOWN = 40  # refused requests listed one by one; the rest are counted


def _limit(entries: list[Mapping[str, Any]], dimension: str) -> dict[str, Any] | None:
    sized = [e for e in entries if e["kind"] == LIMIT and e["dimension"] == dimension]
    if not sized:
        return None
    reached = [e["size"] for e in sized if not e["refused_by"]]
    refused = sorted((e for e in sized if e["refused_by"]), key=lambda e: e["size"])
    first = refused[0] if refused else None
    return {
        "reached_the_api_up_to": max(reached, default=None),
        "refused_from": first["size"] if first else None,
        "refused_with": f"{first['status']} by {first['refused_by']}" if first else None,
    }


def _limit_line(dimension: str, limit: Mapping[str, Any]) -> str:
    up_to, refused = limit["reached_the_api_up_to"], limit["refused_from"]
    parts = []
    if up_to is not None:
        parts.append(f"reached the API up to {up_to:,} bytes")
    if refused is not None:
        parts.append(f"refused from {refused:,} bytes ({limit['refused_with']})")
    return f"{dimension}: " + ", ".join(parts)


def _repeats(entries: list[Mapping[str, Any]]) -> dict[str, str]:
    """Per repeated header field, what became of the requests that repeated it."""
    seen: dict[str, set[str]] = {}
    for e in entries:
        if e.get("repeated"):
            seen.setdefault(e["repeated"], set()).add(
                f"refused by {e['refused_by']}" if e["refused_by"] else "reached the API"
            )
    return {field: " / ".join(sorted(ways)) for field, ways in sorted(seen.items())}


def build(checks: list[Mapping[str, Any]], target: Mapping[str, Any]) -> dict[str, Any]:
    entries = [e for c in checks for e in (c.get("envelope") or [])]
    refused = [e for e in entries if e["refused_by"]]
    servers = Counter(e["server"] for e in refused if e["refused_by"] == "the front door" and e.get("server"))
    declared = {k: v for k, v in (target.get("front_door") or {}).items() if v is not None}
    limits = {d: lim for d in DIMENSIONS if (lim := _limit(entries, d)) is not None}
    # A requirement a case meant to provoke but whose every case was set aside is "not verified (front door)".
    return {
        "front_door": {"declared": declared, "server": servers.most_common(1)[0][0] if servers else None},
        "limits": limits,
        "limit_lines": [_limit_line(d, lim) for d, lim in limits.items()],
        "repeated_headers": _repeats(entries),
        "envelope_requests": len(entries),
        "refused_before_the_api": len(refused),
        "refused_at_front_door": [
            {k: e[k] for k in ("case", "endpoint", "kind", "what", "status", "refused_by", "media_type", "server")}
            for e in refused[:SHOWN]
        ],
    }


def summary_lines(section: Mapping[str, Any]) -> list[str]:
    """The console's account: one line per limit observed, one for repeated headers, one count."""
    if not section or not section.get("envelope_requests"):
        return []
    who = (
        section["front_door"].get("declared", {}).get("name") or section["front_door"].get("server") or "the deployment"
    )
    lines = [
        f"deployment: {section['refused_before_the_api']} of {section['envelope_requests']} requests over a limit or not "
        f"well-formed were refused before the API ({who}); they are not verified, not failed"
    ]
    lines += [f"  {line}" for line in section["limit_lines"]]
    if section["repeated_headers"]:
        lines.append("  repeated headers: " + "; ".join(f"{k}: {v}" for k, v in section["repeated_headers"].items()))
    return lines
