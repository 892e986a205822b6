"""`--req`: which checks a run keeps, and clear words for a selection that cannot work.

A value is a requirement ID (REG-ERR-3) or a prefix of IDs (TOK-, TOK-ERR); values may be
repeated or comma-separated. A value that matches no requirement of the contract is a
usage error naming the nearest IDs; a known requirement that no check cites is named, so
that "nothing ran" is never mistaken for "nothing failed".
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..contract import requirements


def parse(values: Iterable[str]) -> list[str]:
    """['reg-ok-1, TOK-'] -> ['REG-OK-1', 'TOK-'] (order kept, duplicates dropped)."""
    wanted = [part.strip().upper() for value in values for part in value.split(",")]
    return list(dict.fromkeys(w for w in wanted if w))


def matches(req_id: str, wanted: str) -> bool:
    return req_id == wanted or (req_id.startswith(wanted) and (wanted.endswith("-") or req_id[len(wanted)] == "-"))


def _known(wanted: str) -> bool:
    return any(matches(r.id, wanted) for r in requirements.all_requirements())


def unknown(wanted: Iterable[str]) -> list[str]:
    return [w for w in wanted if not _known(w)]


def nearest(wanted: str, n: int = 3) -> list[str]:
    ids = [r.id for r in requirements.all_requirements()]
    return difflib.get_close_matches(wanted, ids, n=n, cutoff=0.5)


def unknown_message(unknown: Sequence[str]) -> str:
    parts = []
    for w in unknown:
        near = nearest(w)
        parts.append(
            f"{w} (nearest: {', '.join(near)})" if near else f"{w} (IDs look like REG-ERR-3 or a prefix such as TOK-)"
        )
    return "no such requirement: " + "; ".join(parts)


def exact_ids(values: Iterable[str], option: str) -> tuple[list[str], str | None]:
    """Requirement IDs named one by one (--accept-unjudged THR-2,THR-6): no prefixes, since what a run
    accepts must be named; (the IDs, None) or (the IDs, a one-line usage error naming the unknown ones)."""
    ids = parse(values)
    known = {r.id for r in requirements.all_requirements()}
    bad = [i for i in ids if i not in known]
    if not bad:
        return ids, None
    parts = [f"{b} (nearest: {', '.join(nearest(b))})" if nearest(b) else f"{b} (IDs look like THR-2)" for b in bad]
    return ids, f"{option}: no such requirement: " + "; ".join(parts)


@dataclass
class Selection:
    wanted: list[str]
    unknown: list[str]  # in no requirement of the contract
    uncited: list[str]  # requirements, but no collected check cites them

    def problem(self, kept: int) -> str | None:
        """What makes the selection a usage error, or None when it can run."""
        if self.unknown:
            return unknown_message(self.unknown)
        if not kept:
            return f"no check cites {', '.join(self.uncited)}: nothing to run"
        return None

    def note(self) -> str | None:
        return f"--req {', '.join(self.uncited)}: no check cites it; not covered by this run" if self.uncited else None


def select(wanted: list[str], cited_by_check: Sequence[Sequence[str]]) -> tuple[list[int], Selection]:
    """Indexes of the checks to keep (those citing a wanted ID), and what was wrong with the selection."""
    keep = [i for i, ids in enumerate(cited_by_check) if any(matches(r, w) for r in ids for w in wanted)]
    cited = {r for ids in cited_by_check for r in ids}
    unknown_ids = unknown(wanted)
    uncited = [w for w in wanted if w not in unknown_ids and not any(matches(r, w) for r in cited)]
    return keep, Selection(wanted, unknown_ids, uncited)
