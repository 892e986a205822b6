"""results.json from the run's state: the facts the engine knows about the run, around its checks.

Read once, when the run ends (RunRecorder.finish), through the one builder (results/run_result.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..paths import CONFORMANCE_DIR
from ..results.run_result import ResultsBuilder, check_dicts
from .shrink_budget import shrink_seconds

if TYPE_CHECKING:
    from .recorder import RunRecorder


def results_of(run: RunRecorder) -> dict[str, Any]:
    return ResultsBuilder(run.started_at, run.masker, run_facts(run), run_fields(run)).build(
        check_dicts(run.records, run.masker)
    )


def run_facts(run: RunRecorder) -> dict[str, Any]:
    """What results.json says about the run before its checks."""
    session, embedded = run.session, run.embedded
    return {
        "target": run.target.masked() if run.target else None,
        "embedded": embedded is not None,
        "embedded_faults": list(embedded.faults) if embedded else [],
        # What else the embedded reference was started with (permitted choices, policies): replay starts it again.
        "embedded_args": list(embedded.extra_args) if embedded else [],
        "reachability": run.reachability,
        "seed": run.run_config.hypothesis_seed,
        "selection": selection(run),
        "unreachable": run.unreachable,
        "stop_reason": run.stop_reason,
        "requests_sent": session.sent if session else 0,
        "unexpected_429": session.unexpected_429 if session else 0,
        # Run-level notes of the HTTP layer (a throttle stricter than the profile; devices).
        "throttle_mismatch": session.throttle_mismatch if session else None,
        "device_note": session.devices.note if session else None,
        "pacing_wait_s": round(session.pacer.waited_s, 2) if session and session.pacer else 0,
        # What the user accepted to leave unjudged (--accept-unjudged): the certification lists what it accepted.
        "accept_unjudged": list(run.run_config.accept_unjudged),
    }


def run_fields(run: RunRecorder) -> dict[str, Any]:
    """What a run adds to results.json beyond its checks: shrink time, and INCOMPLETE when stopped."""
    fields: dict[str, Any] = {"shrink_seconds": getattr(run.session, "shrink_seconds", None) or shrink_seconds()}
    if run.hypothesis is not None:
        fields["seed"] = run.hypothesis.seed  # also when chosen by the run, not given
    if run.stopped:
        done = {r.nodeid for r in run.records}
        fields["incomplete"] = run.stopper.reason
        fields["not_run"] = [n for n in run.collected if n not in done]
    return fields


def selection(run: RunRecorder) -> dict[str, Any]:
    """How the run was narrowed (--req, -k, -m, --ignore, a subset of the suites): a narrowed run is PARTIAL."""
    opt = run.config.getoption
    subset = [a for a in run.config.args if Path(a.split("::")[0]).resolve() != CONFORMANCE_DIR]
    chosen = {
        "req": list(run.run_config.req),
        "k": opt("keyword", "") or "",
        "m": opt("markexpr", "") or "",
        "ignored": [Path(p).name for p in (opt("ignore", None) or [])],
        "paths": subset,
    }
    narrowed = bool(run.deselected or any(chosen.values()))
    return {"narrowed": narrowed, **chosen, "deselected": run.deselected, "ran": len(run.records)}
