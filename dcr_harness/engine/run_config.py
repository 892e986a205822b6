"""RunConfig: a conformance run's options, one frozen value.

The options are declared once, in engine/run_options.py, which builds this value from either
surface: `dcr-harness run` from its own arguments, handing it to pytest as a plugin object
(cli/commands.py), or a bare `pytest conformance` from pytest's options. Either way the engine
takes it once, in pytest_configure, sends it to pytest-xdist's workers in their brief
(engine/wire.py), and every part of it reads the typed value (no option is read back by name
elsewhere). The embedded reference's switches (--embedded-fault, --embedded-arg: harness
self-tests) stay pytest options.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from .selection import parse


class RunConfigError(ValueError):
    """An option the run cannot take (the message is the one-line usage error)."""


@dataclass(frozen=True)
class RunConfig:
    target_path: str | None  # the target file (--target, else $DCR_TARGET); None: the embedded reference
    report_root: Path
    req: tuple[str, ...]  # --req as given (IDs or prefixes, comma-separated or repeated)
    accept_unjudged: tuple[str, ...]  # exact IDs
    embedded_faults: tuple[str, ...]
    embedded_args: tuple[str, ...]
    max_time: float | None
    shrink_time: float
    example_db: bool
    keep: int | None
    waivers: str | None
    sign_key: str | None
    allure_in_run_dir: bool
    hypothesis_seed: int | None  # as given (the run's seed, chosen when not given, is HypothesisRun's)

    def to_wire(self) -> dict[str, Any]:
        return {**asdict(self), "report_root": str(self.report_root)}

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> RunConfig:
        tuples = {k: tuple(v) for k, v in data.items() if isinstance(v, list)}
        return cls(**{**data, **tuples, "report_root": Path(data["report_root"])})

    @property
    def wanted(self) -> list[str]:
        """The requirement IDs and prefixes --req selects (empty: every check)."""
        return parse(list(self.req))

    def example_db_key(self, base_url: str | None) -> str:
        """Examples replay against the target they were found on: its base URL, or the embedded reference and its switches."""
        if base_url is not None:
            return base_url
        return "embedded reference " + " ".join(sorted(self.embedded_faults) + sorted(self.embedded_args))


def handed_run_config(config: pytest.Config) -> RunConfig | None:
    """The RunConfig `dcr-harness run` handed to pytest.main as a plugin object, if it did."""
    return next((p for p in config.pluginmanager.get_plugins() if isinstance(p, RunConfig)), None)
