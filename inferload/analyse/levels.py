"""Load levels: the spans of a run held at one offered load, with what the system did there.

A stepped profile (stress) gives one level per plateau; a single ramp (breakpoint) is cut into
equal slices. A plateau back at a lower rate after the peak is the recovery, kept apart from the
ascending levels the knee and the scalability fit are computed on.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from inferload.analyse.readers import RunData
from inferload.analyse.samples import ALL, Stats
from inferload.run.manifest import ENGINE, MACHINE, StageWindow

_MIN_LEVEL_S = 2.0
_RAMP_SLICES = 8


@dataclass(frozen=True, slots=True)
class Level:
    index: int
    start_s: float
    end_s: float
    offered_per_s: float  # sessions per second the profile asked for
    users: float  # mean sessions in flight (virtual users)
    recovery: bool
    overall: Stats
    endpoints: dict[str, Stats]
    engine_cpu_percent: float | None = None  # the load generator's, in % of one core
    machine_cpu_percent: float | None = None  # the machine's, in % of all its cores

    @property
    def in_flight(self) -> float:
        """Requests inside the system (Little's law: throughput x mean response time)."""
        return self.overall.rps * self.overall.mean_ms / 1000


def load_levels(run: RunData) -> list[Level]:
    spans = _spans(run.manifest.stages)
    levels = []
    peak = 0.0
    for index, (start, end, rate) in enumerate(spans):
        stats = run.samples.stats(start, end)
        if ALL not in stats:
            continue
        levels.append(
            Level(
                index=index, start_s=start, end_s=end, offered_per_s=rate,
                users=_mean_users(run.users, start, end), recovery=rate < peak - 1e-9,
                overall=stats.pop(ALL), endpoints=stats,
                engine_cpu_percent=_mean_cpu(run.generator, ENGINE, start, end),
                machine_cpu_percent=_mean_cpu(run.generator, MACHINE, start, end),
            )
        )  # fmt: skip
        peak = max(peak, rate)
    return levels


def ascending(levels: list[Level]) -> list[Level]:
    return [level for level in levels if not level.recovery]


def _spans(stages: tuple[StageWindow, ...]) -> list[tuple[float, float, float]]:
    plateaus = [
        (s.start_s, s.end_s, s.to_per_s)
        for s in stages
        if s.is_plateau and s.end_s - s.start_s >= _MIN_LEVEL_S and s.to_per_s > 0
    ]
    if len(plateaus) >= 2:
        return plateaus
    ramps = [s for s in stages if not s.is_plateau and s.to_per_s > s.from_per_s]
    if not ramps:
        return plateaus
    ramp = max(ramps, key=lambda s: s.end_s - s.start_s)
    width = (ramp.end_s - ramp.start_s) / _RAMP_SLICES
    slices = []
    for part in range(_RAMP_SLICES):
        start = ramp.start_s + part * width
        middle = (part + 0.5) / _RAMP_SLICES
        slices.append(
            (start, start + width, ramp.from_per_s + middle * (ramp.to_per_s - ramp.from_per_s))
        )
    return slices


def _mean_users(users: pl.DataFrame, start: float, end: float) -> float:
    inside = users.filter((pl.col("t") >= start) & (pl.col("t") < end))
    value = inside.select(pl.col("users").mean()).item() if inside.height else None
    return float(value or 0.0)


def _mean_cpu(samples: pl.DataFrame, source: str, start: float, end: float) -> float | None:
    inside = samples.filter(
        (pl.col("source") == source) & (pl.col("t") >= start) & (pl.col("t") < end)
    )
    return float(inside["value"].mean()) if inside.height else None  # type: ignore[arg-type]
