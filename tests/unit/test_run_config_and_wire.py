"""The run's options as one frozen value, and the typed records pytest-xdist's processes exchange."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from dcr_harness.engine.run_config import RunConfig
from dcr_harness.engine.run_options import PYTEST, build_run_config
from dcr_harness.engine.wire import BRIEF, WorkerBrief, WorkerTotals


def test_the_run_config_is_read_from_pytests_options_and_frozen(pytestconfig: pytest.Config) -> None:
    config = build_run_config(pytestconfig.option, PYTEST)
    assert config.shrink_time == pytestconfig.getoption("dcr_shrink_time")
    assert config.example_db is not pytestconfig.getoption("dcr_no_example_db")
    for option in dataclasses.fields(config):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(config, option.name, None)


@pytest.mark.parametrize(
    "base_url, faults, args, key",
    [
        ("https://dcr.example", ("reg-status-200",), (), "https://dcr.example"),
        (
            None,
            ("tok-status-200", "reg-status-200"),
            ("--rate=5",),
            "embedded reference reg-status-200 tok-status-200 --rate=5",
        ),
        (None, (), (), "embedded reference "),
    ],
)
def test_examples_are_kept_per_target(pytestconfig: pytest.Config, base_url, faults, args, key) -> None:
    config = dataclasses.replace(
        build_run_config(pytestconfig.option, PYTEST), embedded_faults=faults, embedded_args=args
    )
    assert config.example_db_key(base_url) == key


RUN_CONFIG = RunConfig(
    target_path="/tmp/t.json",
    report_root=Path("/tmp/reports"),
    req=("TOK-",),
    accept_unjudged=("THR-2",),
    embedded_faults=(),
    embedded_args=("--rate=5",),
    max_time=60.0,
    shrink_time=1.0,
    example_db=False,
    keep=3,
    waivers=None,
    sign_key="key.pem",
    allure_in_run_dir=True,
    hypothesis_seed=None,
)
BRIEF_SAMPLE = WorkerBrief(
    target_file="/tmp/t.json",
    embedded_data_dir=None,
    embedded_faults=[],
    run_dir="/tmp/run",
    seed=7,
    seed_forced=True,
    device_offset=8192,
    reachability={"status": 405, "happy_path": "ok"},
    unreachable=None,
    target_file_problem=None,
    run_config=RUN_CONFIG,
)


def test_a_run_config_survives_the_wire_as_plain_json() -> None:
    assert RunConfig.from_wire(json.loads(json.dumps(RUN_CONFIG.to_wire()))) == RUN_CONFIG


def test_a_worker_brief_survives_the_wire_as_plain_json() -> None:
    wire = json.loads(json.dumps(BRIEF_SAMPLE.to_wire()))  # what execnet can carry
    assert WorkerBrief.from_wire({"workerid": "gw0", **wire}) == BRIEF_SAMPLE
    assert WorkerBrief.from_wire({"workerid": "gw0"}) is None  # a worker of a run that is not a conformance run
    assert set(wire) == {BRIEF}


def test_worker_totals_survive_the_wire_and_default_what_is_missing() -> None:
    totals = WorkerTotals(deselected=3, target_file_refused=True, stop_reason="x", unexpected_429=2, pacing_wait_s=1.5)
    assert WorkerTotals.from_wire(json.loads(json.dumps(totals.to_wire()))) == totals
    assert WorkerTotals.from_wire(None) == WorkerTotals()
