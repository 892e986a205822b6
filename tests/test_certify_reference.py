"""The suite passes against the reference server, including under choices the contract permits."""

import pytest

from .harness_runs import WITHOUT_GENERATED, run_harness


def test_reference_server_passes_with_zero_failures(tmp_path):
    run = run_harness(["run"], tmp_path / "reports")
    assert run.code == 0, run.output[-4000:]
    results = run.results()
    assert not run.checks("failed") and not run.checks("error"), run.output[-4000:]
    assert len(run.checks("passed")) > 80
    assert results["unexpected_429"] == 0
    assert (next((tmp_path / "reports").glob("*/junit.xml"))).stat().st_size > 0


@pytest.mark.parametrize("server_args", [
    pytest.param(["--embedded-arg=--device-info-policy=fallback"], id="device info ignored instead of rejected (DEV-3)"),
    pytest.param(["--embedded-fault=tok-accept-query-params"], id="query-string token parameters served (TOK-REQ-2)"),
])
def test_permitted_choices_are_not_failed(tmp_path, server_args):
    run = run_harness(["run", "--req", "DEV-", "--req", "TOK-REQ-2", "--", *server_args, *WITHOUT_GENERATED], tmp_path / "reports")
    assert run.code == 0, run.output[-4000:]
    assert not run.checks("failed")
