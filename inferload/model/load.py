"""Load levels: how many sessions arrive, how long they stay, how many overlap.

- normal arrival rate: sessions per second averaged over the hours that had traffic;
- peak arrival rate: the busiest clock hour's rate (and the busiest minute's, for spikes);
  an hour's rate is its sessions over the part of it the logs cover: a 10-minute sample has
  ten minutes of arrivals, not an hour's (dividing by 3600 s understated its rate sixfold);
- peak concurrent sessions: a sweep over [first request, last request] of every session;
- Little's law: L = lambda * W with the peak arrival rate and the mean session duration, the
  concurrency a closed-model test needs to carry the peak (compare with the measured peak);
- requests per second: mean over the window and the busiest second (from the ingest report).
"""

from __future__ import annotations

import math

import numpy as np

from inferload.logs.model import IngestReport
from inferload.model.workload import Load, Measured, Provenance

LOGS = Provenance.LOGS
# Fewer sessions than this measure no arrival rate: a Poisson count of n has a relative
# standard error of 1/sqrt(n), over 18% below 30 (one HAR recording is one session). The rates
# are then kept as placeholders (`default`), which the test plan lists among its assumptions.
MIN_SESSIONS_FOR_RATES = 30
_SEPARATE_PERIODS_H = 7 * 24  # a window this long, mostly idle, joins periods apart


def load_levels(intervals: list[tuple[float, float]], report: IngestReport) -> Load:
    """From every session's (first request, last request) and the ingest report."""
    starts = sorted(start for start, _ in intervals)
    window_start = math.floor(starts[0] / 3600) * 3600
    hours = int((starts[-1] - window_start) // 3600) + 1
    per_hour = [0] * hours
    for start in starts:
        per_hour[int((start - window_start) // 3600)] += 1
    covered = _covered_seconds(window_start, hours, report.first_s or starts[0],
                               report.last_s or starts[-1])  # fmt: skip
    active = [hour for hour, count in enumerate(per_hour) if count]
    normal_rate = sum(per_hour[h] for h in active) / sum(covered[h] for h in active)
    # an hour the logs barely touch (a sample's last minutes) would make a noisy peak
    full_enough = [h for h in active if covered[h] >= max(covered) / 2]
    peak_rate = max(per_hour[h] / covered[h] for h in full_enough)
    durations = sorted(end - start for start, end in intervals)
    mean_duration = sum(durations) / len(durations)
    window_s = max((report.last_s or 0) - (report.first_s or 0), 1.0)
    span = (
        f"mean over {len(active)} active hour(s)"
        if sum(covered) >= 3600
        else f"over the {_duration(sum(covered))} the logs cover"
    )
    if hours > _SEPARATE_PERIODS_H and len(active) < hours / 2:
        span += (f" of a {_duration(hours * 3600.0)} window: the logs cover separate periods "
                 "(inputs from different weeks or years?)")  # fmt: skip
    # requests per second while users were there: over the hours some session was open (a
    # window with a gap of weeks between two inputs would read as no traffic at all)
    open_hours = _open_hours(intervals, window_start, hours)
    busy_s = sum(covered[h] for h in open_hours) or window_s
    # the busiest minute is at least as busy as the hour around it
    minute_rate = max(
        _busiest_minute(starts, report.first_s or starts[0], report.last_s or starts[-1]), peak_rate
    )
    hour_note = (
        "busiest clock hour"
        if max(covered) >= 3600
        else "busiest clock hour, over the part the logs cover"
    )
    notes = (span, hour_note, "busiest clock minute: the burst to survive")
    rate_provenance = LOGS
    if len(starts) < MIN_SESSIONS_FOR_RATES:
        rate_provenance = Provenance.DEFAULT
        few = f"{len(starts)} session(s) in {_duration(window_s)} of logs: too few for a rate, set it in targets.yaml"
        notes = (few, few, few)
    return Load(
        normal_arrival_rate_per_s=Measured(value=normal_rate, provenance=rate_provenance, note=notes[0]),
        peak_arrival_rate_per_s=Measured(value=peak_rate, provenance=rate_provenance, note=notes[1]),
        peak_minute_arrival_rate_per_s=Measured(value=minute_rate, provenance=rate_provenance, note=notes[2]),
        session_duration_s=Measured(value=mean_duration, provenance=LOGS, note="mean, first to last request"),
        session_duration_p90_s=Measured(value=durations[int(0.9 * (len(durations) - 1))], provenance=LOGS),
        peak_concurrent_sessions=Measured(value=float(_peak_overlap(intervals)), provenance=LOGS),
        littles_law_concurrency=Measured(value=peak_rate * mean_duration, provenance=rate_provenance,
                                         note="peak arrival rate x mean session duration"),
        requests_per_s_mean=Measured(value=report.kept_requests / busy_s, provenance=LOGS,
                                     note="over the hours with sessions open"),
        requests_per_s_peak=Measured(value=float(report.peak_requests_per_s), provenance=LOGS, note="busiest second"),
        arrivals_per_hour=per_hour,
    )  # fmt: skip


def _covered_seconds(window_start: float, hours: int, first_s: float, last_s: float) -> list[float]:
    """How much of each clock hour lies inside the logged window (at least a second, so a
    one-request log still has a rate)."""
    return [
        max(min(last_s, window_start + (h + 1) * 3600) - max(first_s, window_start + h * 3600), 1.0)
        for h in range(hours)
    ]


def _open_hours(intervals: list[tuple[float, float]], window_start: float, hours: int) -> set[int]:
    """The window's clock hours in which some session was open (from its first request to its
    last)."""
    bounds = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    first = np.floor((bounds[:, 0] - window_start) / 3600).astype(np.int64)
    last = np.minimum(np.floor((bounds[:, 1] - window_start) / 3600).astype(np.int64), hours - 1)
    found = set(first.tolist())
    for start, end in zip(first[last > first].tolist(), last[last > first].tolist(), strict=True):
        found.update(range(start + 1, end + 1))
    return found


def _busiest_minute(starts: list[float], first_s: float, last_s: float) -> float:
    """The busiest clock minute's sessions per second, over the part of it the logs cover (as
    for hours): minutes the logs barely touch are left out, unless no minute is covered more."""
    minutes = np.floor(np.asarray(starts) / 60).astype(np.int64)
    counts = np.bincount(minutes - minutes.min())
    begins = (minutes.min() + np.arange(len(counts))) * 60.0
    covered = np.maximum(np.minimum(last_s, begins + 60) - np.maximum(first_s, begins), 1.0)
    full_enough = covered >= covered.max() / 2
    return float((counts[full_enough] / covered[full_enough]).max())


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h" if seconds < 2 * 86400 else f"{seconds / 86400:,.0f} days"


def _peak_overlap(intervals: list[tuple[float, float]]) -> int:
    """Most sessions open at once: a sweep over +1 at each start and -1 after each end (a
    session ending at t still counts as open at t)."""
    bounds = np.asarray(intervals, dtype=np.float64).reshape(-1, 2)
    times = np.concatenate([bounds[:, 0], bounds[:, 1]])
    changes = np.concatenate([np.ones(len(bounds)), -np.ones(len(bounds))])
    order = np.lexsort((-changes, times))  # at equal times, starts before ends
    return int(np.cumsum(changes[order]).max()) if len(order) else 0
