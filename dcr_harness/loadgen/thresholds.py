"""The CI gate: thresholds from one versioned TOML file, checked at the end of a load run.

Layout: one table per profile with error_ratio_max, contract_violation_ratio_max,
throttle_precision_min, throttle_recall_min, arrivals_dropped_ratio_max (an open-model run;
each optional), and latency limits per request name in ms, {p95 = ms, p99 = ms} (or p50, max):
latency_ms.<request name> judges Locust's percentiles (rounded to about two significant
digits), latency_ms_exact.<request name> the HDR histograms' (within 0.1%, merged across
workers). A threshold whose figure could not be measured (no request of that name, no 429
predicted) is reported as "not measured", never as passed or broken.
`must_exercise` names the counters that show the profile did what it exists for (a
refresh, a 429): a run in which one stayed at zero fails the gate, because nothing it is
about was exercised; an empty list in the thresholds file allows that explicitly.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from ..errors import ThresholdsError
from ..paths import LOAD_DIR
from .histograms import FIGURES

DEFAULT_THRESHOLDS = LOAD_DIR / "thresholds.toml"
RATIO_LIMITS = {
    "error_ratio_max": ("error_ratio", "max"),
    "contract_violation_ratio_max": ("contract_violation_ratio", "max"),
    "throttle_precision_min": ("throttle_precision", "min"),
    "throttle_recall_min": ("throttle_recall", "min"),
    "arrivals_dropped_ratio_max": ("arrivals_dropped_ratio", "max"),  # an open-model run (--rate) only
}
# Latency limits per request name, in ms: Locust's rounded percentiles, or the exact ones of the
# HDR histograms merged across workers (loadgen/histograms.py).
LATENCY_TABLES = {"latency_ms": FIGURES, "latency_ms_exact": FIGURES}


def load_thresholds(path: str | Path | None, profile: str) -> dict[str, Any]:
    path = Path(path or DEFAULT_THRESHOLDS)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ThresholdsError(f"cannot read thresholds {path}: {exc}") from None
    section = data.get(profile)
    if not isinstance(section, dict):
        raise ThresholdsError(f"{path} has no [{profile}] table")
    unknown = set(section) - set(RATIO_LIMITS) - set(LATENCY_TABLES) - {"must_exercise"}
    if unknown:
        raise ThresholdsError(f"{path} [{profile}]: unknown keys {sorted(unknown)}")
    for table, allowed in LATENCY_TABLES.items():
        for endpoint, limits in section.get(table, {}).items():
            wrong = sorted(set(limits) - set(allowed)) if isinstance(limits, dict) else [repr(limits)]
            if wrong:
                raise ThresholdsError(
                    f"{path} [{profile}.{table}] {endpoint}: {', '.join(wrong)} is not a limit "
                    f"(give {' / '.join(allowed)} in ms)"
                )
    return {**section, "_version": data.get("version"), "_path": str(path)}


def evaluate(
    thresholds: dict[str, Any],
    metrics: dict[str, Any],
    latency: dict[str, dict[str, float]],
    exact: dict[str, dict[str, float]] | None = None,
) -> tuple[list[str], list[str]]:
    """(broken, lines): a line per threshold; broken names each threshold that broke."""
    broken, lines = [], []

    def judge(name: str, value: float | None, limit: float, kind: str, unit: str = "") -> None:
        if value is None:
            lines.append(f"  {name}: not measured (limit {kind} {limit}{unit})")
            return
        ok = value <= limit if kind == "max" else value >= limit
        lines.append(f"  {name}: {value:.4g}{unit} ({kind} {limit}{unit}) {'ok' if ok else 'BROKEN'}")
        if not ok:
            broken.append(f"{name} = {value:.4g}{unit}, {kind} {limit}{unit}")

    for counter in thresholds.get("must_exercise", []):
        value = metrics.get(counter) or 0
        lines.append(f"  must_exercise {counter}: {value} {'ok' if value else 'NOT EXERCISED'}")
        if not value:
            broken.append(
                f"{counter} = 0: what this profile exists to exercise never happened "
                f"(e.g. tokens outlive the run; see must_exercise in the thresholds file)"
            )
    for key, (figure, kind) in RATIO_LIMITS.items():
        if key in thresholds:
            judge(key, metrics.get(figure), float(thresholds[key]), kind)
    for table, measured in (("latency_ms", latency), ("latency_ms_exact", exact or {})):
        for endpoint, limits in thresholds.get(table, {}).items():
            for pct, limit in limits.items():
                value = measured.get(endpoint, {}).get(pct)
                judge(f"{table}.{endpoint}.{pct}", value, float(limit), "max", " ms")
    return broken, lines


def latency_from_stats(stats: Any) -> dict[str, dict[str, float]]:
    """p95/p99 per request name from a Locust RequestStats (all methods of a name merged)."""
    out: dict[str, dict[str, float]] = {}
    for (name, _method), entry in stats.entries.items():
        if entry.num_requests:
            out[name] = {
                "p50": entry.median_response_time,
                "p95": entry.get_response_time_percentile(0.95),
                "p99": entry.get_response_time_percentile(0.99),
                "max": entry.max_response_time,
                "count": entry.num_requests,
            }
    return out
