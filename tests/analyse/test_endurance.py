"""A soak's report says whether the service held: latency, errors and the target's memory over
the held level's first and last thirds. It was advised to "run the breakpoint profile", as any
run without a knee was."""

from __future__ import annotations

import polars as pl
import pytest

from inferload.analyse.advice import recommend
from inferload.analyse.bottleneck import Bottleneck
from inferload.analyse.endurance import MIN_HELD_S, held_level_drift
from inferload.analyse.levels import Level
from inferload.analyse.samples import ALL, RawSamples
from inferload.run.manifest import Sla

SLA = Sla(p95_ms=500, p99_ms=1000, error_rate=0.01)
HELD_S = 1800.0


def samples(latency_ms: list[float], failed_from_s: float | None = None) -> RawSamples:
    """Ten requests a second over HELD_S; each third of the run at its own latency (with a
    spread, so percentiles differ), failing from `failed_from_s` on every tenth request."""
    rows = []
    for index in range(int(HELD_S * 10)):
        t = index / 10
        base = latency_ms[min(int(3 * t / HELD_S), 2)]
        failed = failed_from_s is not None and t >= failed_from_s and index % 10 == 0
        rows.append((t, "GET /orders", "200", base * (0.5 + (index % 20) / 20), failed))
    return RawSamples(
        pl.DataFrame(rows, schema=["t", "name", "status", "ms", "failed"], orient="row")
    )


def level(samples: RawSamples, held_s: float = HELD_S) -> Level:
    stats = samples.stats(0.0, held_s)
    return Level(0, 0.0, held_s, 2.0, 30.0, False, stats.pop(ALL), stats)


def resources(rss_mb: list[float]) -> pl.DataFrame:
    """The target's RSS every 10 s, each third at its own level, with noise, and its CPU."""
    rows = []
    for step in range(int(HELD_S / 10)):
        t = step * 10.0
        rss = rss_mb[min(int(3 * t / HELD_S), 2)] * (1 + 0.01 * (step % 3))
        rows.append((t, "rss_bytes", rss * 1e6))
        rows.append((t, "cpu_percent", 10.0 * (1 + step)))  # grows, but is no accumulating resource
    return pl.DataFrame(rows, schema=["t", "metric", "value"], orient="row")


def advice_for(run: RawSamples, monitored: pl.DataFrame, profile: str = "soak") -> tuple[str, str]:
    levels = [level(run)]
    drift = held_level_drift(levels, run, monitored)
    found = recommend(levels, None, Bottleneck(None, (), ()), [], 0, 2.0, SLA, profile, drift)
    return found[0].action, found[0].evidence


def test_a_steady_soak_is_the_endurance_baseline() -> None:
    action, evidence = advice_for(samples([40, 41, 40]), resources([120, 121, 120]))
    assert action.startswith("Keep this run as the endurance baseline")
    assert "for 30 min" in evidence and "p95 " in evidence and "memory steady" in evidence


@pytest.mark.parametrize(
    ("run", "monitored", "named"),
    [
        (samples([40, 60, 95]), resources([120, 121, 120]), "p95 56 -> 133 ms"),
        (samples([40, 40, 40], failed_from_s=1300), resources([120, 120, 120]), "errors 0.00% -> "),
        (
            samples([40, 40, 40]),
            resources([120, 180, 260]),
            "the target's rss_bytes 121 MB -> 263 MB",
        ),
    ],
)
def test_what_grows_while_the_load_holds_is_the_finding(
    run: RawSamples, monitored: pl.DataFrame, named: str
) -> None:
    action, evidence = advice_for(run, monitored)
    assert action.startswith("Find what accumulates while the load holds steady")
    assert named in evidence
    assert "cpu_percent" not in evidence  # CPU follows load; it does not accumulate


def test_a_short_or_stepped_run_has_no_drift_to_read() -> None:
    run = samples([40, 60, 95])
    assert held_level_drift([level(run, MIN_HELD_S - 1)], run, resources([1, 2, 3])) is None
    two = [level(run, HELD_S / 2), level(run, HELD_S)]
    assert held_level_drift(two, run, resources([1, 2, 3])) is None


def test_a_steady_hold_is_a_baseline_only_for_a_soak_that_met_the_sla() -> None:
    steady = resources([120, 121, 120])
    assert advice_for(samples([40, 41, 40]), steady, "load")[0].startswith("Run the breakpoint")
    slow = samples([900, 910, 900])  # over the SLA's 500 ms p95 all along, without drifting
    assert advice_for(slow, steady)[0].startswith("Make the service meet its SLA at low load")
    grows = resources([120, 180, 260])  # a leak is the finding whatever the profile
    action, _ = advice_for(samples([40, 41, 40]), grows, "load")
    assert action.startswith("Find what accumulates")
