"""Waivers: accepted deviations, each with a reason and an expiry date.

The file (TOML, see waivers.toml at the repository root) reads::

    version = 1

    [[waiver]]
    requirement = "TOK-OK-4"          # a requirement ID or fnmatch pattern ("API-*"), or
    # check = "conformance/test_token.py::test_token_cache*"   # a check nodeid pattern
    reason = "CDN strips Pragma; fix planned in release 7.2"
    expires = 2027-03-31              # a TOML date or an ISO "YYYY-MM-DD" string
    owner = "qa-lead@example.com"     # optional

A waived failure is reported as "waived", never as passed. A waiver whose expiry date is
before the run's date does not apply: the failure counts again and the waiver is listed as
expired.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import WaiverError

FORMAT_VERSION = 1
KEYS = {"requirement", "check", "reason", "expires", "owner"}


@dataclass(frozen=True)
class Waiver:
    reason: str
    expires: date
    requirement: str | None = None
    check: str | None = None
    owner: str | None = None

    def expired(self, today: date) -> bool:
        return self.expires < today

    def matches_requirement(self, req_id: str) -> bool:
        return self.requirement is not None and fnmatch.fnmatchcase(req_id, self.requirement)

    def matches_check(self, nodeid: str) -> bool:
        if self.check is None:
            return False
        # Nodeids are relative to the rootdir; accept patterns with or without a leading path.
        return fnmatch.fnmatchcase(nodeid, self.check) or fnmatch.fnmatchcase(nodeid, "*" + self.check.lstrip("*"))

    @property
    def subject(self) -> str:
        return self.requirement or self.check or "?"

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "check": self.check,
            "reason": self.reason,
            "expires": self.expires.isoformat(),
            "owner": self.owner,
        }


@dataclass(frozen=True)
class WaiverFile:
    path: str | None
    sha256: str | None
    waivers: tuple[Waiver, ...]

    def active(self, today: date) -> list[Waiver]:
        return [w for w in self.waivers if not w.expired(today)]

    def expired(self, today: date) -> list[Waiver]:
        return [w for w in self.waivers if w.expired(today)]


NO_WAIVERS = WaiverFile(None, None, ())


def _date(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise WaiverError(f"{where}: expires must be an ISO date (YYYY-MM-DD), got {value!r}")


def _waiver(entry: Any, where: str) -> Waiver:
    if not isinstance(entry, dict):
        raise WaiverError(f"{where}: a waiver is a table ([[waiver]])")
    unknown = set(entry) - KEYS
    if unknown:
        raise WaiverError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(KEYS))}")
    if ("requirement" in entry) == ("check" in entry):
        raise WaiverError(
            f"{where}: give exactly one of `requirement` (an ID or pattern) or `check` (a nodeid pattern)"
        )
    for key in ("requirement", "check", "reason", "owner"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            raise WaiverError(f"{where}: `{key}` must be a non-empty string")
    if "reason" not in entry:
        raise WaiverError(f"{where}: `reason` is required (why the deviation is accepted)")
    if "expires" not in entry:
        raise WaiverError(f"{where}: `expires` is required (a waiver without an end date is a silent pass)")
    return Waiver(
        reason=entry["reason"].strip(),
        expires=_date(entry["expires"], where),
        requirement=entry.get("requirement"),
        check=entry.get("check"),
        owner=entry.get("owner"),
    )


def parse_waivers(text: str, source: str = "<waivers>") -> WaiverFile:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise WaiverError(f"{source}: not valid TOML: {exc}") from None
    version = data.get("version")
    if version != FORMAT_VERSION:
        raise WaiverError(f"{source}: `version = {FORMAT_VERSION}` is required (found {version!r})")
    unknown = set(data) - {"version", "waiver"}
    if unknown:
        raise WaiverError(f"{source}: unknown top-level key(s) {', '.join(sorted(unknown))}")
    entries = data.get("waiver", [])
    if not isinstance(entries, list):
        raise WaiverError(f"{source}: waivers are an array of tables ([[waiver]])")
    waivers = tuple(_waiver(e, f"{source}: waiver #{i + 1}") for i, e in enumerate(entries))
    return WaiverFile(source, hashlib.sha256(text.encode("utf-8")).hexdigest(), waivers)


def load_waivers(path: str | Path | None) -> WaiverFile:
    if not path:
        return NO_WAIVERS
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise WaiverError(f"cannot read the waiver file {p}: {exc.strerror or exc}") from None
    return parse_waivers(text, str(p))
