"""Exact response-time percentiles: HDR histograms merged across workers, and their thresholds."""

from __future__ import annotations

import random

import pytest

from dcr_harness.errors import ThresholdsError
from dcr_harness.loadgen.histograms import ExactLatency
from dcr_harness.loadgen.thresholds import evaluate, load_thresholds

RELATIVE_ERROR = 0.001  # three significant figures


def response_times(n: int, seed: int) -> list[float]:
    """Response times in ms over four decades, as a long-tailed service gives them."""
    rng = random.Random(seed)
    return [10 ** rng.uniform(-0.5, 3.5) for _ in range(n)]


def nearest_rank(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, round(pct / 100 * len(ordered) + 0.5) - 1)]


def test_percentiles_are_within_a_thousandth_of_the_true_ones():
    times = response_times(5000, seed=1)
    latency = ExactLatency()
    for t in times:
        latency.record("api", t)
    figures = latency.figures()["api"]
    assert figures["count"] == len(times)
    for key, pct in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100)):
        true = nearest_rank(times, pct)
        assert abs(figures[key] - true) <= true * RELATIVE_ERROR + 0.001, (key, figures[key], true)


def test_workers_histograms_merged_at_the_master_equal_one_process():
    times = response_times(3000, seed=2)
    alone, workers = ExactLatency(), [ExactLatency(), ExactLatency(), ExactLatency()]
    for i, t in enumerate(times):
        alone.record("token" if i % 3 else "api", t)
        workers[i % 3].record("token" if i % 3 else "api", t)
    master = ExactLatency()
    for worker in workers:
        report = worker.take()  # what report_to_master carries: encoded text
        assert all(isinstance(encoded, str) for encoded in report.values())
        master.merge(report)
        assert worker.take() == {}  # a take empties: the next report carries only what is new
    assert master.figures() == alone.figures()
    assert set(master.figures()) == {"api", "token"}


def test_a_response_longer_than_an_hour_is_counted_not_lost():
    latency = ExactLatency()
    latency.record("slow", 5 * 3600 * 1000.0)
    assert latency.figures()["slow"]["count"] == 1


def test_exact_thresholds_are_judged_on_the_exact_set(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text(
        "version = 2\n[token_refresh]\n[token_refresh.latency_ms_exact]\napi = { p95 = 10, p99 = 20 }\n"
        "[token_refresh.latency_ms]\napi = { p99 = 20 }\n"
    )
    th = load_thresholds(path, "token_refresh")
    rounded = {"api": {"p95": 9.0, "p99": 20.0}}  # Locust's buckets: 20 ms, within the limit
    exact = {"api": {"p95": 9.2, "p99": 20.4}}  # what was really measured: over it
    broken, lines = evaluate(th, {}, rounded, exact)
    assert broken == ["latency_ms_exact.api.p99 = 20.4 ms, max 20.0 ms"]
    assert any("latency_ms_exact.api.p95: 9.2 ms (max 10.0 ms) ok" in line for line in lines)
    assert evaluate(th, {}, rounded, {})[0] == []  # not measured: reported, never broken
    assert any("latency_ms_exact.api.p99: not measured" in line for line in evaluate(th, {}, rounded, {})[1])


@pytest.mark.parametrize(
    "table, limits, named",
    [
        ("latency_ms_exact", "{ p90 = 10 }", "p90"),
        ("latency_ms_exact", "{ p99 = 10, mean = 3 }", "mean"),
        ("latency_ms", "{ p999 = 10 }", "p999"),
        ("latency_ms_exact", "10", "10"),
    ],
)
def test_a_latency_limit_that_is_not_a_percentile_is_a_usage_error(tmp_path, table, limits, named):
    path = tmp_path / "t.toml"
    path.write_text(f"version = 2\n[throttling.{table}]\napi-probe = {limits}\n")
    with pytest.raises(ThresholdsError, match=rf"\[throttling.{table}\] api-probe: {named} is not a limit"):
        load_thresholds(path, "throttling")


def test_the_shipped_thresholds_judge_the_exact_percentiles():
    for profile in ("token_refresh", "throttling"):
        th = load_thresholds(None, profile)
        assert th["latency_ms_exact"] and "latency_ms" not in th
