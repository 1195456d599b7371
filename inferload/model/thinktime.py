"""Think time: the gap between the end of one step and the start of the next, fitted.

Access logs often have one-second resolution (`$time_local`), so gaps are integers and many are
zero; a zero gap is read as half a tick (0.5 s) before taking logarithms. The lognormal is fitted
by maximum likelihood (mean and standard deviation of ln gap); quantiles are empirical.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from inferload.model.workload import Provenance, ThinkTime, lognormal_through

MIN_SAMPLES = (
    20  # below this a transition gets no fit of its own: the persona's overall one applies
)
_HALF_TICK_S = 0.5


def fit_think_time(gaps_s: Sequence[float]) -> ThinkTime:
    values = np.maximum(np.asarray(gaps_s, dtype=np.float64), _HALF_TICK_S)
    logs = np.log(values)
    median, p90 = np.quantile(values, (0.5, 0.9))  # linear interpolation between order stats
    return ThinkTime(
        median_s=float(median),
        p90_s=float(p90),
        mu=float(logs.mean()),
        sigma=float(logs.std()),  # maximum likelihood: divided by n, 0 for one sample
        samples=len(values),
        provenance=Provenance.LOGS,
    )


def default_think_time(median_s: float, p90_s: float) -> ThinkTime:
    """A documented rule of thumb as a lognormal with that median and 90th percentile."""
    mu, sigma = lognormal_through(median_s, p90_s)
    return ThinkTime(
        median_s=median_s, p90_s=p90_s, mu=mu, sigma=sigma, samples=0, provenance=Provenance.DEFAULT
    )
