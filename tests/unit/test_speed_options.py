"""The time, concurrency and retention options of `dcr-harness run` refuse nonsense in one line."""

import pytest

from dcr_harness.cli.commands import main
from dcr_harness.errors import ExitCode


@pytest.mark.parametrize("option", ["--max-time", "--shrink-time", "--workers", "--keep"])
def test_negative_values_are_usage_errors(option, capsys):
    assert main(["run", option, "-1"]) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{option} must be 0 or more" in err
