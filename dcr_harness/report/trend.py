"""The trend of one target under one report root: its last runs' verdicts by contract area, and
what changed since the previous run (report/diff.py).

Read from the certification.json files beside this run's directory (nothing is sent anywhere).
A run belongs to the trend when its target has the same name; run directories are named by
their UTC start, so the earlier runs are the names that sort before this one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .certification import CERT_JSON
from .diff import RESULTS_JSON, Run, RunError, diff, load_run

TREND_RUNS = 10  # the last N runs shown, this one included
MAX_SCANNED = 60  # run directories read at most, newest first (a report root may hold hundreds)
# The verdict an area shows: its worst requirement verdict.
WORST_FIRST = ("fail", "waived", "not_verified", "warn", "pass", "not_covered", "not_applicable")


def area_verdict(counts: Mapping[str, int]) -> str:
    return next((v for v in WORST_FIRST if counts.get(v)), "not_covered")


def _row(run_dir: Path, doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "run": run_dir.name,
        "started_at": doc.get("started_at"),
        "verdict": (doc.get("overall") or {}).get("verdict"),
        "requests": (doc.get("profile") or {}).get("requests_sent"),
        "faults": list(doc.get("embedded_faults") or []),
        "areas": {
            a["area"]: {"verdict": area_verdict(a["counts"]), "counts": a["counts"]} for a in doc.get("areas") or []
        },
    }


def earlier_runs(run_dir: Path, target_name: str | None, limit: int) -> list[tuple[Path, dict[str, Any]]]:
    """Up to `limit` earlier runs of the same target, oldest first."""
    found: list[tuple[Path, dict[str, Any]]] = []
    try:
        names = sorted(
            (p for p in run_dir.parent.iterdir() if p.is_dir() and not p.is_symlink() and p.name < run_dir.name),
            key=lambda p: p.name,
            reverse=True,
        )
    except OSError:
        return []
    for path in names[:MAX_SCANNED]:
        try:
            doc = json.loads((path / CERT_JSON).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and (doc.get("target") or {}).get("name") == target_name and "areas" in doc:
            found.append((path, doc))
            if len(found) >= limit:
                break
    return found[::-1]


def build(run_dir: Path, document: Mapping[str, Any], limit: int = TREND_RUNS) -> dict[str, Any] | None:
    """{"runs": [...oldest first, this run last], "since_previous": diff or None}; None without earlier runs."""
    run_dir = Path(run_dir).resolve()  # reached through reports/latest, the name is still the dated one
    earlier = earlier_runs(run_dir, (document.get("target") or {}).get("name"), limit - 1)
    if not earlier:
        return None
    runs = [_row(p, d) for p, d in earlier] + [_row(run_dir, document)]
    previous_dir, previous_doc = earlier[-1]
    try:
        previous = load_run(previous_dir)
    except RunError:
        previous = Run(previous_dir, dict(previous_doc), dict(previous_doc))
    results_path = run_dir / RESULTS_JSON
    try:
        results = json.loads(results_path.read_text(encoding="utf-8")) if results_path.is_file() else dict(document)
    except (OSError, ValueError):
        results = dict(document)
    return {"runs": runs, "since_previous": diff(previous, Run(run_dir, results, dict(document)))}
