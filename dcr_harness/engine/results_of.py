"""results.json from the run's state: the facts the engine knows about the run, around its checks.

Read once, when the run ends (RunRecorder.finish), through the one builder (results/run_result.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..results.run_result import ResultsBuilder, check_dicts
from .run_state import Halt
from .shrink_budget import shrink_seconds

if TYPE_CHECKING:
    from .run_state import RunState


def results_of(run: RunState) -> dict[str, Any]:
    return ResultsBuilder(run.started_at, run.masker, run_facts(run), run_fields(run)).build(
        check_dicts(run.records, run.masker)
    )


def run_facts(run: RunState) -> dict[str, Any]:
    """What results.json says about the run before its checks."""
    figures, embedded = run.figures, run.embedded
    return {
        "target": run.target.masked() if run.target else None,
        "embedded": embedded is not None,
        "embedded_faults": list(embedded.faults) if embedded else [],
        # What else the embedded reference was started with (permitted choices, policies): replay starts it again.
        "embedded_args": list(embedded.extra_args) if embedded else [],
        "reachability": run.reachability,
        "seed": run.run_config.hypothesis_seed,
        "selection": selection(run),
        "unreachable": run.standing.halt is Halt.UNREACHABLE,
        "stop_reason": run.standing.reason,
        "requests_sent": figures.sent if figures else 0,
        "unexpected_429": figures.unexpected_429 if figures else 0,
        # Run-level notes of the HTTP layer (a throttle stricter than the profile; devices).
        "throttle_mismatch": figures.throttle_mismatch if figures else None,
        "device_note": figures.devices.note if figures else None,
        "pacing_wait_s": round(figures.pacer.waited_s, 2) if figures and figures.pacer else 0,
        # What the user accepted to leave unjudged (--accept-unjudged): the certification lists what it accepted.
        "accept_unjudged": list(run.run_config.accept_unjudged),
    }


def run_fields(run: RunState) -> dict[str, Any]:
    """What a run adds to results.json beyond its checks: shrink time, and INCOMPLETE when stopped."""
    workers = run.workers.shrink_seconds if run.workers is not None else None  # a concurrent run's workers' sum
    fields: dict[str, Any] = {"shrink_seconds": workers or shrink_seconds(), "seed": run.seed}
    if run.standing.stopped is not None:
        done = {r.nodeid for r in run.records}
        fields["incomplete"] = run.standing.stopped
        fields["not_run"] = [n for n in run.collected if n not in done]
    return fields


def selection(run: RunState) -> dict[str, Any]:
    """How the run was narrowed (--req, -k, -m, --ignore, a subset of the suites): a narrowed run is PARTIAL."""
    chosen = {
        "req": list(run.run_config.req),
        "k": run.narrowing.k,
        "m": run.narrowing.m,
        "ignored": list(run.narrowing.ignored),
        "paths": list(run.narrowing.paths),
    }
    narrowed = bool(run.deselected or any(chosen.values()))
    return {"narrowed": narrowed, **chosen, "deselected": run.deselected, "ran": len(run.records)}
