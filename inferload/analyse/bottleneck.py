"""Which endpoint gives way first, which resource follows the latency, and what to do about it.

An endpoint degrades at the first level where its p95 at least doubles against the lowest level
(and grows by 20 ms or more: a 2 ms endpoint going to 4 ms is noise). The bottleneck is the
endpoint with the largest service demand (the utilisation law, U = X x S: its request rate
times its mean latency at the lowest level, where latency is closest to pure service time)
among those that slowed down. A cheap endpoint that slows because the CPU or the pool is busy
with another one is a victim: ranking by p95 growth alone would blame it. Resources are
correlated with p95 across the levels (Pearson r).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from inferload.analyse.levels import Level

_DEGRADED_RATIO = 2.0
_DEGRADED_MS = 20.0
_MIN_REQUESTS = 10
_SLOWED_RATIO = 1.3  # a bottleneck at least slows down itself
_STRONG_R = 0.8


@dataclass(frozen=True, slots=True)
class EndpointTrend:
    name: str
    base_p95_ms: float
    worst_p95_ms: float
    degraded_at_level: int | None
    time_share: float  # of server time at the highest ascending level
    demand_share: float  # of the service demand at the lowest level (rate x mean latency)


@dataclass(frozen=True, slots=True)
class ResourceTrend:
    metric: str
    r: float  # correlation of the per-level mean with per-level p95
    first_value: float
    peak_value: float


def resource_value(value: float, metric: str) -> str:
    """A resource sample as an engineer writes it: `127 MB`, `85%`, `5.2 s/s`, `1,024`; the
    unit read off the metric's name (Prometheus style: `_bytes`, `_percent`, `_seconds_per_s`)."""
    name = metric.lower()
    if "bytes" in name:
        for scale, unit in ((1e9, "GB"), (1e6, "MB"), (1e3, "kB")):
            if abs(value) >= scale:
                return f"{value / scale:.3g} {unit}"
        return f"{value:.0f} B"
    if "percent" in name:
        return f"{value:.3g}%"
    suffix = " s/s" if name.endswith("seconds_per_s") else ""
    return (f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}") + suffix


@dataclass(frozen=True, slots=True)
class Bottleneck:
    endpoint: EndpointTrend | None
    trends: tuple[EndpointTrend, ...]
    resources: tuple[ResourceTrend, ...]


def endpoint_trends(levels: list[Level]) -> list[EndpointTrend]:
    if not levels:
        return []
    top, bottom = levels[-1], levels[0]
    busy = sum(s.requests * s.mean_ms for s in top.endpoints.values()) or 1.0
    demand = {name: stats.rps * stats.mean_ms for name, stats in bottom.endpoints.items()}
    demand_total = sum(demand.values()) or 1.0
    trends = []
    for name in sorted({n for level in levels for n in level.endpoints}):
        series = [
            (level.index, level.endpoints[name]) for level in levels if name in level.endpoints
        ]
        series = [(index, stats) for index, stats in series if stats.requests >= _MIN_REQUESTS]
        if len(series) < 2:
            continue
        base = series[0][1].p95_ms
        degraded = next(
            (index for index, stats in series[1:]
             if stats.p95_ms >= _DEGRADED_RATIO * base and stats.p95_ms - base >= _DEGRADED_MS),
            None,
        )  # fmt: skip
        top_stats = top.endpoints.get(name)
        share = top_stats.requests * top_stats.mean_ms / busy if top_stats else 0.0
        trends.append(
            EndpointTrend(
                name,
                base,
                max(s.p95_ms for _, s in series),
                degraded,
                share,
                demand.get(name, 0.0) / demand_total,
            )
        )
    return sorted(
        trends, key=lambda t: (t.degraded_at_level is None, t.degraded_at_level or 0, -t.time_share)
    )


def find_bottleneck(levels: list[Level], resources: pl.DataFrame) -> Bottleneck:
    trends = endpoint_trends(levels)
    slowed = [t for t in trends if t.worst_p95_ms >= _SLOWED_RATIO * t.base_p95_ms]
    endpoint = max(slowed, key=lambda t: t.demand_share, default=None)
    return Bottleneck(endpoint, tuple(trends), tuple(resource_trends(levels, resources)))


def resource_trends(levels: list[Level], resources: pl.DataFrame) -> list[ResourceTrend]:
    if len(levels) < 3 or resources.is_empty():
        return []
    p95 = np.array([level.overall.p95_ms for level in levels])
    trends = []
    for metric in resources["metric"].unique().sort().to_list():
        samples = resources.filter(pl.col("metric") == metric)
        means = []
        for level in levels:
            inside = samples.filter((pl.col("t") >= level.start_s) & (pl.col("t") < level.end_s))
            means.append(
                float(inside.select(pl.col("value").mean()).item())
                if inside.height
                else float("nan")
            )
        values = np.array(means)
        usable = ~np.isnan(values)
        if usable.sum() < 3 or np.std(values[usable]) == 0 or np.std(p95[usable]) == 0:
            continue
        r = float(np.corrcoef(values[usable], p95[usable])[0, 1])
        trends.append(ResourceTrend(metric, r, float(values[usable][0]), float(np.nanmax(values))))
    return sorted((t for t in trends if abs(t.r) >= _STRONG_R), key=lambda t: -abs(t.r))
