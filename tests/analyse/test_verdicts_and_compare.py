"""PASS / MARGINAL / FAIL and the baseline comparison's regression rule."""

from __future__ import annotations

import dataclasses

import pytest

from inferload.analyse.bottleneck import resource_value
from inferload.analyse.compare import _row
from inferload.analyse.levels import Level
from inferload.analyse.report import Figures
from inferload.analyse.samples import Stats
from inferload.analyse.verdicts import above, below, max_sustained
from inferload.run.manifest import Sla


def test_latency_verdicts_have_a_margin_below_the_limit() -> None:
    assert below(400, 500) == "PASS"
    assert below(470, 500) == "MARGINAL"
    assert below(500, 500) == "MARGINAL"
    assert below(501, 500) == "FAIL"


def test_throughput_verdicts_have_a_margin_above_the_floor() -> None:
    assert above(150, 100) == "PASS"
    assert above(105, 100) == "MARGINAL"
    assert above(99, 100) == "FAIL"


def figures(p95: float, errors: int = 0) -> Figures:
    return Figures(requests=1000, errors=errors, error_rate=errors / 1000, rps=10, mean_ms=p95 / 2,
                   p50_ms=p95 / 2, p95_ms=p95, p99_ms=p95 * 1.3, max_ms=p95 * 2)  # fmt: skip


def test_a_regression_must_be_relative_and_absolute() -> None:
    assert _row("e", figures(100), figures(130)).verdict == "regression"
    assert _row("e", figures(2), figures(3)).verdict == "unchanged"  # +50% but 1 ms
    assert _row("e", figures(400), figures(420)).verdict == "unchanged"  # +20 ms but 5%
    assert _row("e", figures(400), figures(100)).verdict == "improvement"


def test_more_errors_is_a_regression_even_at_equal_latency() -> None:
    assert _row("e", figures(100, errors=0), figures(100, errors=20)).verdict == "regression"


def test_endpoints_present_in_one_run_only() -> None:
    assert _row("e", None, figures(100)).verdict == "new"
    assert _row("e", figures(100), None).verdict == "gone"


@pytest.mark.parametrize(
    ("value", "metric", "shown"),
    [
        (65_123_456, "rss_bytes", "65.1 MB"),
        (1.27e9, "process_resident_memory_bytes", "1.27 GB"),
        (512, "heap_bytes", "512 B"),
        (85.44, "cpu_percent", "85.4%"),
        (0.00113, "lms_db_pool_wait_seconds_per_s", "0.00113 s/s"),
        (51.3, "open_fds", "51.3"),
        (123_456, "threads", "123,456"),
    ],
)
def test_resource_values_are_written_in_their_unit(value: float, metric: str, shown: str) -> None:
    assert resource_value(value, metric) == shown


def test_errors_with_equal_counts_come_in_a_fixed_order() -> None:
    """The same results give the same report: ties by endpoint, then status."""
    import polars as pl

    from inferload.analyse.samples import RawSamples

    names = [f"GET /e{i:02}" for i in range(40)]
    requests = pl.DataFrame(
        {"name": names * 2, "status": ["500"] * 40 + ["0"] * 40, "failed": [True] * 80}
    )
    ranked = RawSamples(requests).errors_by_status()
    assert ranked == sorted(ranked, key=lambda row: (-row[2], row[0], row[1]))


def _level(
    index: int, offered: float, rps: float, p95: float, endpoints: dict[str, float]
) -> Level:
    def stats(p95_ms: float, rate: float) -> Stats:
        return Stats(1000, 0, rate, p95_ms / 2, p95_ms / 3, p95_ms, p95_ms * 1.2, p95_ms * 1.5)

    return Level(index, 10.0 * index, 10.0 * index + 10, offered, 5.0, False, stats(p95, rps),
                 {name: stats(value, rps / 4) for name, value in endpoints.items()})  # fmt: skip


def test_the_highest_load_sustained_meets_key_endpoints_limits_and_keeps_up() -> None:
    """The demo's stress run said 60 sessions/s were sustained within the SLA: the global p95
    was 464 ms, but two key endpoints failed their 500 ms limit in that run, and 60 sessions/s got 7.1
    requests per session served against 8.8 at 40/s (the backlog grew)."""
    sla = Sla(p95_ms=500, p99_ms=1000, error_rate=0.01, endpoint_p95_ms={"/api/reports": 500.0})
    fine = {"GET /api/reports": 300.0, "GET /api/other": 900.0}  # no limit for /api/other
    levels = [
        _level(0, 20, 100, 30, fine),
        _level(1, 40, 352, 57, fine),
        _level(2, 50, 431, 87, fine),
    ]
    assert max_sustained(levels, sla) is levels[2]
    behind = _level(3, 60, 429, 464, fine)  # 7.1 requests per session against 8.8
    assert max_sustained([*levels, behind], sla) is levels[2]
    slow_key = _level(3, 60, 516, 464, {"GET /api/reports": 577.0})  # keeps up, a key endpoint over
    assert max_sustained([*levels, slow_key], sla) is levels[2]
    keeps_up = _level(3, 60, 516, 464, fine)
    assert max_sustained([*levels, keeps_up], sla) is keeps_up


def test_without_a_knee_the_advice_follows_what_the_levels_show() -> None:
    """ "Run the breakpoint profile: this run never reached the limit" was the advice for any
    run without a knee, a run failing every request (a 401 on all) included."""
    from inferload.analyse.advice import recommend
    from inferload.analyse.bottleneck import Bottleneck

    sla = Sla(p95_ms=500, p99_ms=1000, error_rate=0.01)
    healthy = [_level(0, 20, 100, 30, {}), _level(1, 40, 200, 40, {})]

    def advice(levels: list[Level], profile: str = "stress") -> str:
        found = recommend(levels, None, Bottleneck(None, (), ()), [], 0, 10.0, sla, profile, None)
        return found[0].action

    assert advice(healthy).startswith("Run the breakpoint profile")
    slow = _level(2, 60, 300, 800, {})
    assert advice([*healthy, slow]).startswith("Treat 200 req/s (40.0 sessions/s) as")
    failing = [
        dataclasses.replace(
            level, overall=dataclasses.replace(level.overall, errors=level.overall.requests)
        )
        for level in healthy
    ]
    assert advice(failing).startswith("Make the service meet its SLA at low load")
    # a smoke run measures no capacity: "run the breakpoint profile" was its advice too
    assert advice(healthy[:1], "smoke").startswith("Run the load profile next")
    assert advice(failing[:1], "smoke").startswith("Fix what failed before any load run")


def test_server_errors_are_blamed_on_load_only_when_there_was_load() -> None:
    """A smoke run's 500s were "server errors appear under load", its 503s "the service shed
    load" (a user or two: no load)."""
    from inferload.analyse.advice import recommend
    from inferload.analyse.bottleneck import Bottleneck

    sla = Sla(p95_ms=500, p99_ms=1000, error_rate=0.01)
    levels = [_level(0, 20, 100, 30, {})]
    errors = [("GET /flights", "500", 35), ("GET /fares", "503", 20)]

    def advice(profile: str, status: str) -> str:
        found = recommend(
            levels, None, Bottleneck(None, (), ()), errors, 0, 10.0, sla, profile, None
        )
        return next(r.action for r in found if r.action.startswith(f"Fix the {status}"))

    assert "without load (a bug, or its data or configuration)" in advice("smoke", "500")
    assert "server errors appear under load" in advice("stress", "500")
    assert "unavailable without load" in advice("smoke", "503")
    assert "shed load" in advice("stress", "503")
