"""Recommendations, each tied to the evidence that calls for it."""

from __future__ import annotations

from dataclasses import dataclass

from inferload.analyse.bottleneck import Bottleneck, ResourceTrend, resource_value
from inferload.analyse.endurance import Drift
from inferload.analyse.levels import Level
from inferload.analyse.scalability import Knee
from inferload.analyse.verdicts import max_sustained
from inferload.run.manifest import Sla
from inferload.templating import figure

_STATUS_MEANING = {
    "503": "the service shed load (overload or an exhausted pool): find what it was waiting on",
    "504": "an upstream timed out: the slow dependency is the thing to fix",
    "502": "the proxy lost the backend: check for crashes or restarts under load",
    "500": "server errors appear under load: read the service log for the stack traces",
    "429": "rate limiting: raise the limit for the test client or the test measures the limiter",
    "401": "credentials expired or missing: check the users CSV and token lifetime",
    "403": "a persona lacks a role: give the test accounts the roles production users have",
    "0": "the request never got an answer (refused or timed out at the client)",
}


# what the same statuses mean in a smoke run, where there is no load to blame
_WITHOUT_LOAD = {
    "503": "the service is unavailable without load: it is down, still starting, or a dependency is",
    "504": "an upstream times out without load: it is down or unreachable from the service",
    "502": "the proxy cannot reach the backend even without load: check that it runs",
    "500": "the service fails on them without load (a bug, or its data or configuration): read its log for the stack traces",
}


_MIN_ERRORS = 10  # a handful of failures in a stress run is noise, not a finding
_MIN_ERROR_SHARE = 0.001


@dataclass(frozen=True, slots=True)
class Recommendation:
    action: str
    evidence: str


def recommend(
    levels: list[Level],
    knee: Knee | None,
    bottleneck: Bottleneck,
    errors: list[tuple[str, str, int]],
    dropped_sessions: int,
    peak_arrival_rate_per_s: float,
    sla: Sla,
    profile: str,
    drift: Drift | None,
) -> list[Recommendation]:
    found: list[Recommendation] = []
    endpoint = bottleneck.endpoint
    if endpoint is not None:
        level = _level(levels, endpoint.degraded_at_level)
        found.append(Recommendation(
            f"Optimise {endpoint.name} first: profile its queries (indexes on the columns it filters and sorts by), "
            "then cache or precompute its result if it is read far more often than its data changes.",
            f"it carried {100 * endpoint.demand_share:.0f}% of the service demand at the lowest level and held "
            f"{100 * endpoint.time_share:.0f}% of all server time at the highest level; its p95 went from "
            f"{endpoint.base_p95_ms:.0f} ms to {endpoint.worst_p95_ms:.0f} ms"
            + (f", doubling from {_offered(level)}." if level else "."),
        ))  # fmt: skip
    seen: set[str] = set()
    for trend in bottleneck.resources:  # strongest correlation first: one piece of advice per kind
        advice = _resource_advice(trend, endpoint.name if endpoint else None)
        if advice and advice.action not in seen:
            seen.add(advice.action)
            found.append(advice)
    if knee is not None:
        ratio = knee.offered_per_s / peak_arrival_rate_per_s if peak_arrival_rate_per_s > 0 else 0.0
        verdict = (
            "comfortable headroom"
            if ratio >= 2
            else "thin headroom: plan capacity before the next growth step"
            if ratio >= 1
            else "production's busiest hour is already past the knee"
        )
        found.append(Recommendation(
            f"Treat {knee.throughput_rps:.0f} req/s ({figure(knee.offered_per_s)} sessions/s) as this deployment's capacity: {verdict}.",
            f"the {knee.by} knee is at {figure(knee.offered_per_s)} sessions/s, {ratio:.1f}x the peak arrival rate "
            f"the test was designed for ({figure(peak_arrival_rate_per_s)} sessions/s); p95 there was {knee.p95_ms:.0f} ms.",
        ))  # fmt: skip
    elif rising := [level for level in levels if not level.recovery]:
        # a level held long: what grew over it is the finding; for a soak that met the SLA,
        # that nothing did (the question a soak asks is whether the service holds, not where
        # it breaks)
        if drift is not None and (
            drift.drifted or (profile == "soak" and max_sustained(rising, sla) is not None)
        ):
            found.append(_over_time(drift))
        else:
            found.extend(_without_a_knee(rising, sla, profile))
    recovery = [level for level in levels if level.recovery]
    if (
        recovery
        and levels
        and recovery[-1].overall.p95_ms > 1.5 * max(levels[0].overall.p95_ms, 1.0)
    ):
        found.append(Recommendation(
            "Find what stays saturated after the peak (a backlog, a leaked connection, a cache that never warmed back):"
            " a system that does not recover turns a short spike into an outage.",
            f"back at {figure(recovery[-1].offered_per_s)} sessions/s the p95 was {recovery[-1].overall.p95_ms:.0f} ms, "
            f"against {levels[0].overall.p95_ms:.0f} ms at the same load before the peak.",
        ))  # fmt: skip
    total_errors = sum(count for _, _, count in errors)
    requests = sum(level.overall.requests for level in levels)
    notable = [e for e in errors if e[2] >= max(_MIN_ERRORS, _MIN_ERROR_SHARE * requests)]
    for name, status, count in notable[:3]:
        meaning = _STATUS_MEANING.get(status, "read the service log for this status")
        if profile == "smoke":  # a user or two: no load to blame
            meaning = _WITHOUT_LOAD.get(status, meaning)
        found.append(Recommendation(
            f"Fix the {status} answers of {name}: {meaning}.",
            f"{count} failed requests ({100 * count / max(total_errors, 1):.0f}% of all errors).",
        ))  # fmt: skip
    if dropped_sessions:
        found.append(Recommendation(
            "Give the load generator more virtual users (maxVUs) or another machine, and rerun.",
            f"{dropped_sessions} sessions could not start for want of a free virtual user: the highest levels offered less load than planned.",
        ))  # fmt: skip
    return found


def _without_a_knee(rising: list[Level], sla: Sla, profile: str) -> list[Recommendation]:
    """No knee: a healthy run did not push hard enough; a run that missed the SLA from its
    first level shows no capacity at all (errors or latency come first); between the two, the
    SLA broke without a sharp bend, and the highest load sustained is the capacity. A smoke run
    measures no capacity: it checks that the journeys work, and the next step is a load run."""
    first, top = rising[0], rising[-1]
    sustained = max_sustained(rising, sla)
    if profile == "smoke":
        users = (
            f" from {first.users:.0f} users" if first.users >= 0.5 else ""
        )  # short sessions: ~0 at once
        outcome = (
            f"{first.overall.requests:,} requests{users}: p95 {first.overall.p95_ms:.0f} ms, "
            f"errors {100 * first.overall.error_rate:.2f}%"
        )
        if sustained is not None:
            return [Recommendation(
                "Run the load profile next: this smoke run shows the journeys work against this target; it "
                "measures no capacity.", f"{outcome}, within the SLA.",
            )]  # fmt: skip
        return [Recommendation(
            "Fix what failed before any load run: at smoke load, errors and slow answers come from the "
            "target's set-up, its test data or the credentials, not from load.",
            f"{outcome} (SLA: p95 < {sla.p95_ms:g} ms, errors < {100 * sla.error_rate:g}%).",
        )]  # fmt: skip
    if sustained is top:
        return [Recommendation(
            "Run the breakpoint profile to find the limit: this run never reached it.",
            f"no knee up to {figure(top.offered_per_s)} sessions/s ({top.overall.rps:.1f} req/s, p95 {top.overall.p95_ms:.0f} ms).",
        )]  # fmt: skip
    if sustained is None:
        return [Recommendation(
            "Make the service meet its SLA at low load before reading capacity: this run missed it from its first level.",
            f"at {figure(first.offered_per_s)} sessions/s: p95 {first.overall.p95_ms:.0f} ms, p99 {first.overall.p99_ms:.0f} ms, "
            f"errors {100 * first.overall.error_rate:.2f}% (SLA: p95 < {sla.p95_ms:g} ms, p99 < {sla.p99_ms:g} ms, "
            f"errors < {100 * sla.error_rate:g}%, and each key endpoint's own p95 limit).",
        )]  # fmt: skip
    return [Recommendation(
        f"Treat {sustained.overall.rps:.0f} req/s ({figure(sustained.offered_per_s)} sessions/s) as this deployment's capacity: "
        "above it the SLA broke or throughput stopped following the load, without a sharp knee.",
        f"p95 {sustained.overall.p95_ms:.0f} ms there; at {figure(top.offered_per_s)} sessions/s {top.overall.rps:.1f} req/s, "
        f"p95 {top.overall.p95_ms:.0f} ms and errors {100 * top.overall.error_rate:.2f}%.",
    )]  # fmt: skip


def _over_time(drift: Drift) -> Recommendation:
    """A soak's finding: what grew between the held level's first and last thirds, or that
    nothing did (the run is then the endurance baseline)."""
    first, last = drift.first, drift.last
    held = drift.level.end_s - drift.level.start_s
    evidence = [
        f"at {figure(drift.level.offered_per_s)} sessions/s for {held / 60:.0f} min, first third against last: "
        f"p95 {first.p95_ms:.0f} -> {last.p95_ms:.0f} ms, errors {100 * first.error_rate:.2f}% -> "
        f"{100 * last.error_rate:.2f}%"
    ]
    evidence += [
        f"the target's {growth.metric} {resource_value(growth.first, growth.metric)} -> "
        f"{resource_value(growth.last, growth.metric)}"
        for growth in drift.growths
    ]
    if drift.drifted:
        return Recommendation(
            "Find what accumulates while the load holds steady (a leak, a table or queue that grows without "
            "an index or a bound, a cache that never evicts, connections not returned): it turns into an "
            "outage after hours in production.", "; ".join(evidence) + ".",
        )  # fmt: skip
    return Recommendation(
        "Keep this run as the endurance baseline: the service held its load without drift.",
        "; ".join(evidence) + (", the target's memory steady." if not drift.growths else "."),
    )


def _resource_advice(trend: ResourceTrend, endpoint: str | None) -> Recommendation | None:
    metric = trend.metric.lower()
    first, peak = (resource_value(v, trend.metric) for v in (trend.first_value, trend.peak_value))
    rise = f"{trend.metric} went from {first} to {peak} as load rose (r = {trend.r:.2f} with p95)."
    holder = f" ({endpoint} first)" if endpoint else ""
    if "pool" in metric and ("wait" in metric or "timeout" in metric):
        return Recommendation(
            f"Shorten what holds database connections{holder} before enlarging the pool: requests queue for a connection.",
            rise,
        )
    if "cpu" in metric and trend.r > 0:
        return Recommendation(
            f"The target is CPU-bound at the knee: profile the hot path{holder}, or add instances.",
            rise,
        )
    if ("rss" in metric or "memory" in metric) and trend.r > 0:
        return Recommendation(
            "Memory follows load: run the soak profile to tell a cache from a leak.", rise
        )
    if ("fds" in metric or "threads" in metric) and trend.r > 0:
        return Recommendation(
            "Threads or file descriptors grow with load: check for unbounded pools.", rise
        )
    return None


def _level(levels: list[Level], index: int | None) -> Level | None:
    return next((level for level in levels if level.index == index), None)


def _offered(level: Level | None) -> str:
    return f"{figure(level.offered_per_s)} sessions/s" if level else "an unknown level"
