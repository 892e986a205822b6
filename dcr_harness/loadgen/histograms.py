"""Response-time percentiles per request name from HDR histograms, merged exactly across workers.

Locust stores each response time rounded to about two significant digits (to the nearest 10 ms
from 100 ms, 100 ms from 1 s) and reads its percentiles from those buckets. An HDR histogram
(hdrhistogram) keeps three significant digits over 1 µs .. 1 h, and two of them add without loss,
so a master that adds the workers' histograms gets the percentiles one process would have had.

Each process records every request it sends (as Locust's own statistics do, failures included);
a worker hands the histograms recorded since its last report to the master in Locust's
`report_to_master` event, encoded (compressed, base64), and the master adds them.
"""

from __future__ import annotations

from typing import Any

from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000  # one hour: a longer response is recorded as one hour
SIGNIFICANT_FIGURES = 3  # each value within 0.1% of the response time it stands for
PERCENTILES = {"p50": 50.0, "p95": 95.0, "p99": 99.0}
FIGURES = (*PERCENTILES, "max")


def new_histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, SIGNIFICANT_FIGURES)


class ExactLatency:
    """Response times per request name (all methods of a name together, as latency_ms has them)."""

    def __init__(self) -> None:
        self.by_name: dict[str, HdrHistogram] = {}

    def record(self, name: str, response_time_ms: float) -> None:
        histogram = self.by_name.get(name)
        if histogram is None:
            histogram = self.by_name[name] = new_histogram()
        histogram.record_value(min(HIGHEST_US, max(0, round(response_time_ms * 1000))))

    def on_request(self, name: str, response_time: float | None = None, **_: Any) -> None:
        """Locust's `request` event."""
        if response_time is not None:
            self.record(name, response_time)

    def take(self) -> dict[str, str]:
        """The histograms since the last take, encoded (a worker's report to the master); then empty."""
        data = {name: h.encode().decode("ascii") for name, h in self.by_name.items() if h.get_total_count()}
        self.by_name = {}
        return data

    def merge(self, data: dict[str, str]) -> None:
        """Add a worker's encoded histograms."""
        for name, encoded in data.items():
            histogram = self.by_name.get(name)
            if histogram is None:
                histogram = self.by_name[name] = new_histogram()
            histogram.decode_and_add(encoded)

    def figures(self) -> dict[str, dict[str, float]]:
        """{name: {p50, p95, p99, max (ms), count}} for every name with a recorded request."""
        out: dict[str, dict[str, float]] = {}
        for name, h in sorted(self.by_name.items()):
            count = h.get_total_count()
            if count:
                values = {key: h.get_value_at_percentile(pct) for key, pct in PERCENTILES.items()}
                values["max"] = h.get_max_value()
                out[name] = {key: us / 1000 for key, us in values.items()} | {"count": count}
        return out


def summary_lines(exact: dict[str, dict[str, float]], rounded: dict[str, dict[str, float]]) -> list[str]:
    """One console line per request name: the exact percentiles, Locust's rounded ones beside them."""
    lines = []
    for name, figures in exact.items():
        locust = rounded.get(name, {})
        pairs = ", ".join(
            f"{key} {figures[key]:.4g}" + (f" ({locust[key]:.4g})" if key in locust else "") for key in FIGURES
        )
        lines.append(f"latency {name} ms, exact (Locust's): {pairs}; {figures['count']} requests")
    return lines
