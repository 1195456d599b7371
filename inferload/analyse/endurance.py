"""A run held at one load for long (soak): what changed between its start and its end.

A soak's question is not where the system breaks but whether it holds: latency that creeps up,
errors that appear after an hour, memory, threads or file descriptors that grow and never level
off (a leak, a table without an index that grows with every order, a cache that never evicts).
The held level's first third is compared with its last third: enough requests in each for a
stable p95, and the middle left out so that a warm-up or a slow drift both show.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from inferload.analyse.levels import Level
from inferload.analyse.samples import ALL, Samples, Stats

# a plateau shorter than this shows no drift worth the name (a smoke minute, a step of stress)
MIN_HELD_S = 300.0
LATENCY_DRIFT = 1.25  # the last third's p95 over the first's that counts as a drift ...
LATENCY_DRIFT_MS = 20.0  # ... when it is also this many ms (5 ms -> 7 ms is noise)
GROWTH = 1.10  # a resource whose median grew by this factor, past the first third's highest
# the target's resources that accumulate when something leaks (a regex on the metric's name)
_ACCUMULATING = r"(?i)rss|memory|heap|fds|threads|connections"


@dataclass(frozen=True, slots=True)
class Growth:
    metric: str
    first: float  # the median over the first third
    last: float  # the median over the last third


@dataclass(frozen=True, slots=True)
class Drift:
    """The held level, its first and last thirds, and the target's resources that grew."""

    level: Level
    first: Stats
    last: Stats
    growths: tuple[Growth, ...]

    @property
    def latency_drifted(self) -> bool:
        return (
            self.last.p95_ms >= LATENCY_DRIFT * self.first.p95_ms
            and self.last.p95_ms - self.first.p95_ms >= LATENCY_DRIFT_MS
        )

    @property
    def errors_appeared(self) -> bool:
        """Errors in the last third at least twice the first's, and 1 in 1,000 requests."""
        return self.last.error_rate >= max(2 * self.first.error_rate, 0.001)

    @property
    def drifted(self) -> bool:
        """Latency, errors or a resource of the target grew while the load held."""
        return self.latency_drifted or self.errors_appeared or bool(self.growths)


def held_level_drift(
    levels: list[Level], samples: Samples, resources: pl.DataFrame
) -> Drift | None:
    """The drift over a run's only ascending level, when it was held at least `MIN_HELD_S`.
    `resources`: the target's (`RunData.resources`: t, metric, value)."""
    rising = [level for level in levels if not level.recovery]
    if len(rising) != 1 or rising[0].end_s - rising[0].start_s < MIN_HELD_S:
        return None
    level = rising[0]
    third = (level.end_s - level.start_s) / 3
    first = samples.stats(level.start_s, level.start_s + third).get(ALL)
    last = samples.stats(level.end_s - third, level.end_s).get(ALL)
    if first is None or last is None:
        return None
    return Drift(level, first, last, _growths(resources, level, third))


def _growths(resources: pl.DataFrame, level: Level, third: float) -> tuple[Growth, ...]:
    t = pl.col("t")
    early = (t >= level.start_s) & (t < level.start_s + third)
    late = (t >= level.end_s - third) & (t < level.end_s)
    summary = (
        resources.filter(pl.col("metric").str.contains(_ACCUMULATING))
        .group_by("metric")
        .agg(
            pl.col("value").filter(early).median().alias("first"),
            pl.col("value").filter(early).max().alias("first_max"),
            pl.col("value").filter(late).median().alias("last"),
        )
    )
    return tuple(
        Growth(metric, first, last)
        for metric, first, first_max, last in summary.sort("metric").iter_rows()
        if first is not None and last is not None and first > 0
        and last >= GROWTH * first and last > first_max
    )  # fmt: skip
