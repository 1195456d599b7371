"""PASS / MARGINAL / FAIL and the baseline comparison's regression rule."""

from __future__ import annotations

import pytest

from inferload.analyse.bottleneck import resource_value
from inferload.analyse.compare import _row
from inferload.analyse.report import Figures
from inferload.analyse.verdicts import above, below


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
