"""targets.yaml: what the test must show, in the team's own numbers. Every field is optional.

Arrival rates (sessions per second) default to the workload's measured load levels; the SLA to
the usual SaaS targets (p95 < 500 ms, p99 < 1000 ms, errors < 1%). Resolution records where
each number came from: `targets` (the file), `logs`/`spec`/`default` (via the workload).
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.model.workload import Measured, Provenance, Workload
from inferload.templating import figure
from inferload.yamlfile import read_mapping, validate

_HOST_NAME = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")  # `_`: compose services


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EndpointSla(_Strict):
    p95_ms: float | None = Field(default=None, gt=0)
    p99_ms: float | None = Field(default=None, gt=0)
    error_rate: float | None = Field(default=None, ge=0, le=1)


class Sla(_Strict):
    p95_ms: float = Field(default=500.0, gt=0)
    p99_ms: float = Field(default=1000.0, gt=0)
    error_rate: float = Field(default=0.01, ge=0, le=1)
    throughput_rps: float | None = Field(
        default=None, gt=0, description="requests/s the system must sustain"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Sla:
        if self.p99_ms < self.p95_ms:
            raise ValueError(f"p99_ms ({self.p99_ms}) is below p95_ms ({self.p95_ms})")
        return self


class Targets(_Strict):
    normal_arrival_rate_per_s: float | None = Field(
        default=None, gt=0, description="sessions/s on a normal day"
    )
    peak_arrival_rate_per_s: float | None = Field(
        default=None, gt=0, description="sessions/s at the busiest hour"
    )
    max_arrival_rate_per_s: float | None = Field(
        default=None, gt=0, description="sessions/s the system must survive"
    )
    soak_hours: float = Field(default=4.0, gt=0, le=72)
    sla: Sla = Sla()
    endpoints: dict[str, EndpointSla] = Field(
        default={}, description="operation id -> SLA overrides"
    )
    allow_hosts: list[str] = Field(
        default=[],
        description="non-loopback hosts a run may target (staging): host names or addresses",
    )

    @field_validator("allow_hosts")
    @classmethod
    def _hosts_alone(cls, hosts: list[str]) -> list[str]:
        """A URL or `host:port` here would match no target, and the scripts would refuse the
        host the team meant to allow, with no word of why."""
        for host in hosts:
            if not (_HOST_NAME.fullmatch(host) or _is_address(host)):
                raise ValueError(
                    f"{host!r} is not a host name or address: give the host alone "
                    "(staging.example.com, 10.0.0.5, ::1), without scheme, port or path"
                )
        return [host.lower() for host in hosts]


class Resolved(_Strict):
    """Targets with every number filled in and its origin."""

    normal_arrival_rate_per_s: float
    peak_arrival_rate_per_s: float
    max_arrival_rate_per_s: float
    session_duration_s: float
    soak_hours: float
    sla: Sla
    endpoints: dict[str, EndpointSla]
    origin: dict[str, str]


def load_targets(path: str | Path | None) -> Targets:
    if path is None:
        return Targets()
    path = Path(path)
    return validate(Targets, read_mapping(path, "a targets file"), path)


def _origin(measured: Measured) -> str:
    """Where a load level came from; a placeholder says why it is one (the plan lists it among
    its assumptions)."""
    provenance = measured.provenance.value
    if provenance == "default" and measured.note:
        return f"default: {measured.note}"
    return provenance


def resolve(workload: Workload, targets: Targets) -> Resolved:
    """Fill what targets.yaml leaves out from the workload's load levels."""
    load = workload.load
    origin: dict[str, str] = {}

    def pick(name: str, given: float | None, measured: float, provenance: str) -> float:
        origin[name] = "targets" if given is not None else provenance
        return given if given is not None else measured

    normal = pick(
        "normal_arrival_rate_per_s",
        targets.normal_arrival_rate_per_s,
        load.normal_arrival_rate_per_s.value,
        _origin(load.normal_arrival_rate_per_s),
    )
    measured_peak = load.peak_arrival_rate_per_s
    peak = pick(
        "peak_arrival_rate_per_s",
        targets.peak_arrival_rate_per_s,
        max(measured_peak.value, normal),
        _origin(measured_peak)
        if measured_peak.value >= normal
        else f"normal load (above the {figure(60 * measured_peak.value)} sessions/min peak "
        f"from {measured_peak.provenance.value})",
    )
    # what the system must survive: 3x normal, unless production already sent more (the peak
    # hour, or the busiest minute's burst the logs measured)
    burst = load.peak_minute_arrival_rate_per_s
    candidates = [(3 * normal, "default: 3x normal"), (peak, "the peak load")]
    if burst.provenance is Provenance.LOGS:
        candidates.append(
            (burst.value, f"logs: the busiest minute ({figure(60 * burst.value)} sessions/min)")
        )
    survive, why = max(candidates, key=lambda candidate: candidate[0])
    maximum = pick("max_arrival_rate_per_s", targets.max_arrival_rate_per_s, survive, why)
    for name in Sla.model_fields:  # the SLA is the usual SaaS one where the file is silent
        given = name in targets.sla.model_fields_set
        origin[f"sla.{name}"] = "targets" if given else "default: the usual SaaS target"
    unknown = sorted(set(targets.endpoints) - set(workload.operations))
    if unknown:
        raise InferloadError(
            ErrorKind.INVALID,
            f"endpoint SLA for unknown operation(s): {', '.join(unknown)}",
            location=Location("targets.yaml", field="endpoints"),
            hint="use operation ids as they appear in workload.yaml",
        )
    return Resolved(
        normal_arrival_rate_per_s=normal,
        peak_arrival_rate_per_s=max(peak, normal),
        max_arrival_rate_per_s=max(maximum, peak),
        session_duration_s=max(load.session_duration_s.value, 1.0),
        soak_hours=targets.soak_hours,
        sla=targets.sla,
        endpoints=targets.endpoints,
        origin=origin,
    )
