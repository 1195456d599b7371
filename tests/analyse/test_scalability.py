"""Knee and USL on curves whose answer is known."""

from __future__ import annotations

import numpy as np
import pytest

from inferload.analyse.levels import Level
from inferload.analyse.samples import Stats
from inferload.analyse.scalability import find_knee, find_knees, fit_usl


def level(index: int, offered: float, rps: float, p95: float, mean: float | None = None) -> Level:
    stats = Stats(
        1000, 0, rps, mean if mean is not None else p95 / 2, p95 / 2, p95, p95 * 1.2, p95 * 1.5
    )
    return Level(index, index * 10.0, index * 10.0 + 10, offered, 10.0, False, stats, {})


def test_knee_is_where_p95_starts_to_climb() -> None:
    offered = [10, 15, 20, 25, 30, 35]
    p95 = [50, 52, 55, 60, 400, 2500]
    levels = [level(i, o, o * 4, p) for i, (o, p) in enumerate(zip(offered, p95, strict=True))]
    knee = find_knee(levels, 500)
    assert knee is not None and knee.by == "p95"
    assert knee.offered_per_s in (25, 30)


def test_knee_by_throughput_when_it_stops_following_load() -> None:
    offered = [10, 20, 30, 40, 50]
    throughput = [40, 80, 100, 101, 100]
    levels = [
        level(i, o, x, 60 + i) for i, (o, x) in enumerate(zip(offered, throughput, strict=True))
    ]
    knee = find_knee(levels, 500)
    assert knee is not None and knee.by == "throughput" and knee.offered_per_s == 30


def test_a_gentle_curve_is_not_a_knee() -> None:
    offered = [10, 15, 20, 25, 30]
    levels = [
        level(i, o, o * 8.8, p)
        for i, (o, p) in enumerate(zip(offered, [13, 44, 44, 62, 94], strict=True))
    ]
    assert find_knee(levels, 500) is None


def test_no_knee_when_the_system_keeps_up() -> None:
    levels = [level(i, o, o * 4, 50 + (i % 2)) for i, o in enumerate([10, 15, 20, 25, 30])]
    assert find_knee(levels, 500) is None


@pytest.mark.parametrize(("sigma", "kappa"), [(0.05, 0.002), (0.2, 0.0005)])
def test_usl_fit_recovers_the_parameters_of_a_usl_system(sigma: float, kappa: float) -> None:
    lam = 20.0
    n = np.array([1, 2, 4, 8, 16, 32, 48])
    x = lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))
    # in flight = X x R / 1000: choose R so that Little's law gives back n
    levels = [
        level(i, float(i + 1), float(xi), 100.0, mean=1000 * ni / xi)
        for i, (ni, xi) in enumerate(zip(n, x, strict=True))
    ]
    fit = fit_usl(levels)
    assert fit is not None and fit.r_squared > 0.99
    assert fit.sigma == pytest.approx(sigma, rel=0.05, abs=0.005)
    assert fit.kappa == pytest.approx(kappa, rel=0.1)
    assert fit.peak_concurrency == pytest.approx(np.sqrt((1 - sigma) / kappa), rel=0.1)


def test_usl_needs_four_levels() -> None:
    assert fit_usl([level(i, i + 1.0, 10.0 * (i + 1), 50, mean=100) for i in range(3)]) is None


def test_both_knees_are_reported_when_both_curves_bend() -> None:
    offered = [10, 15, 20, 25, 30]
    throughput = [40, 60, 80, 82, 81]
    p95 = [50, 55, 70, 900, 2500]
    levels = [
        level(i, o, x, p) for i, (o, x, p) in enumerate(zip(offered, throughput, p95, strict=True))
    ]
    knees = find_knees(levels, 500)
    assert [k.by for k in knees] == ["p95", "throughput"]
    assert all(k.offered_per_s == 20 for k in knees)
    assert find_knee(levels, 500) == knees[0]
