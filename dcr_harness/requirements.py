"""The requirement IDs of the contract (shared/spec/CONTRACT.md): id, section, area, level, text.

The contract is shared with the harness, not copied into it: when ``paths.CONTRACT_PATH``
exists it is parsed. So that the package also works without it, a parsed copy is
embedded as ``requirements_data.json`` beside this module; regenerate it after the
contract changes with ``python -m dcr_harness.requirements --write`` (a test fails while
the copy is stale).

Levels: ``MUST`` by default; ``SHOULD`` when the bullet starts with SHOULD (TOK-OK-4);
``PROFILE`` when the bullet starts with PROFILE (THR-2: the values are configuration).
A MUST whose inputs are profile values (API-1, API-4, DEV-3) keeps level MUST and has
``profile`` set.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import unicodedata
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import paths

DATA_PATH = Path(__file__).resolve().parent / "requirements_data.json"

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
    """Every requirement bullet (``- ID text``) of CONTRACT.md, in document order.

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


def _to_data(requirements: list[Requirement], markdown: str) -> dict[str, Any]:
    return {
        "generated_from": "shared/spec/CONTRACT.md",
        "contract_sha256": hashlib.sha256(markdown.encode("utf-8")).hexdigest(),
        "requirements": [r.to_dict() for r in requirements],
    }


def embedded() -> list[Requirement]:
    """The parsed copy shipped with the package (requirements_data.json)."""
    data = json.loads(DATA_PATH.read_text(encoding="utf-8"))
    return [Requirement(**r) for r in data["requirements"]]


@cache
def _load() -> tuple[tuple[Requirement, ...], str]:
    path = Path(paths.CONTRACT_PATH)
    if path.is_file():
        return tuple(parse_contract(path.read_text(encoding="utf-8"))), str(path)
    return tuple(embedded()), str(DATA_PATH)


def source() -> str:
    """Where the requirements were read from: CONTRACT.md, or the embedded copy."""
    return _load()[1]


def clear_cache() -> None:
    _load.cache_clear()


def all_requirements() -> list[Requirement]:
    """Every requirement, in contract order."""
    return list(_load()[0])


def _index() -> dict[str, Requirement]:
    return {r.id: r for r in _load()[0]}


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
    for req in _load()[0]:
        grouped.setdefault(req.area, []).append(req)
    return grouped


def section_anchor(req_id: str) -> str:
    """The GitHub-style anchor (without "#") of the section that defines ``req_id``,
    for links such as ``CONTRACT.md#2-register-post-oclientregister``."""
    return get(req_id).anchor


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dcr_harness.requirements",
        description="List the contract's requirements, or regenerate the embedded copy.",
    )
    parser.add_argument("--contract", default=str(paths.CONTRACT_PATH), help="path to CONTRACT.md")
    parser.add_argument("--write", action="store_true", help=f"write {DATA_PATH.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 if the embedded copy is stale")
    args = parser.parse_args(argv)
    markdown = Path(args.contract).read_text(encoding="utf-8")
    parsed = parse_contract(markdown)
    if args.write:
        DATA_PATH.write_text(json.dumps(_to_data(parsed, markdown), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"wrote {len(parsed)} requirements to {DATA_PATH}")
        return 0
    if args.check:
        stale = not DATA_PATH.is_file() or embedded() != parsed
        print(f"{DATA_PATH.name} is {'stale' if stale else 'up to date'}")
        return 1 if stale else 0
    for req in parsed:
        flag = " (profile)" if req.profile else ""
        print(f"{req.id:10} {req.level:7}{flag} {req.text[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
