"""This run against a baseline run: per-endpoint and overall changes, regressions flagged.

A change counts when it is both relative and absolute (p95 10% and 5 ms; error rate half a
point): a 2 ms endpoint moving to 2.3 ms is not a regression worth a meeting.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from inferload.analyse.report import Figures, Report

Change = Literal["regression", "improvement", "unchanged", "new", "gone"]
_RELATIVE = 0.10
_ABSOLUTE_MS = 5.0
_ERROR_POINTS = 0.005


class ComparisonRow(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    baseline_p95_ms: float | None
    current_p95_ms: float | None
    p95_change: float | None  # relative
    baseline_error_rate: float | None
    current_error_rate: float | None
    verdict: Change


class Comparison(BaseModel):
    model_config = ConfigDict(frozen=True)

    baseline_folder: str
    baseline_started_at: str
    overall: ComparisonRow
    endpoints: list[ComparisonRow]
    baseline_knee_rps: float | None
    current_knee_rps: float | None
    baseline_max_offered_per_s: float | None
    current_max_offered_per_s: float | None
    regressions: int
    improvements: int


def compare(current: Report, baseline: Report, baseline_folder: str) -> Comparison:
    before = {row.name: row.figures for row in baseline.endpoints}
    after = {row.name: row.figures for row in current.endpoints}
    rows = [
        _row(name, before.get(name), after.get(name))
        for name in sorted(before.keys() | after.keys())
    ]
    rows.sort(key=lambda row: (row.verdict != "regression", row.verdict != "improvement", row.name))
    return Comparison(
        baseline_folder=baseline_folder,
        baseline_started_at=baseline.run.started_at.isoformat(),
        overall=_row("all requests", baseline.overall, current.overall),
        endpoints=rows,
        baseline_knee_rps=baseline.knee.throughput_rps if baseline.knee else None,
        current_knee_rps=current.knee.throughput_rps if current.knee else None,
        baseline_max_offered_per_s=_max_offered(baseline),
        current_max_offered_per_s=_max_offered(current),
        regressions=sum(row.verdict == "regression" for row in rows),
        improvements=sum(row.verdict == "improvement" for row in rows),
    )


def _max_offered(report: Report) -> float | None:
    rising = [level.offered_per_s for level in report.levels if not level.recovery]
    return max(rising) if rising else None


def _row(name: str, before: Figures | None, after: Figures | None) -> ComparisonRow:
    if before is None or after is None:
        return ComparisonRow(
            name=name, baseline_p95_ms=before.p95_ms if before else None, current_p95_ms=after.p95_ms if after else None,
            p95_change=None, baseline_error_rate=before.error_rate if before else None,
            current_error_rate=after.error_rate if after else None, verdict="new" if before is None else "gone",
        )  # fmt: skip
    delta = after.p95_ms - before.p95_ms
    relative = delta / before.p95_ms if before.p95_ms > 0 else 0.0
    errors = after.error_rate - before.error_rate
    worse = (relative > _RELATIVE and delta > _ABSOLUTE_MS) or errors > _ERROR_POINTS
    better = (relative < -_RELATIVE and delta < -_ABSOLUTE_MS) or errors < -_ERROR_POINTS
    verdict: Change = "regression" if worse else "improvement" if better else "unchanged"
    return ComparisonRow(
        name=name, baseline_p95_ms=before.p95_ms, current_p95_ms=after.p95_ms, p95_change=relative,
        baseline_error_rate=before.error_rate, current_error_rate=after.error_rate, verdict=verdict,
    )  # fmt: skip
