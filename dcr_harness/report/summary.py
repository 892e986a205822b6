"""The console summary when a certification was built: by area with waived counts, then paths."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..contract.verdicts import LABELS, VERDICTS
from ..http import Masker
from . import deployment
from .certification import root_cause_line, unjudged_lines


class Terminal(Protocol):
    """What the summary writes to: pytest's terminal reporter, or certify-client's plain stream."""

    def write_sep(self, sep: str, title: str) -> None: ...

    def write_line(self, line: str, **markup: bool) -> None: ...


def write_certification_summary(tr: Terminal, run: Any, doc: Mapping[str, Any], masker: Masker) -> None:
    """run: what was written (run_dir, certification_path, signature_path, signature_error: a RunResult)."""
    tr.write_sep("=", "DCR conformance by contract area (requirements)")
    cause = doc["overall"].get("root_cause")
    if cause:
        tr.write_line(f"ROOT CAUSE: {masker.mask(root_cause_line(cause))}", red=True, bold=True)
    tr.write_line(f"{'area':<15}" + "".join(f"{LABELS[k]:>15}" for k in VERDICTS))
    for area in doc["areas"]:
        tr.write_line(f"{area['area']:<15}" + "".join(f"{area['counts'][k]:>15}" for k in VERDICTS))
    for r in doc["requirements"]:
        if r["verdict"] in ("fail", "warn", "waived", "not_verified"):
            reason = r["reasons"][0] if r["reasons"] else ""
            if r["verdict"] == "waived" and r["waiver"]:
                reason = f"waived until {r['waiver']['expires']}: {r['waiver']['reason']}"
            label = LABELS[r["verdict"]].upper()
            tr.write_line(f"  {label:<12} {r['id']:<10} {masker.mask(reason)[:110]}")
    for w in doc["waivers"]["expired"]:
        tr.write_line(
            f"  EXPIRED waiver for {w['requirement'] or w['check']} (expired {w['expires']}): no longer applies"
        )
    scope = doc["overall"].get("scope") or {}
    if scope.get("unreachable"):
        tr.write_line(f"  NO VERDICT: {scope['unreachable']}")
    if scope.get("incomplete"):
        tr.write_line(
            f"  INCOMPLETE: {scope['incomplete']}; {len(scope.get('not_run') or [])} check(s) did not run or finish"
        )
    if scope.get("narrowed"):
        tr.write_line(
            f"  PARTIAL: {scope['narrowed'].get('deselected', 0)} checks left out by the selection; this run certifies only what it ran"
        )
    for line in unjudged_lines(scope):
        tr.write_line(f"  {line}", yellow=True)
    for line in deployment.summary_lines(doc.get("deployment") or {}):
        tr.write_line(masker.mask(line))
    target = doc["target"].get("name") or "?"
    tr.write_line(
        f"target: {target}   verdict: {doc['overall']['verdict']}   requests: {doc['profile']['requests_sent']}"
    )
    seed = doc["profile"].get("hypothesis_seed")
    replay = f"{seed} (replay: --hypothesis-seed {seed})" if seed is not None else "none (derandomized profile)"
    tr.write_line(f"hypothesis: profile {doc['profile'].get('hypothesis_profile')}, seed {replay}")
    phases = doc["profile"].get("cases") or {}
    if phases:
        tr.write_line(
            "generated cases: "
            + ", ".join(f"{phase} {n['cases']} in {n['checks']} checks" for phase, n in phases.items())
        )
    tr.write_line(f"report: {run.run_dir}")
    tr.write_line(f"certification: {run.certification_path}")
    if run.signature_path:
        tr.write_line(f"signature: {run.signature_path}")
    if run.signature_error:
        tr.write_line(f"signature NOT written: {run.signature_error}")
