"""Exact percentiles in a distributed load run: two local workers record HDR histograms, the master
merges them, writes them beside Locust's in metrics.json, and a broken p99 threshold on them exits 1."""

from __future__ import annotations

import json

import pytest

from tests.e2e.test_load import harness_load, run_dir

pytestmark = [pytest.mark.slow, pytest.mark.timing]  # a load run: how many requests it sends depends on time
RELATIVE_ERROR = 0.001  # the histograms' three significant figures
WHOLE_US = 0.0005  # ms: a response time is recorded to the nearest microsecond


def test_a_broken_exact_p99_fails_the_run_and_both_percentile_sets_are_written(tmp_path):
    strict = tmp_path / "strict.toml"
    # No request is answered within a microsecond: the limit breaks whatever the machine's speed.
    strict.write_text(
        "version = 2\n[token_refresh]\nerror_ratio_max = 0.001\n"
        "[token_refresh.latency_ms_exact]\napi = { p99 = 0.001 }\n"
    )
    proc = harness_load(
        tmp_path,
        "token_refresh",
        "--users",
        "4",
        "--spawn-rate",
        "4",
        "--duration",
        "4",
        "--workers",
        "2",
        "--thresholds",
        str(strict),
    )
    out = run_dir(tmp_path)
    assert proc.returncode == 1, proc.stderr[-3000:]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["verdict"] == "FAIL"
    assert [b.split(" ")[0] for b in metrics["broken"]] == ["latency_ms_exact.api.p99"]
    assert "broken: latency_ms_exact.api.p99" in proc.stderr
    rounded, exact = metrics["latency_ms"], metrics["latency_ms_exact"]
    assert set(exact) == set(rounded) >= {"register", "token", "api"}
    for name, figures in exact.items():
        # Every request either worker sent is in the merged histogram, as in Locust's merged count.
        assert figures["count"] == rounded[name]["count"], name
        # Locust keeps the maximum unrounded: the histogram's is the same value, to its precision (it records
        # whole microseconds, and reports the top of the maximum's bucket).
        low, high = rounded[name]["max"] - WHOLE_US, rounded[name]["max"] * (1 + RELATIVE_ERROR) + WHOLE_US
        assert low <= figures["max"] <= high, (name, figures["max"], rounded[name]["max"])
        assert figures["p50"] <= figures["p95"] <= figures["p99"] <= figures["max"]
    assert f"latency api ms, exact (Locust's): p50 {exact['api']['p50']:.4g}" in proc.stderr
