"""The requirement IDs of the contract (docs/contract.md, shipped in the package): id, section, area, level, text.

docs/contract.md is the one source: the harness parses it wherever it is installed
(``paths.CONTRACT_PATH``), so there is no second copy to drift.

Levels: ``MUST`` by default; ``SHOULD`` when the bullet starts with SHOULD (TOK-OK-4);
``PROFILE`` when the bullet starts with PROFILE (THR-2: the values are configuration).
A MUST whose inputs are profile values (API-1, API-4, DEV-3) keeps level MUST and has
``profile`` set. The IDs under the heading "Out of scope" are the requirements that no
check exercises on purpose (``out_of_scope()``).
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .. import paths
from ..errors import ExitCode

OUT_OF_SCOPE_HEADING = "Out of scope"
_OUT_OF_SCOPE_ITEM = re.compile(r"^-\s+`([A-Z]+-(?:[A-Z]+-)?\d+)`")

AREAS: dict[str, str] = {
    "FLOW": "flow",
    "REG": "register",
    "TOK": "token",
    "API": "protected-api",
    "THR": "throttling",
    "DEV": "device-info",
    "CLI": "client",
}
LEVELS = ("MUST", "SHOULD", "PROFILE")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_NUMBERED = re.compile(r"^(\d+)\.\s")
_BULLET = re.compile(r"^-\s+(?:(" + "|".join(AREAS) + r")-((?:[A-Z]+-)?\d+))?\s*(.*)$")
_SUB_BULLET = re.compile(r"^\s+-\s+(.*)$")


@dataclass(frozen=True)
class Requirement:
    id: str
    section_number: int
    section: str  # the heading as written, e.g. "2. Register: `POST /o/client/register`"
    anchor: str  # GitHub-style anchor of the section heading, without "#"
    area: str
    level: str
    profile: bool
    text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def github_anchor(heading: str) -> str:
    """The anchor GitHub gives a heading: code and emphasis marks and link targets dropped,
    lower case, punctuation other than "-" and "_" removed, spaces to hyphens (without the
    de-duplicating suffix; see ``_unique_anchor``)."""
    text = heading.replace("`", "").replace("*", "")
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text).strip().lower()
    kept = "".join(c for c in text if c in "- _" or unicodedata.category(c)[0] in "LNM")
    return kept.replace(" ", "-")


def _unique_anchor(heading: str, seen: dict[str, int]) -> str:
    """The anchor of the next heading of a document; repeats get -1, -2, ... as on GitHub."""
    base = github_anchor(heading)
    count = seen.get(base, 0)
    seen[base] = count + 1
    return base if count == 0 else f"{base}-{count}"


def _fold(text: str) -> str:
    return " ".join(text.split())


def _level(text: str) -> str:
    for level in ("SHOULD", "PROFILE"):
        if re.match(level + r"\b", text):
            return level
    return "MUST"


def _finish(req: dict[str, Any]) -> Requirement:
    parts = [_fold(req.pop("lines_main"))] + [_fold(s) for s in req.pop("subs")]
    text = "; ".join(p for p in parts if p).replace(":; ", ": ")
    return Requirement(**req, level=_level(text), profile="PROFILE" in text, text=text)


def parse_contract(markdown: str) -> list[Requirement]:
    """Every requirement bullet (``- ID text``) of the contract, in document order.

    A bullet runs until the next bullet at the margin, a blank line or a heading; its
    indented continuation lines are folded in, and nested bullets are appended to its
    text separated by "; ".
    """
    lines = markdown.splitlines()
    seen_anchors: dict[str, int] = {}
    found: list[Requirement] = []
    current: dict[str, Any] | None = None
    section = ("", 0, "")
    in_fence = False

    def close() -> None:
        nonlocal current
        if current is not None:
            found.append(_finish(current))
            current = None

    for line in lines:
        if line.lstrip().startswith("```"):
            in_fence = not in_fence
            close()
            continue
        if in_fence:
            continue
        heading = _HEADING.match(line)
        if heading:
            close()
            title = heading.group(2)
            number = _NUMBERED.match(title)
            section = (title, int(number.group(1)) if number else 0, _unique_anchor(title, seen_anchors))
            continue
        if not line.strip():
            close()
            continue
        bullet = _BULLET.match(line)
        if bullet:
            close()
            prefix, rest, text = bullet.groups()
            if prefix:
                current = {
                    "id": f"{prefix}-{rest}",
                    "section_number": section[1],
                    "section": section[0],
                    "anchor": section[2],
                    "area": AREAS[prefix],
                    "lines_main": text,
                    "subs": [],
                }
            continue
        if current is None:
            continue
        sub = _SUB_BULLET.match(line)
        if sub:
            current["subs"].append(sub.group(1))
        elif line[:1].isspace():
            if current["subs"]:
                current["subs"][-1] += " " + line
            else:
                current["lines_main"] += " " + line
        else:
            close()
    close()
    ids = [r.id for r in found]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"requirement IDs defined more than once: {', '.join(duplicates)}")
    return found


@cache
def _load() -> tuple[Requirement, ...]:
    path = Path(paths.CONTRACT_PATH)
    try:
        return tuple(parse_contract(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the contract is not at {path}; reinstall dcr-harness (it ships docs/contract.md)"
        ) from None


def source() -> str:
    """Where the requirements are read from."""
    return str(paths.CONTRACT_PATH)


def parse_out_of_scope(markdown: str) -> list[str]:
    """The IDs listed (as "- `ID`: why") under the contract's "Out of scope" heading."""
    found: list[str] = []
    inside = False
    for line in markdown.splitlines():
        heading = _HEADING.match(line)
        if heading:
            inside = heading.group(2).strip() == OUT_OF_SCOPE_HEADING
        elif inside and (item := _OUT_OF_SCOPE_ITEM.match(line)):
            found.append(item.group(1))
    return found


def out_of_scope() -> list[str]:
    """Requirements of the contract that no check exercises, by design."""
    return parse_out_of_scope(Path(paths.CONTRACT_PATH).read_text(encoding="utf-8"))


def clear_cache() -> None:
    _load.cache_clear()


def all_requirements() -> list[Requirement]:
    """Every requirement, in contract order."""
    return list(_load())


def _index() -> dict[str, Requirement]:
    return {r.id: r for r in _load()}


def is_known(req_id: str) -> bool:
    return req_id in _index()


def get(req_id: str) -> Requirement:
    """The requirement ``req_id``; KeyError naming the known IDs of its area otherwise."""
    index = _index()
    try:
        return index[req_id]
    except KeyError:
        pass
    prefix = req_id.split("-", 1)[0].upper()
    same_area = [i for i in index if i.split("-", 1)[0] == prefix]
    if same_area:
        hint = f"known {prefix} IDs: {', '.join(same_area)}"
    else:
        hint = f"known prefixes: {', '.join(AREAS)} (for example REG-OK-2, API-3, THR-6)"
    raise KeyError(f"unknown requirement ID {req_id!r} (contract: {source()}); {hint}") from None


def by_area() -> dict[str, list[Requirement]]:
    """Requirements grouped by area, areas in contract order."""
    grouped: dict[str, list[Requirement]] = {}
    for req in _load():
        grouped.setdefault(req.area, []).append(req)
    return grouped


def section_anchor(req_id: str) -> str:
    """The GitHub-style anchor (without "#") of the section that defines ``req_id``,
    for links such as ``contract.md#2-register-post-oclientregister``."""
    return get(req_id).anchor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dcr_harness.contract.requirements",
        description="List the requirements parsed from the contract.",
        epilog="example: python -m dcr_harness.contract.requirements --contract docs/contract.md",
    )
    parser.add_argument(
        "--contract",
        default=str(paths.CONTRACT_PATH),
        help="path to the contract (default: the shipped docs/contract.md)",
    )
    args = parser.parse_args(argv)
    try:
        markdown = Path(args.contract).read_text(encoding="utf-8")
    except OSError as exc:
        print(f"requirements: cannot read {args.contract}: {exc.strerror}", file=sys.stderr)
        return ExitCode.USAGE
    for req in parse_contract(markdown):
        flag = " (profile)" if req.profile else ""
        print(f"{req.id:10} {req.level:7}{flag} {req.text[:90]}")
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main())
