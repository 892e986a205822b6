"""certification.json: the run's verdict per requirement of the contract, with its evidence.

Built from the same data as results.json (the results dict, already masked), plus the
requirements of the contract, the digests of the contract and schemas, and the waivers.
Its schema is schemas/certification.schema.json.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from .. import __version__, paths
from ..contract import requirements
from ..contract.verdicts import VERDICTS, Outcome, RequirementVerdict, RunVerdict, area_of, requirement_verdicts
from . import deployment
from .waivers import NO_WAIVERS, Waiver, WaiverFile

SCHEMA_ID = "urn:dcr-harness:schema:certification"
FORMAT_VERSION = 2
FAILED = ("failed",)
# A requirement is covered when the run has evidence about it, either way.
COVERED = ("fail", "waived", "warn", "pass")
CERT_JSON, CERT_HTML = "certification.json", "certification.html"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def digests() -> dict[str, Any]:
    """sha256 of the contract the verdicts refer to (the shipped docs/contract.md) and of each schema."""
    contract = Path(paths.CONTRACT_PATH)
    return {
        "contract": {"path": contract.name, "sha256": sha256_file(contract)},
        "schemas": {p.name: sha256_file(p) for p in sorted(Path(paths.SCHEMA_DIR).glob("*.schema.json"))},
    }


def _today(results: Mapping[str, Any]) -> date:
    stamp = results.get("finished_at") or results.get("started_at")
    if isinstance(stamp, str):
        try:
            return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").date()
        except ValueError:
            pass
    return datetime.now(UTC).date()


def waived_checks(checks: list[Mapping[str, Any]], active: list[Waiver]) -> dict[str, Waiver]:
    """nodeid -> the waiver covering that failed check (by nodeid, or every requirement it breaks)."""
    found: dict[str, Waiver] = {}
    for check in checks:
        if check["outcome"] not in FAILED:
            continue
        broken = check.get("failed_requirements") or []
        by_check = next((w for w in active if w.matches_check(check["nodeid"])), None)
        covering = (next((w for w in active if w.matches_requirement(r)), None) for r in broken)
        by_reqs = [w for w in covering if w is not None]
        if by_check is not None:
            found[check["nodeid"]] = by_check
        elif broken and len(by_reqs) == len(broken):  # every broken requirement waived
            found[check["nodeid"]] = by_reqs[0]
    return found


def judge(
    checks: list[Mapping[str, Any]], waivers: WaiverFile, today: date, scope: str = "server"
) -> tuple[dict[str, Any], dict[str, Waiver], dict[str, Waiver]]:
    """(requirement verdicts, waived checks, waived requirements) for these checks and waivers."""
    known = [r.id for r in requirements.all_requirements()]
    active = waivers.active(today)
    by_check = waived_checks(checks, active)
    verdicts = requirement_verdicts(checks, known, waived_checks=by_check, scope=scope)
    by_req: dict[str, Waiver] = {}
    for req, v in verdicts.items():
        direct = next((w for w in active if w.matches_requirement(req)), None)
        if v.verdict == "fail" and direct is not None:
            v.verdict, by_req[req] = "waived", direct
        elif v.verdict == "waived":
            by_req[req] = direct or next(by_check[n] for n in v.checks if n in by_check)
    return verdicts, by_check, by_req


def _requirement_entry(req_id: str, verdict: Any, waiver: Waiver | None) -> dict[str, Any]:
    try:
        req = requirements.get(req_id)
        meta = {"section": req.section, "anchor": req.anchor, "level": req.level, "text": req.text, "in_contract": True}
    except KeyError:
        meta = {"section": None, "anchor": None, "level": None, "text": None, "in_contract": False}
    return {
        "id": req_id,
        "area": area_of(req_id),
        **meta,
        "verdict": verdict.verdict,
        "covered": verdict.verdict in COVERED,
        "checks": list(verdict.checks),
        "verified_by": list(verdict.verified_by),
        "broken_by": list(verdict.broken_by),
        "evidence": list(verdict.evidence),
        "reasons": list(verdict.reasons),
        "waiver": waiver.to_dict() if waiver else None,
        "unjudged": verdict.unjudged_as,  # not_verified for a structured reason alone ("timing"), else None
    }


def overall_verdict(counts: Mapping[str, int], run: Mapping[str, Any] | None = None) -> RunVerdict:
    """FAIL when any requirement fails; otherwise a run that was stopped, narrowed or could not
    judge never certifies PASS: NO VERDICT (target unreachable), INCOMPLETE, PARTIAL,
    INCONCLUSIVE (a check was blocked, or a requirement that applies was not verified: exercised
    without a verdict, or left unjudged for a structured reason such as timing). The one exception
    is explicit: run["accepted_unjudged"], the requirements left unjudged for a structured reason
    that the user accepted (--accept-unjudged), each listed in the certification."""
    run = run or {}
    if run.get("unreachable"):
        return RunVerdict.NO_VERDICT
    if counts.get("fail"):
        return RunVerdict.FAIL
    if run.get("incomplete"):
        return RunVerdict.INCOMPLETE
    if run.get("narrowed"):
        return RunVerdict.PARTIAL
    if run.get("blocked_checks") or counts.get("not_verified", 0) > len(run.get("accepted_unjudged") or ()):
        return RunVerdict.INCONCLUSIVE
    if counts.get("waived"):
        return RunVerdict.PASS_WITH_WAIVERS
    return RunVerdict.PASS_WITH_WARNINGS if counts.get("warn") else RunVerdict.PASS


def unjudged_scope(entries: list[dict[str, Any]], accept: list[str]) -> dict[str, Any]:
    """The requirements left unjudged for a structured reason alone: those --accept-unjudged accepted, and the others."""
    unjudged = [
        {"requirement": e["id"], "unjudged": e["unjudged"], "reason": (e["reasons"] or [""])[0]}
        for e in entries
        if e["verdict"] == "not_verified" and e["unjudged"]
    ]
    return {
        "accepted_unjudged": [u for u in unjudged if u["requirement"] in accept],
        "unjudged": [u for u in unjudged if u["requirement"] not in accept],
    }


def run_scope(results: Mapping[str, Any]) -> dict[str, Any]:
    """What the run left out or could not do: the facts an overall verdict must not hide."""
    checks = results.get("checks", [])
    selection = results.get("selection") or {}
    blocked = [c["nodeid"] for c in checks if c["outcome"] in (Outcome.BLOCKED, Outcome.ERROR)]
    return {
        "unreachable": results.get("stop_reason") if results.get("unreachable") else None,
        "incomplete": results.get("incomplete"),
        "not_run": list(results.get("not_run") or []),  # the checks a stopped run did not run or finish
        "narrowed": selection if selection.get("narrowed") else None,
        "blocked_checks": blocked,
        "throttle_mismatch": results.get("throttle_mismatch"),
        "device_note": results.get("device_note"),
    }


def _waiver_report(
    waivers: WaiverFile, today: date, checks: list[Mapping[str, Any]], used: list[Waiver]
) -> dict[str, Any]:
    expired = []
    for w in waivers.expired(today):
        would = sorted(
            {
                c["nodeid"]
                for c in checks
                if c["outcome"] in FAILED
                and (
                    w.matches_check(c["nodeid"])
                    or any(w.matches_requirement(r) for r in c.get("failed_requirements") or [])
                )
            }
        )
        expired.append({**w.to_dict(), "would_waive": would})
    return {
        "file": Path(waivers.path).name if waivers.path else None,
        "sha256": waivers.sha256,
        "applied": [w.to_dict() for w in waivers.active(today) if w in used],
        "unused": [w.to_dict() for w in waivers.active(today) if w not in used],
        "expired": expired,
    }


def build(
    results: Mapping[str, Any], waivers: WaiverFile = NO_WAIVERS, profile: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The certification document for one run's results."""
    checks = list(results.get("checks", []))
    today = _today(results)
    scope = run_scope(results)
    verdicts, by_check, by_req = judge(checks, waivers, today, results.get("scope", "server"))
    entries = [] if scope["unreachable"] else [_requirement_entry(r, v, by_req.get(r)) for r, v in verdicts.items()]
    order = {r.id: i for i, r in enumerate(requirements.all_requirements())}
    entries.sort(key=lambda e: (order.get(e["id"], len(order)), e["id"]))
    accept = list(results.get("accept_unjudged") or [])
    scope.update(unjudged_scope(entries, accept))
    areas: dict[str, dict[str, int]] = {}
    for e in entries:
        areas.setdefault(e["area"], {k: 0 for k in VERDICTS})[e["verdict"]] += 1
    counts: dict[str, int] = {k: sum(a[k] for a in areas.values()) for k in VERDICTS}
    target = results.get("target") or {}
    covered = [e["id"] for e in entries if e["covered"]]
    return {
        "$schema": SCHEMA_ID,
        "format_version": FORMAT_VERSION,
        "harness_version": results.get("harness_version", __version__),
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "started_at": results.get("started_at"),
        "finished_at": results.get("finished_at"),
        "target": target,
        "embedded": bool(results.get("embedded")),
        "embedded_faults": list(results.get("embedded_faults") or []),
        "scope": results.get("scope", "server"),
        **({"client": results["client"]} if results.get("client") else {}),  # a client certification: its scenarios
        "profile": {
            "hypothesis_profile": (profile or {}).get("hypothesis_profile", results.get("hypothesis_profile")),
            "hypothesis_seed": results.get("seed"),
            "throttle": target.get("throttle"),
            "token_ttl_seconds": target.get("token_ttl_seconds"),
            "max_requests": (target.get("budget") or {}).get("max_requests"),
            "requests_sent": results.get("requests_sent", 0),
            "cases": cases_per_phase(checks),
        },
        "digests": digests(),
        "overall": {
            "verdict": overall_verdict(counts, scope),
            "counts": counts,
            "scope": scope,
            "accept_unjudged": accept,  # what --accept-unjudged named (scope says which it accepted)
            "root_cause": root_cause(entries, verdicts),
            "checks": {
                o: sum(1 for c in checks if _outcome(c, by_check) == o)
                for o in (
                    Outcome.PASSED,
                    Outcome.WARNED,
                    Outcome.FAILED,
                    Outcome.BLOCKED,
                    Outcome.ERROR,
                    Outcome.WAIVED,
                    Outcome.SKIPPED,
                )
            },
        },
        "areas": [{"area": a, "counts": c} for a, c in areas.items()],
        "coverage": {
            "total": len(entries),
            "covered": len(covered),
            "not_covered": [e["id"] for e in entries if e["verdict"] == "not_covered"],
            "not_verified": [e["id"] for e in entries if e["verdict"] == "not_verified"],
            "not_applicable": [e["id"] for e in entries if e["verdict"] == "not_applicable"],
        },
        "requirements": entries,
        "checks": [
            {
                **c,
                "outcome": _outcome(c, by_check),
                "waiver": by_check[c["nodeid"]].to_dict() if c["nodeid"] in by_check else None,
            }
            for c in checks
        ],
        "waivers": _waiver_report(waivers, today, checks, list(by_check.values()) + list(by_req.values())),
        "variables": dict(results.get("variables") or {}),
        "deployment": deployment.build(checks, target),
    }


# A refused baseline blocks what depends on it: the report leads with it.
BASELINES = ("REG-OK-1", "TOK-OK-1")


def root_cause(entries: list[dict[str, Any]], verdicts: Mapping[str, RequirementVerdict]) -> dict[str, Any] | None:
    """The failed baseline that kept other requirements from being judged (their structured reasons say
    so), and those requirements; else None."""
    for baseline in BASELINES:
        failed = next((e for e in entries if e["id"] == baseline and e["verdict"] == "fail"), None)
        if failed is None:
            continue
        prevented = [
            e["id"] for e in entries if e["verdict"] == "not_verified" and verdicts[e["id"]].blocked_by(baseline)
        ]
        if prevented:
            return {"requirement": baseline, "reason": (failed["reasons"] or [""])[0], "prevented": prevented}
    return None


def root_cause_line(cause: Mapping[str, Any]) -> str:
    prevented = cause["prevented"]
    return (
        f"{cause['requirement']} fails ({cause['reason']}), and that kept {len(prevented)} requirement(s) from "
        f"being judged: {', '.join(prevented)}"
    )


def unjudged_lines(scope: Mapping[str, Any]) -> list[str]:
    """What was left unjudged for a structured reason (timing), accepted or not: never silent."""
    lines = []
    accepted = scope.get("accepted_unjudged") or []
    if accepted:
        lines.append("accepted unjudged: " + ", ".join(f"{u['requirement']} ({u['unjudged']})" for u in accepted))
    unjudged = scope.get("unjudged") or []
    if unjudged:
        ids = ",".join(u["requirement"] for u in unjudged)
        lines.append(
            "unjudged: "
            + ", ".join(f"{u['requirement']} ({u['unjudged']})" for u in unjudged)
            + f": no PASS; a busy CI runner may accept them with --accept-unjudged {ids}"
        )
    return lines


def cases_per_phase(checks: list[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Per phase of the generated checks (coverage, generate, shrink): cases sent, and by how many checks,
    so that a CI gate's run and a nightly run can be compared."""
    phases: dict[str, dict[str, int]] = {}
    for check in checks:
        for phase, count in (check.get("cases") or {}).items():
            entry = phases.setdefault(phase, {"cases": 0, "checks": 0})
            entry["cases"] += count
            entry["checks"] += 1
    order = (
        "coverage",
        "near-miss",
        "generate",
        "shrink",
    )  # strategies/runner.py's phases, in the order a check runs them
    return dict(sorted(phases.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)))


def _outcome(check: Mapping[str, Any], by_check: Mapping[str, Waiver]) -> str:
    return "waived" if check["nodeid"] in by_check else check["outcome"]


def write(run_dir: Path, document: Mapping[str, Any], scanner: Any = None) -> tuple[Path, Path]:
    """Write certification.json and certification.html (through the run's secret scanner; the page shows
    the trend of this target's earlier runs beside run_dir), and the contract.html that its requirement
    links point at, into run_dir."""
    from . import contract_page, trend
    from .html import render

    clean = scanner.clean if scanner is not None else (lambda text, artifact: text)
    json_path, html_path = run_dir / CERT_JSON, run_dir / CERT_HTML
    json_path.write_text(clean(json.dumps(document, indent=2, ensure_ascii=False) + "\n", CERT_JSON), encoding="utf-8")
    html_path.write_text(clean(render(document, trend.build(run_dir, document)), CERT_HTML), encoding="utf-8")
    contract_page.write(run_dir)  # the shipped contract: no run data, nothing to scan
    return json_path, html_path


def regenerate(results_path: Path, waivers: WaiverFile = NO_WAIVERS, out_dir: Path | None = None) -> tuple[Path, Path]:
    results = json.loads(Path(results_path).read_text(encoding="utf-8"))
    return write(out_dir or Path(results_path).parent, build(results, waivers))
