"""Every option of a conformance run is declared in one place (engine/run_options.py): `dcr-harness run`
and pytest are generated from the table, and one build reads either namespace into the same RunConfig."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Any

import pytest

from dcr_harness.cli.commands import build_parser
from dcr_harness.engine.run_config import RunConfig, RunConfigError
from dcr_harness.engine.run_options import (
    CLI,
    PYTEST,
    RUN_OPTIONS,
    RunOption,
    build_run_config,
    completed_by_pytest,
)

pytest_plugins = ["pytester"]  # Pytester.parseconfig: pytest's own parsing, in this process, no session

# A value for every option, as a user types it (none of them a default).
GIVEN = {
    "dcr_target": "staging.toml",
    "k": "register",
    "dcr_req": "REG-OK-1,TOK-",
    "dcr_report_dir": "/tmp/elsewhere",
    "hypothesis_seed": "7",
    "dcr_accept_unjudged": "THR-2",
    "dcr_faults": "reg-status-200",
    "dcr_embedded_args": "--rate=5",
    "dcr_max_time": "30",
    "dcr_shrink_time": "2.5",
    "workers": "2",
    "dcr_keep": "3",
    "dcr_waivers": "waivers.toml",
    "dcr_sign_key": "key.pem",
    "baseline": "reports/earlier",
}


def typed(option: RunOption, flag: str) -> list[str]:
    if option.keywords.get("action") == "store_true":
        return [flag]
    # --opt=VALUE: an --embedded-arg value that starts with -- stays a value
    return [f"{flag}={GIVEN[option.dest]}"] if flag.startswith("--") else [flag, GIVEN[option.dest]]


def argv_for(surface: str) -> list[str]:
    """Every option the surface reads, each given once (under pytest, --hypothesis-seed is Hypothesis' own)."""
    return [arg for o in RUN_OPTIONS if o.read_on(surface) for arg in typed(o, o.flags_on(surface)[0])]


def cli_options(argv: list[str]) -> Any:
    return build_parser().parse_args(["run", *argv])


def pytest_options(pytester: pytest.Pytester, argv: list[str]) -> Any:
    return pytester.parseconfig(*argv).option


def test_every_fills_is_filled_by_exactly_one_option() -> None:
    filled = Counter(o.fills for o in RUN_OPTIONS if o.fills is not None)
    assert sorted(filled) == sorted(f.name for f in dataclasses.fields(RunConfig))
    assert set(filled.values()) == {1}, filled


def test_every_option_is_declared_on_each_surface_it_claims(pytester: pytest.Pytester) -> None:
    cli = vars(cli_options([]))
    under_pytest = vars(pytest_options(pytester, []))
    for option in RUN_OPTIONS:
        assert (option.dest in cli) is (CLI in option.declared_on), option.flags
        if option.read_on(PYTEST):
            assert option.dest in under_pytest, option.flags
    for option in (o for o in RUN_OPTIONS if CLI not in o.declared_on):
        with pytest.raises(SystemExit):
            cli_options(typed(option, option.flags_on(PYTEST)[0]))


def test_the_cli_and_the_equivalent_pytest_argv_give_the_same_run_config(pytester: pytest.Pytester) -> None:
    under_pytest = pytest_options(pytester, argv_for(PYTEST))
    from_pytest = build_run_config(under_pytest, PYTEST)
    # What the engine does with the RunConfig `dcr-harness run` hands it: pytest's own switches added.
    from_cli = completed_by_pytest(build_run_config(cli_options(argv_for(CLI)), CLI), under_pytest)
    assert from_cli == from_pytest
    defaults = build_run_config(pytest_options(pytester, []), PYTEST)
    unchanged = [
        f.name for f in dataclasses.fields(RunConfig) if getattr(from_pytest, f.name) == getattr(defaults, f.name)
    ]
    assert unchanged == [], "GIVEN leaves these at their defaults, so the comparison proves nothing about them"


def test_the_surfaces_differ_where_the_table_says_so(pytester: pytest.Pytester) -> None:
    cli = build_run_config(cli_options([]), CLI)
    bare = build_run_config(pytest_options(pytester, []), PYTEST)
    differing = {f.name for f in dataclasses.fields(RunConfig) if getattr(cli, f.name) != getattr(bare, f.name)}
    declared = {o.fills for o in RUN_OPTIONS if o.fills and "default" in o.differs.get(CLI, {})}
    assert differing == declared == {"max_time"}  # `dcr-harness run` has a deadline by default, bare pytest none


# Bad values: the same one-line usage error from either surface.
REFUSED = [
    (["--max-time", "-1"], "--max-time must be 0 or more, not -1"),
    (["--shrink-time", "-0.5"], "--shrink-time must be 0 or more, not -0.5"),
    (["--keep", "-2"], "--keep must be 0 or more, not -2"),
    (["--req", "NOPE-9"], "no such requirement: NOPE-9"),
    (["--req", "REG-OK-9,TOK-"], "no such requirement: REG-OK-9 (nearest: REG-OK-"),
    (["--accept-unjudged", "THR-"], "--accept-unjudged: no such requirement: THR- "),  # exact IDs, no prefix
    (["--accept-unjudged", "THR-2,THR-99"], "--accept-unjudged: no such requirement: THR-99"),
]


@pytest.mark.parametrize("argv, message", REFUSED)
def test_a_bad_value_is_refused_in_the_build_with_the_same_message_on_both_surfaces(
    pytester: pytest.Pytester, argv: list[str], message: str
) -> None:
    refused = []
    for surface, options in ((CLI, cli_options(argv)), (PYTEST, pytest_options(pytester, argv))):
        with pytest.raises(RunConfigError) as caught:
            build_run_config(options, surface)
        refused.append(str(caught.value))
    assert refused[0] == refused[1] and refused[0].startswith(message) and "\n" not in refused[0]


def test_workers_is_checked_by_the_same_build() -> None:
    with pytest.raises(RunConfigError, match="^--workers must be 0 or more, not -1$"):
        build_run_config(cli_options(["--workers", "-1"]), CLI)


def test_a_seed_that_is_no_number_is_a_usage_error_under_bare_pytest(pytester: pytest.Pytester) -> None:
    # Hypothesis declares --hypothesis-seed as a string; the CLI's argparse already refuses one that is no int.
    with pytest.raises(RunConfigError, match="^--hypothesis-seed must be a whole number, not 'abc'$"):
        build_run_config(pytest_options(pytester, ["--hypothesis-seed", "abc"]), PYTEST)
