"""Where the system stops scaling: the knee (Kneedle) and the Universal Scalability Law.

The knee is looked for twice over the ascending levels: where p95 starts to climb against the
offered load, and where throughput stops following it. Kneedle always returns a point, so a
knee is only reported when the curve really bends there: past it p95 grows by half again and by
a tenth of the SLA's p95 at least (60 -> 94 ms is a curve, not a knee users feel), or throughput
gains less than half of what the added load asked for.

USL (Gunther): X(N) = lambda N / (1 + sigma (N - 1) + kappa N (N - 1)), with N the requests in
the system (Little's law, X x R). sigma is contention (queueing on a shared resource), kappa
coherency (crosstalk); throughput peaks at N* = sqrt((1 - sigma) / kappa).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from kneed import KneeLocator
from scipy.optimize import curve_fit

from inferload.analyse.levels import Level

_P95_GROWTH = 2.0
_SCALING_EFFICIENCY = 0.5
_USL_MIN_LEVELS = 4


@dataclass(frozen=True, slots=True)
class Knee:
    by: str  # "p95" or "throughput"
    level: int
    offered_per_s: float
    throughput_rps: float
    p95_ms: float
    users: float


@dataclass(frozen=True, slots=True)
class UslFit:
    lambda_rps: float  # throughput of one request in the system, unhindered
    sigma: float
    kappa: float
    r_squared: float
    peak_concurrency: float | None  # None: no retrograde term, throughput only flattens
    peak_throughput_rps: float
    levels: int


def find_knees(levels: list[Level], sla_p95_ms: float) -> list[Knee]:
    """The p95 knee and the throughput knee, each when the curve really bends (p95 first)."""
    if len(levels) < 3:
        return []
    offered = [level.offered_per_s for level in levels]
    p95 = [level.overall.p95_ms for level in levels]
    throughput = [level.overall.rps for level in levels]
    knees = []
    index = _kneedle(offered, p95, "convex")
    if index is not None and index < len(levels) - 1:
        later = max(p95[index + 1 :])
        if (
            later >= _P95_GROWTH * p95[0]
            and later >= 1.5 * p95[index]
            and later - p95[index] >= 0.1 * sla_p95_ms
        ):
            knees.append(_knee("p95", levels[index]))
    index = _kneedle(offered, throughput, "concave")
    if index is not None and index < len(levels) - 1:
        asked = offered[-1] / offered[index] - 1
        gained = throughput[-1] / max(throughput[index], 1e-9) - 1
        if asked > 0 and gained / asked < _SCALING_EFFICIENCY:
            knees.append(_knee("throughput", levels[index]))
    return knees


def find_knee(levels: list[Level], sla_p95_ms: float) -> Knee | None:
    """The knee the report leads with: where latency bends, else where throughput does."""
    knees = find_knees(levels, sla_p95_ms)
    return knees[0] if knees else None


def _kneedle(x: list[float], y: list[float], curve: str) -> int | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        locator = KneeLocator(x, y, curve=curve, direction="increasing", S=1.0)
    if locator.knee is None:
        return None
    return int(np.argmin([abs(value - float(locator.knee)) for value in x]))


def _knee(by: str, level: Level) -> Knee:
    return Knee(
        by=by, level=level.index, offered_per_s=level.offered_per_s, throughput_rps=level.overall.rps,
        p95_ms=level.overall.p95_ms, users=level.users,
    )  # fmt: skip


def _usl(n: np.ndarray, lam: float, sigma: float, kappa: float) -> np.ndarray:
    return lam * n / (1 + sigma * (n - 1) + kappa * n * (n - 1))  # type: ignore[no-any-return]


def fit_usl(levels: list[Level]) -> UslFit | None:
    points = [(level.in_flight, level.overall.rps) for level in levels if level.in_flight > 0]
    if len(points) < _USL_MIN_LEVELS:
        return None
    n = np.array([p[0] for p in points])
    x = np.array([p[1] for p in points])
    first = max(float(x[np.argmin(n)] / max(n.min(), 1e-9)), 1e-6)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (lam, sigma, kappa), _ = curve_fit(
                _usl,
                n,
                x,
                p0=(first, 0.05, 0.001),
                bounds=([0, 0, 0], [np.inf, 1, 1]),
                maxfev=20000,
            )
    except (RuntimeError, ValueError):
        return None
    predicted = _usl(n, lam, sigma, kappa)
    total = float(((x - x.mean()) ** 2).sum())
    r_squared = 1 - float(((x - predicted) ** 2).sum()) / total if total > 0 else 0.0
    if kappa > 1e-12:
        retrograde = math.sqrt(max(1 - sigma, 0.0) / kappa)
        peak_n: float | None = retrograde
        peak_x = float(_usl(np.array([max(retrograde, 1.0)]), lam, sigma, kappa)[0])
    else:
        peak_n, peak_x = None, float(lam / sigma) if sigma > 1e-12 else float("inf")
    return UslFit(
        lambda_rps=float(lam), sigma=float(sigma), kappa=float(kappa), r_squared=r_squared,
        peak_concurrency=peak_n, peak_throughput_rps=peak_x, levels=len(points),
    )  # fmt: skip


def usl_curve(fit: UslFit, upto: float, points: int = 60) -> tuple[list[float], list[float]]:
    n = np.linspace(0.0, max(upto, 1.0), points)
    return n.tolist(), _usl(n, fit.lambda_rps, fit.sigma, fit.kappa).tolist()
