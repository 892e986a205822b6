"""write_run: every artifact of a finished run, in one order, through the run's secret scanner; a
conformance run and a client certification alike (the plan says what each writes).

results.json, the plan's extra files (certify-client's traffic), the reports/latest link,
certification.json/html, exchanges.har; then JUnit: pytest's file with a stopped run's INCOMPLETE
case, or the harness's own from the result's checks when pytest wrote none; JUnit and Allure scanned,
the verdict stamped; last the signature, over what is written. Returns the result with what was written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..http.secret_scan import SecretScanner
from ..results.run_result import RESULTS_JSON, RunResult
from . import har
from .certification import build, write
from .junit import Suite, mark_junit_incomplete, stamp_junit, verdict_facts, write_junit
from .signing import SigningError, load_private_key, sign_report
from .waivers import NO_WAIVERS, WaiverFile


@dataclass(frozen=True)
class ArtifactPlan:
    """What a run writes besides results.json, and where pytest's writers put their files."""

    waivers: WaiverFile = NO_WAIVERS
    junit: Path | None = None
    junit_suite: Suite | None = None  # no pytest JUnit: write `junit` from the result's checks, as this suite
    extra_files: tuple[tuple[str, str], ...] = ()  # (name, text) written into the run dir after results.json
    link_latest: bool = True  # reports/latest: the newest conformance run
    har: bool = True  # exchanges.har; a client certification keeps its whole traffic in an extra file instead
    allure_dir: Path | None = None
    allure_since: float = 0.0  # Allure files older than the run are not the run's to scan
    sign_key: Path | None = None
    profile: Mapping[str, Any] | None = None  # the Hypothesis profile the certification names


def write_run(result: RunResult, plan: ArtifactPlan, scanner: SecretScanner) -> RunResult:
    run_dir = result.run_dir
    assert run_dir is not None
    scanner.write_text(run_dir / RESULTS_JSON, json.dumps(result.results, indent=2))
    for name, text in plan.extra_files:
        scanner.write_text(run_dir / name, text)
    if plan.link_latest:
        link_latest(run_dir)
    document = build(result.results, plan.waivers, plan.profile)
    _, path = write(run_dir, document, scanner)
    if plan.har:
        har.write(run_dir, result.results, scanner)
    if plan.junit is not None and plan.junit_suite is not None:
        write_junit(plan.junit, result.checks, plan.junit_suite)
    junit = plan.junit if plan.junit is not None and plan.junit.is_file() else None
    if plan.junit_suite is None:  # the harness's own file has every check's case: none is missing to add
        mark_junit_incomplete(str(junit) if junit else None, document)
    if plan.allure_dir is not None:
        scanner.clean_dir(plan.allure_dir, plan.allure_since - 1)
    if junit is not None:
        scanner.clean_file(junit)
    stamp_verdict(document, junit, plan.allure_dir)
    written = replace(result, certification=document, certification_path=path, written=True)
    return sign(written, plan.sign_key)


def link_latest(run_dir: Path) -> None:
    latest = run_dir.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(run_dir.name)
    except OSError:
        pass  # a file system without symlinks still has the dated directory


def stamp_verdict(document: Mapping[str, Any], junit: Path | None, allure_dir: Path | None) -> None:
    """The overall verdict (PARTIAL, NO VERDICT, ...) in JUnit and Allure too, not only in the certification."""
    facts = verdict_facts(dict(document))
    if junit is not None:
        stamp_junit(junit, facts)
    if allure_dir is not None and allure_dir.is_dir():
        (allure_dir / "environment.properties").write_text("".join(f"{k}={v}\n" for k, v in facts.items()))


def sign(result: RunResult, key_path: Path | None) -> RunResult:
    if key_path is None or result.run_dir is None:
        return result
    try:
        return replace(result, signature_path=sign_report(result.run_dir, load_private_key(key_path)))
    except SigningError as exc:
        return replace(result, signature_error=str(exc))
