"""Targets against results: PASS, MARGINAL (within 10% of the limit) or FAIL."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from inferload.analyse.levels import Level
from inferload.analyse.samples import Stats
from inferload.run.manifest import Sla

Status = Literal["PASS", "MARGINAL", "FAIL"]
_MARGIN = 0.10


@dataclass(frozen=True, slots=True)
class Verdict:
    target: str
    limit: str
    measured: str
    status: Status


def below(measured: float, limit: float) -> Status:
    """For figures that must stay under a limit (latency, errors)."""
    if measured > limit:
        return "FAIL"
    return "MARGINAL" if measured >= (1 - _MARGIN) * limit else "PASS"


def above(measured: float, limit: float) -> Status:
    """For figures that must reach a floor (throughput)."""
    if measured < limit:
        return "FAIL"
    return "MARGINAL" if measured <= (1 + _MARGIN) * limit else "PASS"


# A level keeps up with its offered load when it serves at least this share of the requests per
# offered session that the best level below it served
KEEP_UP = 0.9


def within_sla(stats: Stats, sla: Sla) -> bool:
    return (
        stats.p95_ms <= sla.p95_ms
        and stats.p99_ms <= sla.p99_ms
        and stats.error_rate <= sla.error_rate
    )


def endpoint_p95_limit(sla: Sla, name: str) -> float | None:
    """An endpoint's own p95 limit: the SLA keys them by path, results name `METHOD /path`."""
    return sla.endpoint_p95_ms.get(name.partition(" ")[2])


def level_within_sla(level: Level, sla: Sla) -> bool:
    """The global targets and every key endpoint's own p95 limit."""
    return within_sla(level.overall, sla) and all(
        stats.p95_ms <= limit
        for name, stats in level.endpoints.items()
        if (limit := endpoint_p95_limit(sla, name)) is not None
    )


def max_sustained(levels: list[Level], sla: Sla) -> Level | None:
    """The highest ascending level that met the SLA, key endpoints' limits included, and kept
    up with the load it was offered (and so did every level below it). Past saturation an open
    model offers more than the system serves: requests queue, throughput stops following the
    arrival rate, and the averages of a short level can still look within the SLA."""
    sustained = None
    served_per_session = 0.0
    for level in levels:
        ratio = level.overall.rps / level.offered_per_s if level.offered_per_s > 0 else 0.0
        if not level_within_sla(level, sla) or ratio < KEEP_UP * served_per_session:
            break
        served_per_session = max(served_per_session, ratio)
        sustained = level
    return sustained


def verdicts(overall: Stats, levels: list[Level], sla: Sla) -> list[Verdict]:
    found = [
        Verdict("p95 latency", f"< {sla.p95_ms:g} ms", f"{overall.p95_ms:.0f} ms", below(overall.p95_ms, sla.p95_ms)),
        Verdict("p99 latency", f"< {sla.p99_ms:g} ms", f"{overall.p99_ms:.0f} ms", below(overall.p99_ms, sla.p99_ms)),
        Verdict("error rate", f"< {100 * sla.error_rate:g}%", f"{100 * overall.error_rate:.2f}%", below(overall.error_rate, sla.error_rate)),
    ]  # fmt: skip
    if sla.throughput_rps is not None:
        best = max(
            (level.overall.rps for level in levels if level_within_sla(level, sla)), default=0.0
        )
        found.append(
            Verdict(
                "throughput within SLA",
                f">= {sla.throughput_rps:g} req/s",
                f"{best:.1f} req/s",
                above(best, sla.throughput_rps),
            )
        )
    return found
