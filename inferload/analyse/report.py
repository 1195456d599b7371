"""The report's figures, computed once: REPORT.md, report.html and report.json all render this.

`report.json` is this model as JSON: every figure the documents show, for machines and for the
`--baseline` comparison of a later run.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from inferload.analyse.advice import recommend
from inferload.analyse.bottleneck import find_bottleneck
from inferload.analyse.endurance import held_level_drift
from inferload.analyse.generator import generator_advice, generator_saturation, past_knee
from inferload.analyse.levels import Level, ascending, load_levels
from inferload.analyse.readers import RunData
from inferload.analyse.samples import ALL, Stats
from inferload.analyse.scalability import find_knees, fit_usl
from inferload.analyse.verdicts import below, endpoint_p95_limit, max_sustained, verdicts
from inferload.run.manifest import RunManifest

REPORT_FORMAT = 1


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Figures(_Frozen):
    requests: int
    errors: int
    error_rate: float
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, stats: Stats) -> Figures:
        return cls(
            requests=stats.requests, errors=stats.errors, error_rate=stats.error_rate, rps=stats.rps,
            mean_ms=stats.mean_ms, p50_ms=stats.p50_ms, p95_ms=stats.p95_ms, p99_ms=stats.p99_ms, max_ms=stats.max_ms,
        )  # fmt: skip


class EndpointRow(_Frozen):
    name: str
    figures: Figures
    p95_limit_ms: float | None
    status: str | None


class LevelRow(_Frozen):
    index: int
    start_s: float
    end_s: float
    offered_per_s: float
    users: float
    in_flight: float
    recovery: bool
    figures: Figures
    endpoint_p95_ms: dict[str, float]
    endpoint_rps: dict[str, float]
    engine_cpu_percent: float | None = None  # the load generator's, in % of one core
    machine_cpu_percent: float | None = None  # the machine's, in % of all its cores


class VerdictRow(_Frozen):
    target: str
    limit: str
    measured: str
    status: str


class KneeRow(_Frozen):
    by: str
    level: int
    offered_per_s: float
    throughput_rps: float
    p95_ms: float
    users: float


class UslRow(_Frozen):
    lambda_rps: float
    sigma: float
    kappa: float
    r_squared: float
    peak_concurrency: float | None
    peak_throughput_rps: float
    levels: int


class TrendRow(_Frozen):
    name: str
    base_p95_ms: float
    worst_p95_ms: float
    degraded_at_level: int | None
    time_share: float
    demand_share: float


class ResourceRow(_Frozen):
    metric: str
    r: float
    first_value: float
    peak_value: float


class GrowthRow(_Frozen):
    metric: str
    first: float
    last: float


class OverTimeRow(_Frozen):
    """A level held long (soak): its first third against its last, and what grew."""

    level: int
    held_s: float
    first: Figures
    last: Figures
    latency_drifted: bool
    errors_appeared: bool
    growths: list[GrowthRow]


class AdviceRow(_Frozen):
    action: str
    evidence: str


class ErrorRow(_Frozen):
    name: str
    status: str
    count: int


class Report(_Frozen):
    format: int = REPORT_FORMAT
    generated_at: datetime
    run: RunManifest
    duration_s: float
    overall: Figures
    verdicts: list[VerdictRow]
    max_sustained_level: int | None
    endpoints: list[EndpointRow]
    levels: list[LevelRow]
    knee: KneeRow | None  # the one the report leads with: p95's, else throughput's
    knees: list[KneeRow]  # every knee found: by p95 and by throughput
    usl: UslRow | None
    bottleneck: str | None
    trends: list[TrendRow]
    resources: list[ResourceRow]
    errors: list[ErrorRow]
    dropped_sessions: int
    checks_failed: int
    checks_total: int
    recommendations: list[AdviceRow]
    caveats: list[str]
    over_time: OverTimeRow | None = None
    generator_short_from_level: int | None = None  # the load generator short of CPU from here


def build_report(run: RunData, generated_at: datetime) -> Report:
    manifest = run.manifest
    # the whole run, its last request included: rates are per second of the run
    everything = run.samples.stats(0.0, math.nextafter(max(run.samples.span_s, 1e-9), math.inf))
    overall = everything.pop(ALL, Stats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0))
    levels = load_levels(run)
    rising = ascending(levels)
    knees = find_knees(rising, manifest.sla.p95_ms)
    knee = knees[0] if knees else None
    usl = fit_usl(rising)
    bottleneck = find_bottleneck(rising, run.resources)
    errors = run.samples.errors_by_status()
    saturation = generator_saturation(rising, manifest.tool, manifest.host_cpus or 1)
    drift = held_level_drift(levels, run.samples, run.resources)
    advice = recommend(rising + [lv for lv in levels if lv.recovery], knee, bottleneck, errors,
                       run.dropped_sessions, manifest.peak_arrival_rate_per_s, manifest.sla,
                       manifest.profile, drift)  # fmt: skip
    if saturation is not None:  # first when it qualifies the knee, else after the findings
        later = past_knee(saturation.level.index, knee.level if knee else None)
        advice.insert(len(advice) if later else 0, generator_advice(saturation, knee, manifest))
    sustained = max_sustained(rising, manifest.sla)
    endpoints = _endpoint_rows(everything, manifest)
    return Report(
        generated_at=generated_at,
        run=manifest,
        duration_s=(manifest.ended_at - manifest.started_at).total_seconds(),
        overall=Figures.of(overall),
        verdicts=[VerdictRow(**asdict(v)) for v in verdicts(overall, rising, manifest.sla)]
        + _endpoint_verdicts(endpoints),
        max_sustained_level=sustained.index if sustained else None,
        endpoints=endpoints,
        levels=[_level_row(level) for level in levels],
        knee=KneeRow(**asdict(knee)) if knee else None,
        knees=[KneeRow(**asdict(k)) for k in knees],
        usl=UslRow(**asdict(usl)) if usl else None,
        bottleneck=bottleneck.endpoint.name if bottleneck.endpoint else None,
        trends=[TrendRow(**asdict(t)) for t in bottleneck.trends],
        resources=[ResourceRow(**asdict(r)) for r in bottleneck.resources],
        errors=[ErrorRow(name=n, status=s, count=c) for n, s, c in errors],
        dropped_sessions=run.dropped_sessions,
        checks_failed=run.checks[0],
        checks_total=run.checks[1],
        recommendations=[AdviceRow(**asdict(a)) for a in advice],
        caveats=_caveats(run, levels),
        generator_short_from_level=saturation.level.index if saturation else None,
        over_time=None if drift is None else OverTimeRow(
            level=drift.level.index, held_s=drift.level.end_s - drift.level.start_s,
            first=Figures.of(drift.first), last=Figures.of(drift.last),
            latency_drifted=drift.latency_drifted, errors_appeared=drift.errors_appeared,
            growths=[GrowthRow(**asdict(growth)) for growth in drift.growths],
        ),
    )  # fmt: skip


def _endpoint_rows(stats: dict[str, Stats], manifest: RunManifest) -> list[EndpointRow]:
    rows = []
    for name, figures in sorted(stats.items(), key=lambda item: -item[1].requests):
        limit = endpoint_p95_limit(manifest.sla, name)
        rows.append(EndpointRow(name=name, figures=Figures.of(figures), p95_limit_ms=limit,
                                status=below(figures.p95_ms, limit) if limit else None))  # fmt: skip
    return rows


def _endpoint_verdicts(rows: list[EndpointRow]) -> list[VerdictRow]:
    """An endpoint's own p95 limit is a target like the global ones: a key endpoint over it
    fails the run (as the engine's per-endpoint threshold did), however good the average."""
    return [
        VerdictRow(target=f"p95 of {row.name}", limit=f"< {row.p95_limit_ms:g} ms",
                   measured=f"{row.figures.p95_ms:.0f} ms", status=row.status)
        for row in rows
        if row.p95_limit_ms is not None and row.status is not None
    ]  # fmt: skip


def _level_row(level: Level) -> LevelRow:
    return LevelRow(
        index=level.index, start_s=level.start_s, end_s=level.end_s, offered_per_s=level.offered_per_s,
        users=level.users, in_flight=level.in_flight, recovery=level.recovery, figures=Figures.of(level.overall),
        endpoint_p95_ms={name: stats.p95_ms for name, stats in sorted(level.endpoints.items())},
        endpoint_rps={name: stats.rps for name, stats in sorted(level.endpoints.items())},
        engine_cpu_percent=level.engine_cpu_percent, machine_cpu_percent=level.machine_cpu_percent,
    )  # fmt: skip


def _caveats(run: RunData, levels: list[Level]) -> list[str]:
    notes = []
    manifest = run.manifest
    if manifest.load_model == "closed":
        notes.append(
            "Closed model (a fixed number of users, each waiting for its previous answer): when the "
            "system slows, users send less, so latency is understated (coordinated omission). "
            "Judge capacity from an open-model profile (load, stress, spike, breakpoint)."
        )
    if not run.samples.exact_percentiles:
        notes.append(
            "Artillery reports percentiles per 10-second period; percentiles over a level or the whole "
            "run are request-weighted means of those, not exact."
        )
    if manifest.think_scale != 1 or manifest.duration_scale != 1:
        notes.append(
            f"Compressed run: think times x{manifest.think_scale:g}, stage lengths x{manifest.duration_scale:g}. "
            "Sessions hold fewer users in flight than in production at the same arrival rate."
        )
    if manifest.outcome != "completed":
        notes.append(
            f"The run ended as {manifest.outcome}: later levels may be missing or partial."
        )
    if len(ascending(levels)) < 3 and manifest.profile not in ("smoke", "soak"):  # not their aim
        notes.append(
            "Fewer than three load levels: no knee or scalability fit (run stress or breakpoint)."
        )
    busiest = max(levels, key=lambda level: level.users, default=None)
    if manifest.accounts and busiest is not None and busiest.users > manifest.accounts:
        notes.append(
            f"Sessions shared {manifest.accounts} account(s): about {busiest.users:.0f} were in flight "
            f"at once at level {busiest.index + 1}. One user's caches, row locks and rate limits then "
            "behave unlike production's many users': give the run an account per session in flight "
            "(--users-csv)."
        )
    notes.extend(left_out.note() for left_out in run.unreadable)
    if not manifest.monitors:
        notes.append(
            "No resource monitoring (--target-pid, --metrics-url): bottlenecks are inferred from latency alone."
        )
    return notes
