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


def within_sla(stats: Stats, sla: Sla) -> bool:
    return (
        stats.p95_ms <= sla.p95_ms
        and stats.p99_ms <= sla.p99_ms
        and stats.error_rate <= sla.error_rate
    )


def max_sustained(levels: list[Level], sla: Sla) -> Level | None:
    """The highest ascending level whose figures all met the SLA (and every level below it)."""
    sustained = None
    for level in levels:
        if not within_sla(level.overall, sla):
            break
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
            (level.overall.rps for level in levels if within_sla(level.overall, sla)), default=0.0
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
