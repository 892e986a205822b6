"""The run as a value: RunResult (results.json, how the run ended, what was written) and its builder.

A conformance run (the engine) and a client certification (clientcert) build results.json here, so
that it has one shape: schemas/results.schema.json. Every text in it is masked by the run's masker.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any, Protocol

from .. import __version__
from ..contract.verdicts import RunVerdict
from ..http import Masker
from ..http.secret_scan import variables_in

RESULTS_JSON = "results.json"


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def run_dir_name(target_name: str) -> str:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", target_name).strip("-") or "target"
    return f"{stamp}-{slug}-{os.getpid()}"


class Ending(str, Enum):  # noqa: UP042  (a StrEnum would change str() of a member)
    """How the run ended, beside its verdicts: what exit_code() reads first."""

    COMPLETED = "completed"  # every selected check ran (or the run found nothing to judge)
    STOPPED = "stopped"  # a signal or the deadline: the report is INCOMPLETE
    UNREACHABLE = "unreachable"  # the target (or the embedded reference) did not answer: no verdicts
    TARGET_FILE_REFUSED = "target file refused"  # the target's answer says the target file is wrong
    NOTHING_SELECTED = "nothing selected"  # no check matched the selection
    USAGE = "usage"  # an option or input file the run refused, or pytest was told to stop (-x, pytest.exit)
    INTERNAL_ERROR = "internal error"  # the harness itself crashed


@dataclass(frozen=True)
class RunResult:
    """One run's outcome: results.json (masked), how it ended, and once written, its certification."""

    run_dir: Path | None
    results: Mapping[str, Any]
    ending: Ending = Ending.COMPLETED
    tests_failed: int = 0  # checks pytest saw fail (a blocked check or a waived one counts)
    certification: Mapping[str, Any] | None = None  # set by write_run
    certification_path: Path | None = None
    signature_path: Path | None = None
    signature_error: str | None = None
    stop_reason: str | None = None  # what ended the run when it did not complete
    written: bool = False  # results.json and the reports are in run_dir (a run with no check writes none)

    @property
    def verdict(self) -> RunVerdict | None:
        return RunVerdict(self.certification["overall"]["verdict"]) if self.certification else None

    @property
    def checks(self) -> list[Mapping[str, Any]]:
        return list(self.results.get("checks") or [])

    @property
    def results_path(self) -> Path | None:
        return self.run_dir / RESULTS_JSON if self.written and self.run_dir is not None else None


class MasksToDict(Protocol):
    """A check's record as results.json takes it: this process's CheckRecord, or a worker's merged one."""

    def to_dict(self, masker: Masker) -> dict[str, Any]: ...


def check_dicts(records: Iterable[MasksToDict], masker: Masker) -> list[dict[str, Any]]:
    return [r.to_dict(masker) for r in records]


@dataclass
class ResultsBuilder:
    """results.json in one order for every kind of run: the run's facts, its checks, the legend of
    the variables they use, then what a kind of run adds (shrink time, a stopped run's INCOMPLETE)."""

    started_at: str
    masker: Masker
    head: dict[str, Any] = field(default_factory=dict)
    tail: dict[str, Any] = field(default_factory=dict)

    def build(self, checks: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "harness_version": __version__,
            "started_at": self.started_at,
            "finished_at": utc_now(),
            **self.head,
            "checks": checks,
            # The legend of the reproductions: what each ${DCR_...} variable stands for.
            "variables": self.masker.legend(variables_in(json.dumps(checks))),
            **self.tail,
        }
