"""Load profiles and thresholds: the shapes of load a performance engineer runs, in an open
model (sessions arrive at a rate, whatever the system's speed: no coordinated omission).

Rates are sessions per second (k6 `ramping-arrival-rate`, Artillery `arrivalRate`). Virtual
users are sized by Little's law: a session lasts W seconds on average, so a rate lambda keeps
L = lambda x W sessions in flight; pre-allocate 1.2 L, allow 2 L (a slow system holds sessions
longer: the headroom is what lets the test show it rather than throttle itself). Scripts
multiply W by THINK_SCALE at run time.

| profile | shape |
|---|---|
| smoke | ~2 sessions in flight for 1 min: does every journey work? (k6: two users, a think time between their sessions) |
| load | ramp to normal in 5 min, hold 30 min, ramp down 2 min |
| stress | 1x, 1.5x, 2x, 2.5x, 3x normal for 5 min each, then 5 min back at normal (recovery) |
| spike | normal 2 min, burst to the spike rate in 10 s for 1 min, normal 3 min; twice |
| soak | ramp 5 min, normal for `soak_hours` |
| breakpoint | ramp from 0 to 10x peak over 30 min; thresholds abort the run at the break |
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from inferload.design.targets import Resolved
from inferload.model.workload import Workload

PROFILES = ("smoke", "load", "stress", "spike", "soak", "breakpoint")
_LITTLE_PREALLOCATE = 1.2
_LITTLE_MAX = 2.0


@dataclass(frozen=True, slots=True)
class Stage:
    duration_s: int
    target_per_s: float  # sessions per second reached at the end of the stage


@dataclass(frozen=True, slots=True)
class Profile:
    name: str
    description: str
    start_per_s: float
    stages: tuple[Stage, ...]
    in_flight: float  # Little's L at the profile's highest rate, with real think times
    pre_allocated_vus: int
    max_vus: int
    abort_on_fail: bool  # thresholds stop the run (breakpoint)

    @property
    def duration_s(self) -> int:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def peak_per_s(self) -> float:
        return max([self.start_per_s, *(s.target_per_s for s in self.stages)])


def design_profiles(resolved: Resolved) -> dict[str, Profile]:
    normal = resolved.normal_arrival_rate_per_s
    peak = resolved.peak_arrival_rate_per_s
    duration = resolved.session_duration_s
    smoke_rate = min(normal, 2.0 / duration)
    spike_rate = max(resolved.max_arrival_rate_per_s, 3 * normal)
    shapes: dict[str, tuple[str, float, list[Stage], bool]] = {
        "smoke": ("a few sessions for a minute: does every journey work?", smoke_rate,
                  [Stage(60, smoke_rate)], False),
        "load": ("the normal day: ramp, hold 30 min, ramp down", 0.0,
                 [Stage(300, normal), Stage(1800, normal), Stage(120, 0.0)], False),
        "stress": ("steps up to 3x normal, then recovery at normal", normal,
                   [Stage(60, normal)] + [s for f in (1.5, 2.0, 2.5, 3.0) for s in (Stage(30, f * normal), Stage(270, f * normal))]
                   + [Stage(30, normal), Stage(270, normal), Stage(60, 0.0)], False),
        "spike": ("normal, a sudden burst, recovery; twice", normal,
                  [s for _ in range(2) for s in (Stage(120, normal), Stage(10, spike_rate), Stage(60, spike_rate),
                                                 Stage(10, normal), Stage(180, normal))] + [Stage(60, 0.0)], False),
        "soak": (f"normal for {resolved.soak_hours:g} h: leaks, pools, disks", 0.0,
                 [Stage(300, normal), Stage(int(resolved.soak_hours * 3600), normal), Stage(120, 0.0)], False),
        "breakpoint": ("ramp to 10x peak over 30 min until the thresholds stop it", 0.0,
                       [Stage(1800, 10 * peak)], True),
    }  # fmt: skip
    profiles = {}
    for name, (description, start, stages, abort) in shapes.items():
        highest = max([start, *(s.target_per_s for s in stages)])
        in_flight = highest * duration
        profiles[name] = Profile(
            name=name,
            description=description,
            start_per_s=start,
            stages=tuple(stages),
            in_flight=in_flight,
            pre_allocated_vus=max(1, math.ceil(_LITTLE_PREALLOCATE * in_flight)),
            max_vus=max(2, math.ceil(_LITTLE_MAX * in_flight)),
            abort_on_fail=abort,
        )
    return profiles


@dataclass(frozen=True, slots=True)
class Threshold:
    metric: str  # k6 metric name, with tags: http_req_duration{name:/api/x}
    condition: str  # k6 syntax: p(95)<500
    abort_on_fail: bool = False


def error_rate_below(limit: float) -> tuple[str, str]:
    """The comparison an error-rate limit makes, as (operator, number): `<`, `0.01`; a limit of
    0 means no error at all, `<=` `0` (`< 0` would fail every run)."""
    return ("<" if limit > 0 else "<=", f"{limit:g}")


KILL_SWITCH_DELAY_S = 10  # a run's first seconds of errors (a cold start) abort nothing


def kill_switch_rate(limit: float) -> float:
    """The error rate that stops a run early: ten times the SLA, at least 1% (a strict SLA must
    not abort a run for its first error), at most all requests."""
    return min(1.0, max(10 * limit, 0.01))


def design_thresholds(workload: Workload, resolved: Resolved) -> list[Threshold]:
    """Global SLA thresholds, per-endpoint ones for high-priority operations (and overrides),
    and a kill switch: errors ten times the SLA stop any run early."""
    sla = resolved.sla
    thresholds = [
        Threshold("http_req_duration", f"p(95)<{sla.p95_ms:g}"),
        Threshold("http_req_duration", f"p(99)<{sla.p99_ms:g}"),
        Threshold("http_req_failed", "rate" + "".join(error_rate_below(sla.error_rate))),
        Threshold(
            "http_req_failed", f"rate<{kill_switch_rate(sla.error_rate):g}", abort_on_fail=True
        ),
    ]
    for operation_id, operation in sorted(workload.operations.items()):
        override = resolved.endpoints.get(operation_id)
        if operation.priority != "high" and override is None:
            continue
        template = f"{workload.api.base_path}{operation.path}"
        tag = f"http_req_duration{{name:{template}}}"
        p95 = override.p95_ms if override and override.p95_ms else sla.p95_ms
        thresholds.append(Threshold(tag, f"p(95)<{p95:g}"))
        if override and override.p99_ms:
            thresholds.append(Threshold(tag, f"p(99)<{override.p99_ms:g}"))
        if override and override.error_rate is not None:
            thresholds.append(
                Threshold(
                    f"http_req_failed{{name:{operation.path}}}",
                    "rate" + "".join(error_rate_below(override.error_rate)),
                )
            )
    return thresholds
