"""Hypothesis files: nothing is written to the working directory except under the
report directory; the example database lives in the user cache, keyed by target; every run
records and prints its seed, and --hypothesis-seed replays it."""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import pytest

from dcr_harness.engine.hypothesis_setup import example_db_dir

from ..harness_runs import ONE_PROCESS, run_harness
from ..once import once_per_run

pytestmark = pytest.mark.slow
# One generated property that fails against this fault, and one plain check.
SELECTION = ["-k", "test_register_rejects_malformed_bodies or test_register_returns_client_credentials"]
FAULT = "reg-500-bad-json"


def dev_env(base):
    return {"HYPOTHESIS_PROFILE": "dev", "XDG_CACHE_HOME": str(base / "cache"), "HOME": str(base / "home")}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """A first run against the faulty reference, from an empty working directory, with the example database."""
    return once_per_run(tmp_path_factory, "example-db-first-run", lambda: _first_run(tmp_path_factory))


def _first_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("first")
    cwd = base / "work"
    cwd.mkdir()
    run = run_harness(
        ["run", *SELECTION, "--", f"--embedded-fault={FAULT}"], cwd / "reports", env=dev_env(base), cwd=cwd
    )
    assert run.code == 1, run.output[-3000:]
    return base, cwd, run


def test_a_run_from_an_empty_directory_writes_only_under_the_report_dir(first_run):
    _, cwd, _ = first_run
    assert sorted(os.listdir(cwd)) == ["reports"]


def test_the_failure_is_saved_for_this_target_in_the_user_cache(first_run, monkeypatch):
    base, _, _ = first_run
    monkeypatch.setenv("XDG_CACHE_HOME", str(base / "cache"))
    saved = example_db_dir(f"embedded reference {FAULT}")
    assert saved.is_dir() and any(saved.rglob("*")), sorted(str(p) for p in (base / "cache").rglob("*"))


def test_no_example_db_keeps_nothing(tmp_path):
    run = run_harness(
        ["run", *ONE_PROCESS, "--no-example-db", *SELECTION, "--", f"--embedded-fault={FAULT}"],
        tmp_path / "reports",
        env=dev_env(tmp_path),
    )
    assert run.code == 1, run.output[-3000:]
    assert not (tmp_path / "cache" / "dcr-harness" / "hypothesis").exists()


# A base64url JWT segment: each embedded server signs its statements with a key of its own (another kid),
# so a replayed mutation of the statement differs in those bytes, not in where or how it was mutated.
JWT_SEGMENT = re.compile(r"eyJ[A-Za-z0-9_-]*")


def generated_requests(run) -> list[tuple]:
    """The property's requests (a failed check keeps them whole), without the per-run port, device and key."""
    (check,) = [c for c in run.results()["checks"] if "malformed" in c["nodeid"]]
    return [
        (
            e["method"],
            urlsplit(e["url"]).path,
            JWT_SEGMENT.sub(lambda m: f"<JWT segment of {len(m.group())}>", e["request_body"] or ""),
        )
        for e in check["exchanges"]
    ]


def test_the_seed_is_recorded_printed_and_replays_the_run(first_run, tmp_path):
    _, _, first = first_run
    seed = first.results()["seed"]
    assert isinstance(seed, int) and f"seed {seed}" in first.output
    again = run_harness(
        ["run", "--no-example-db", "--hypothesis-seed", str(seed), *SELECTION, "--", f"--embedded-fault={FAULT}"],
        tmp_path / "reports",
        env=dev_env(tmp_path),
    )
    assert again.results()["seed"] == seed
    assert generated_requests(again) == generated_requests(first)
    assert len(generated_requests(first)) > 1
