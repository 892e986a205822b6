"""The options of a conformance run, declared once.

`dcr-harness run` (argparse) and a bare `pytest conformance` (pytest's option group) are both
generated from RUN_OPTIONS: argparse's add_argument and pytest's addoption take the same keywords.
Where the two surfaces legitimately differ (a default, a flag's name, an option only one of them
has) the entry says so. build_run_config reads either namespace through the same table into the
frozen RunConfig, and is the one place that checks the values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..contract.target import target_path_from_env
from ..errors import ExitCode
from ..paths import DEFAULT_REPORT_DIR
from . import selection
from .run_config import RunConfig, RunConfigError
from .shrink_budget import DEFAULT_SHRINK_SECONDS

CLI = "dcr-harness run"
PYTEST = "pytest"
BOTH = (CLI, PYTEST)

DEFAULT_MAX_TIME_S = 600.0  # `dcr-harness run` always has a deadline; a bare pytest run has none unless asked
DEFAULT_WORKERS = 4
_DEADLINE = (
    f"run deadline; when it passes the run stops and reports what has run as INCOMPLETE, exit {ExitCode.INCOMPLETE}"
)


def _as_given(value: Any) -> Any:
    return value


def _tuple(values: Any) -> tuple[str, ...]:
    return tuple(values or ())


def _zero_is_none(value: Any) -> Any:
    return value or None


def _int_or_none(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)  # Hypothesis' own --hypothesis-seed is a string
    except ValueError:
        raise RunConfigError(f"--hypothesis-seed must be a whole number, not {value!r}") from None


def _known_selection(values: Any) -> tuple[str, ...]:
    unknown = selection.unknown(selection.parse(values or ()))
    if unknown:
        raise RunConfigError(selection.unknown_message(unknown))
    return _tuple(values)


def _exact_ids(values: Any) -> tuple[str, ...]:
    ids, problem = selection.exact_ids(values or (), "--accept-unjudged")
    if problem:
        raise RunConfigError(problem)
    return tuple(ids)


@dataclass(frozen=True)
class RunOption:
    """One option of a conformance run, on every surface that has it."""

    flags: tuple[str, ...]
    dest: str  # the same on both surfaces, so that one build reads either namespace
    help: str
    keywords: Mapping[str, Any] = field(default_factory=dict)  # type, action, default, metavar: on both surfaces
    fills: str | None = None  # the RunConfig field it fills; None: `dcr-harness run` reads it itself
    value: Callable[[Any], Any] = _as_given  # the given value -> the field's value (raises RunConfigError)
    declared_on: tuple[str, ...] = BOTH
    # A surface where another plugin declares the option under the same dest (Hypothesis' --hypothesis-seed).
    owned_elsewhere_on: tuple[str, ...] = ()
    differs: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)  # per surface: its flags, default, help
    at_least_zero: bool = False

    def flags_on(self, surface: str) -> tuple[str, ...]:
        return tuple(self.differs.get(surface, {}).get("flags", self.flags))

    def keywords_on(self, surface: str) -> dict[str, Any]:
        there = {k: v for k, v in self.differs.get(surface, {}).items() if k != "flags"}
        return {"help": self.help, **self.keywords, **there, "dest": self.dest}

    def read_on(self, surface: str) -> bool:
        return surface in self.declared_on or surface in self.owned_elsewhere_on


RUN_OPTIONS: tuple[RunOption, ...] = (
    RunOption(
        ("--target",),
        "dcr_target",
        "target file (TOML or JSON); default $DCR_TARGET, else the embedded reference server",
        {"default": None, "metavar": "FILE"},
        fills="target_path",
        value=target_path_from_env,
    ),
    RunOption(
        ("-k",),
        "k",
        "pytest -k expression selecting checks",
        {"metavar": "EXPRESSION"},
        declared_on=(CLI,),  # pytest has its own -k
    ),
    RunOption(
        ("--req",),
        "dcr_req",
        "only the checks citing this requirement ID or prefix (repeatable or comma-separated: REG-ERR-3,TOK-)",
        {"action": "append", "default": [], "metavar": "ID"},
        fills="req",
        value=_known_selection,
    ),
    RunOption(
        ("--report-dir",),
        "dcr_report_dir",
        "where the run writes its reports (default reports/)",
        {"default": None, "metavar": "DIR"},
        fills="report_root",
        value=lambda given: Path(given or DEFAULT_REPORT_DIR),
    ),
    RunOption(
        ("--hypothesis-seed",),
        "hypothesis_seed",
        "seed for generated checks",
        {"type": int, "default": None, "metavar": "SEED"},
        fills="hypothesis_seed",
        value=_int_or_none,
        declared_on=(CLI,),
        owned_elsewhere_on=(PYTEST,),  # Hypothesis' pytest plugin declares it
    ),
    RunOption(
        ("--accept-unjudged",),
        "dcr_accept_unjudged",
        "requirement IDs that may stay unjudged for timing (a busy CI runner) without making the run "
        f"INCONCLUSIVE (exit {ExitCode.INCONCLUSIVE}); repeatable or comma-separated: THR-2,THR-6; "
        "the certification lists each one it accepted",
        {"action": "append", "default": [], "metavar": "IDS"},
        fills="accept_unjudged",
        value=_exact_ids,
    ),
    RunOption(
        ("-v", "--verbose"),
        "verbose",
        "one line per check",
        {"action": "store_true"},
        declared_on=(CLI,),  # pytest has its own -v
    ),
    RunOption(
        ("--embedded-fault",),
        "dcr_faults",
        "start the embedded reference server with this fault switched on (harness self-tests)",
        {"action": "append", "default": [], "metavar": "NAME"},
        fills="embedded_faults",
        value=_tuple,
        declared_on=(PYTEST,),  # `dcr-harness run` passes them to pytest after --
    ),
    RunOption(
        ("--embedded-arg",),
        "dcr_embedded_args",
        "extra argument for the embedded reference server, e.g. --embedded-arg=--device-info-policy=fallback",
        {"action": "append", "default": [], "metavar": "ARG"},
        fills="embedded_args",
        value=_tuple,
        declared_on=(PYTEST,),
    ),
    RunOption(
        ("--max-time",),
        "dcr_max_time",
        f"{_DEADLINE} (default: none)",
        {"type": float, "default": None, "metavar": "SECONDS"},
        fills="max_time",
        value=_zero_is_none,
        differs={
            CLI: {"default": DEFAULT_MAX_TIME_S, "help": f"{_DEADLINE} (default {DEFAULT_MAX_TIME_S:.0f}; 0: none)"}
        },
        at_least_zero=True,
    ),
    RunOption(
        ("--shrink-time",),
        "dcr_shrink_time",
        "how long a generated check shrinks a failure before reporting the smallest so far "
        f"(default {DEFAULT_SHRINK_SECONDS:g})",
        {"type": float, "default": DEFAULT_SHRINK_SECONDS, "metavar": "SECONDS"},
        fills="shrink_time",
        at_least_zero=True,
    ),
    RunOption(
        ("--workers",),
        "workers",
        f"run independent checks in N processes side by side (default {DEFAULT_WORKERS}; 0: one after "
        "another; a --req selection always runs in one process)",
        {"type": int, "default": DEFAULT_WORKERS, "metavar": "N"},
        declared_on=(CLI,),  # under pytest: pytest-xdist's -n
        at_least_zero=True,
    ),
    RunOption(
        ("--no-example-db",),
        "dcr_no_example_db",
        "do not keep or replay failing Hypothesis examples (kept per target in the user cache otherwise; "
        "the ci profile never keeps them)",
        {"action": "store_true", "default": False},
        fills="example_db",
        value=lambda given: not given,
    ),
    RunOption(
        ("--keep",),
        "dcr_keep",
        "keep only the N newest run directories in the report directory (default: keep all)",
        {"type": int, "default": None, "metavar": "N"},
        fills="keep",
        value=_zero_is_none,
        at_least_zero=True,
    ),
    RunOption(
        ("--waivers",),
        "dcr_waivers",
        "waiver file (TOML) of accepted deviations; a waived failure is reported as waived (see docs/reports.md)",
        {"default": None, "metavar": "FILE"},
        fills="waivers",
    ),
    RunOption(
        ("--sign-key",),
        "dcr_sign_key",
        "sign certification.json with this Ed25519 private key (PEM) at the end of the run",
        {"default": None, "metavar": "KEY.pem"},
        fills="sign_key",
    ),
    RunOption(
        ("--allure-in-run-dir",),
        "dcr_allure_in_run_dir",
        "write Allure results to <run dir>/allure-results unless --alluredir is given",
        {"action": "store_true", "default": False},
        fills="allure_in_run_dir",
        value=bool,
        # pytest's --alluredir (allure-pytest) names a folder; the CLI's switch asks for the run's own.
        differs={CLI: {"flags": ("--allure",), "help": "also write Allure results to <run dir>/allure-results"}},
    ),
    RunOption(
        ("--baseline",),
        "baseline",
        "regression gate: exit 1 only when a requirement got worse than in this earlier run "
        "(newly failing or newly not verifiable), 0 otherwise even if this run fails",
        {"default": None, "metavar": "RUN_DIR_OR_RESULTS"},
        declared_on=(CLI,),  # the gate reads the RunResult `dcr-harness run` gets back
    ),
)


def add_to_cli(parser: Any) -> None:
    """Declare the run's options on `dcr-harness run` (an argparse parser)."""
    for option in RUN_OPTIONS:
        if CLI in option.declared_on:
            parser.add_argument(*option.flags_on(CLI), **option.keywords_on(CLI))


def add_to_pytest(group: Any) -> None:
    """Declare the run's options in pytest's dcr-harness option group."""
    for option in RUN_OPTIONS:
        if PYTEST in option.declared_on:
            group.addoption(*option.flags_on(PYTEST), **option.keywords_on(PYTEST))


def build_run_config(options: Any, surface: str) -> RunConfig:
    """The RunConfig of a namespace of either surface (argparse's, or pytest's config.option), its values
    checked: RunConfigError carries the one-line usage error. A field whose option the surface lacks takes
    its empty value (the embedded switches of `dcr-harness run`: completed_by_pytest adds them)."""
    for option in RUN_OPTIONS:
        given = _given(option, options, surface)
        if option.at_least_zero and given is not None and given < 0:
            raise RunConfigError(f"{option.flags_on(surface)[0]} must be 0 or more, not {given:g}")
    return RunConfig(**_fields(RUN_OPTIONS, options, surface))


def completed_by_pytest(handed: RunConfig, options: Any) -> RunConfig:
    """The RunConfig `dcr-harness run` handed over, with the fields only pytest's options carry
    (the embedded reference's switches, given after --)."""
    return replace(handed, **_fields([o for o in RUN_OPTIONS if not o.read_on(CLI)], options, PYTEST))


def _given(option: RunOption, options: Any, surface: str) -> Any:
    # None where the surface lacks the option, or where the plugin that owns it is disabled.
    return getattr(options, option.dest, None) if option.read_on(surface) else None


def _fields(table: Iterable[RunOption], options: Any, surface: str) -> dict[str, Any]:
    return {
        option.fills: option.value(_given(option, options, surface)) for option in table if option.fills is not None
    }
