"""What changed between two runs: requirement by requirement, check by check, and the run figures.

Input is a run directory, its results.json or its certification.json. The verdicts come from
the run's certification.json (waivers as applied then) when it is there, else they are built
from results.json without waivers. Something got *worse* when a requirement newly fails
(a waiver that expired included) or newly cannot be verified; a requirement left out because
the two runs selected different checks is listed apart, never as worse.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..contract.verdicts import LABELS
from .certification import CERT_JSON, build

RESULTS_JSON = "results.json"
FAILING = ("fail",)
ACCEPTED = ("pass", "warn")  # held (a SHOULD finding is not a failure)
UNVERIFIED = ("not_verified", "not_covered")
CHECK_FAILING = ("failed", "error")


class RunError(ValueError):
    """The path is not a readable run."""


@dataclass
class Run:
    path: Path  # the run directory
    results: dict[str, Any]
    certification: dict[str, Any]

    @property
    def verdicts(self) -> dict[str, str]:
        return {r["id"]: r["verdict"] for r in self.certification.get("requirements", [])}

    @property
    def outcomes(self) -> dict[str, str]:
        checks = self.certification.get("checks") or self.results.get("checks", [])
        return {c["nodeid"]: c["outcome"] for c in checks}

    @property
    def target(self) -> Mapping[str, Any]:
        return self.results.get("target") or self.certification.get("target") or {}


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise RunError(f"cannot read {path}: {exc}") from None
    if not isinstance(data, dict):
        raise RunError(f"{path} is not a harness report (not a JSON object)")
    return data


def load_run(path: str | Path) -> Run:
    """A run from its directory, results.json or certification.json."""
    path = Path(path)
    run_dir = path if path.is_dir() else path.parent
    if not path.exists():
        raise RunError(f"{path}: no such run directory or file")
    results_path, cert_path = run_dir / RESULTS_JSON, run_dir / CERT_JSON
    if path.is_file() and path.name == CERT_JSON and not results_path.is_file():
        certification = _read_json(path)
        return Run(run_dir, {k: v for k, v in certification.items() if k != "requirements"}, certification)
    if path.is_file() and path.name != CERT_JSON:
        results_path = path
    if not results_path.is_file():
        raise RunError(f"{run_dir}: no {RESULTS_JSON} (not a run directory of dcr-harness run)")
    results = _read_json(results_path)
    if "checks" not in results:
        raise RunError(f"{results_path} is not a results.json of dcr-harness run (no checks)")
    certification = _read_json(cert_path) if cert_path.is_file() else {}
    if "requirements" not in certification:
        try:
            certification = build(results)
        except (KeyError, TypeError, ValueError) as exc:
            raise RunError(f"cannot judge {results_path}: {exc}") from None
    return Run(run_dir, results, certification)


def _seconds(results: Mapping[str, Any]) -> float | None:
    try:
        start, end = (datetime.strptime(results[k], "%Y-%m-%dT%H:%M:%SZ") for k in ("started_at", "finished_at"))
    except (KeyError, TypeError, ValueError):
        return None
    return (end - start).total_seconds()


def figures(run: Run) -> dict[str, Any]:
    """The run figures compared side by side."""
    r, cert = run.results, run.certification
    selection = r.get("selection") or {}
    return {
        "report": str(run.path),
        "verdict": (cert.get("overall") or {}).get("verdict"),
        "target": run.target.get("name"),
        "base_url": run.target.get("base_url"),
        "embedded_faults": list(r.get("embedded_faults") or []),
        "harness_version": r.get("harness_version"),
        "started_at": r.get("started_at"),
        "seconds": _seconds(r),
        "requests": r.get("requests_sent"),
        "seed": r.get("seed"),
        "profile": (cert.get("profile") or {}).get("hypothesis_profile"),
        "checks_run": len(r.get("checks") or []),
        "selection": {k: selection[k] for k in ("req", "k", "m", "ignored", "paths") if selection.get(k)},
    }


def _change(req: str, old: str | None, new: str | None, note: str = "") -> dict[str, Any]:
    return {"id": req, "old": old, "new": new, **({"note": note} if note else {})}


def _requirement_changes(old: Run, new: Run, same_selection: bool) -> dict[str, list[dict[str, Any]]]:
    before, after = old.verdicts, new.verdicts
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("newly_failing", "newly_unverified", "fixed", "left_out", "changed")
    }
    for req in list(before) + [r for r in after if r not in before]:
        a, b = before.get(req), after.get(req)
        if a == b:
            continue
        if b in FAILING:
            out["newly_failing"].append(
                _change(req, a, b, "its waiver expired or was withdrawn" if a == "waived" else "")
            )
        elif a in FAILING + ("waived",) and b in ACCEPTED:
            out["fixed"].append(_change(req, a, b))
        elif a in ACCEPTED and b is None:
            out["newly_unverified"].append(
                _change(req, a, b, "no verdict in the new run (unreachable target, or not in its contract)")
            )
        elif a in ACCEPTED and b in UNVERIFIED:
            if b == "not_covered" and not same_selection:
                out["left_out"].append(_change(req, a, b, "the runs selected different checks"))
            else:
                out["newly_unverified"].append(_change(req, a, b))
        else:
            out["changed"].append(_change(req, a, b))
    return out


def _check_changes(old: Run, new: Run) -> dict[str, list[dict[str, Any]]]:
    before, after = old.outcomes, new.outcomes
    out: dict[str, list[dict[str, Any]]] = {
        k: [] for k in ("newly_failing", "fixed", "changed", "appeared", "vanished")
    }
    for nodeid, b in after.items():
        a = before.get(nodeid)
        if a is None:
            out["appeared"].append({"nodeid": nodeid, "old": None, "new": b})
        elif a != b:
            kind = (
                "newly_failing"
                if b in CHECK_FAILING and a not in CHECK_FAILING
                else ("fixed" if a in CHECK_FAILING and b in ("passed", "warned") else "changed")
            )
            out[kind].append({"nodeid": nodeid, "old": a, "new": b})
    out["vanished"] = [{"nodeid": n, "old": a, "new": None} for n, a in before.items() if n not in after]
    return out


def diff(old: Run, new: Run) -> dict[str, Any]:
    """The difference of two runs as data; `worse` says whether a requirement got worse."""
    fig_old, fig_new = figures(old), figures(new)
    same_selection = fig_old["selection"] == fig_new["selection"]
    reqs = _requirement_changes(old, new, same_selection)
    notes = []
    if fig_old["target"] != fig_new["target"]:
        notes.append(f"different targets: {fig_old['target']} then {fig_new['target']}")
    if not same_selection:
        notes.append("the runs selected different checks: a requirement only one of them covered is listed as left out")
    return {
        "old": fig_old,
        "new": fig_new,
        "requirements": reqs,
        "checks": _check_changes(old, new),
        "notes": notes,
        "worse": bool(reqs["newly_failing"] or reqs["newly_unverified"]),
    }


def worse_lines(d: Mapping[str, Any]) -> list[str]:
    """One line per requirement that got worse."""
    reqs = d["requirements"]
    return [
        f"{c['id']}: {LABELS.get(c['old'], c['old'] or 'absent')} -> {LABELS.get(c['new'], c['new'])}"
        + (f" ({c['note']})" if c.get("note") else "")
        for c in reqs["newly_failing"] + reqs["newly_unverified"]
    ]


HEADINGS = {
    "newly_failing": "NEWLY FAILING",
    "newly_unverified": "NEWLY NOT VERIFIED",
    "fixed": "FIXED",
    "left_out": "left out by the selection",
    "changed": "changed",
    "appeared": "appeared",
    "vanished": "vanished",
}
FIGURE_ROWS = (
    "verdict",
    "target",
    "base_url",
    "embedded_faults",
    "harness_version",
    "started_at",
    "seconds",
    "requests",
    "seed",
    "profile",
    "checks_run",
    "selection",
)


def _label(verdict: str | None) -> str:
    return LABELS.get(verdict, verdict) if verdict else "absent"


def render_text(d: Mapping[str, Any]) -> str:
    """The console view of a diff."""
    lines = [f"old: {d['old']['report']}", f"new: {d['new']['report']}", ""]
    width = max(len(k) for k in FIGURE_ROWS)
    for key in FIGURE_ROWS:
        a, b = d["old"].get(key), d["new"].get(key)
        mark = "" if a == b else "   <- changed"
        lines.append(f"  {key:<{width}}  {_show(a):<32} {_show(b)}{mark}")
    lines.append("")
    reqs, checks = d["requirements"], d["checks"]
    lines.append("requirements:")
    empty = True
    for kind in ("newly_failing", "newly_unverified", "fixed", "left_out", "changed"):
        for c in reqs[kind]:
            empty = False
            note = f"  ({c['note']})" if c.get("note") else ""
            lines.append(f"  {HEADINGS[kind]:<20} {c['id']:<11} {_label(c['old'])} -> {_label(c['new'])}{note}")
    if empty:
        lines.append("  no verdict changed")
    lines.append("checks:")
    empty = True
    for kind in ("newly_failing", "fixed", "changed", "appeared", "vanished"):
        for c in checks[kind]:
            empty = False
            lines.append(f"  {HEADINGS[kind]:<20} {c['old'] or '-'} -> {c['new'] or '-'}  {c['nodeid']}")
    if empty:
        lines.append("  no outcome changed")
    lines += [f"note: {n}" for n in d["notes"]]
    lines.append("")
    lines.append("WORSE than the old run: " + "; ".join(worse_lines(d)) if d["worse"] else "nothing got worse")
    return "\n".join(lines)


def _show(value: Any) -> str:
    if value is None or value == [] or value == {}:
        return "-"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)
