"""Think time: the gap between the end of one step and the start of the next, fitted.

Access logs often have one-second resolution (`$time_local`), so gaps are integers and many are
zero; a zero gap is read as half a tick (0.5 s) before taking logarithms. The lognormal is fitted
by maximum likelihood (mean and standard deviation of ln gap); quantiles are empirical.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from inferload.model.workload import Provenance, ThinkTime

MIN_SAMPLES = (
    20  # below this a transition gets no fit of its own: the persona's overall one applies
)
_HALF_TICK_S = 0.5


def fit_think_time(gaps_s: Sequence[float]) -> ThinkTime:
    values = sorted(max(g, _HALF_TICK_S) for g in gaps_s)
    logs = [math.log(v) for v in values]
    mu = sum(logs) / len(logs)
    sigma = math.sqrt(sum((x - mu) ** 2 for x in logs) / len(logs)) if len(logs) > 1 else 0.0
    return ThinkTime(
        median_s=_quantile(values, 0.5),
        p90_s=_quantile(values, 0.9),
        mu=mu,
        sigma=sigma,
        samples=len(values),
        provenance=Provenance.LOGS,
    )


def default_think_time(median_s: float, p90_s: float) -> ThinkTime:
    """A documented rule of thumb as a lognormal with that median and 90th percentile."""
    mu = math.log(median_s)
    sigma = (math.log(p90_s) - mu) / 1.2816  # z of the 90th percentile
    return ThinkTime(
        median_s=median_s, p90_s=p90_s, mu=mu, sigma=sigma, samples=0, provenance=Provenance.DEFAULT
    )


def _quantile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 0.0
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
