"""The drift between two workload models, each change judged against sampling noise.

Every comparison is a z-test sized by the samples behind it: two proportions for operation
shares (requests), persona weights (sessions) and transition probabilities (visits to the
state, from the chain); Welch on ln(seconds) for think times (lognormal fits with their sample
counts); Poisson counts for load levels. With dozens of comparisons, chance alone would flag
some: the significance level is Bonferroni-corrected over all the tests made. A change is
reported when it is significant; it counts as drift when it is also larger than the tolerance
(small real changes are listed as minor, never fail a build).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict
from scipy.stats import norm

from inferload.model.chains import expected_visits
from inferload.model.workload import START, Operation, Persona, Provenance, Workload
from inferload.refresh.identity import match_personas

Kind = Literal["operation-new", "operation-gone", "operation-share", "query-share", "persona-new",
               "persona-gone", "persona-weight", "transition", "think-time", "load"]  # fmt: skip


@dataclass(frozen=True)  # no slots: the CLI reads the defaults off the class
class Tolerance:
    share_points: float = 1.0  # operation share, percentage points
    weight_points: float = 5.0  # persona weight, percentage points
    transition_points: float = 10.0  # transition probability, percentage points
    think_relative: float = 0.20  # think-time median
    load_relative: float = 0.25  # load levels
    alpha: float = 0.01  # family-wise significance level
    query_points: float = 10.0  # a query parameter's share of its operation's requests


class Change(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: Kind
    subject: str
    old: float | None
    new: float | None
    z: float | None
    drift: bool  # significant and beyond tolerance
    detail: str


class Drift(BaseModel):
    model_config = ConfigDict(frozen=True)

    old_sessions: int
    new_sessions: int
    tests: int
    critical_z: float
    changes: list[Change]

    @property
    def drifted(self) -> bool:
        return any(change.drift for change in self.changes)


@dataclass
class _Candidate:
    kind: Kind
    subject: str
    old: float | None
    new: float | None
    z: float | None  # None: no sample size to judge by; material alone decides
    material: bool
    detail: str


def diff_workloads(old: Workload, new: Workload, tolerance: Tolerance = Tolerance()) -> Drift:
    candidates = (
        _operations(old, new, tolerance)
        + _personas(old, new, tolerance)
        + _load(old, new, tolerance)
    )
    tests = max(1, sum(c.z is not None for c in candidates))
    critical = float(norm.isf(tolerance.alpha / (2 * tests)))
    changes = [
        Change(kind=c.kind, subject=c.subject, old=c.old, new=c.new, z=c.z,
               drift=c.material and (c.z is None or abs(c.z) >= critical), detail=c.detail)
        for c in candidates
        if (abs(c.z) >= critical if c.z is not None else _changed(c.old, c.new))
    ]  # fmt: skip
    changes.sort(key=lambda c: (not c.drift, -abs(c.z or 0.0)))
    return Drift(old_sessions=old.source.sessions, new_sessions=new.source.sessions, tests=tests,
                 critical_z=critical, changes=changes)  # fmt: skip


def _changed(old: float | None, new: float | None) -> bool:
    """A comparison with no samples to judge by (a model from the spec alone, or hand-set) is
    listed when its value changed: the same default on both sides is no change to review
    (workload.yaml keeps six decimals)."""
    if old is None or new is None:
        return old is not new
    return not math.isclose(old, new, rel_tol=1e-6, abs_tol=1e-9)


def _proportions(p1: float, n1: float, p2: float, n2: float) -> float | None:
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (p1 * n1 + p2 * n2) / (n1 + n2)
    spread = math.sqrt(max(pooled * (1 - pooled), 1e-12) * (1 / n1 + 1 / n2))
    return (p2 - p1) / spread


def _poisson(c1: float, c2: float) -> float | None:
    return (c2 - c1) / math.sqrt(c1 + c2) if c1 + c2 > 0 else None


def _operations(old: Workload, new: Workload, tolerance: Tolerance) -> list[_Candidate]:
    found = []
    # requests come in sessions (a session that reads one product reads several): the session
    # count, not the request count, is the independent sample size
    n1, n2 = old.source.sessions, new.source.sessions
    covered = {op for persona in old.personas for step in persona.steps.values() for op in step}
    for operation_id in sorted(old.operations.keys() | new.operations.keys()):
        before = old.operations.get(operation_id)
        after = new.operations.get(operation_id)
        p1 = before.share if before else 0.0
        p2 = after.share if after else 0.0
        if p1 == p2 == 0:
            continue
        z = _proportions(p1, n1, p2, n2)
        shown = after or before
        assert shown is not None
        name = f"{shown.method} {new.api.base_path}{shown.path}"
        if p1 == 0:
            uncovered = "" if operation_id in covered else ", not covered by any scenario"
            found.append(_Candidate("operation-new", name, None, p2, z, 100 * p2 >= tolerance.share_points / 2,
                                    f"{name} is new: {p2:.1%} of requests{uncovered}"))  # fmt: skip
        elif p2 == 0:
            found.append(_Candidate("operation-gone", name, p1, None, z, 100 * p1 >= tolerance.share_points / 2,
                                    f"{name} disappeared (was {p1:.1%} of requests)"))  # fmt: skip
        else:
            found.append(_Candidate("operation-share", name, p1, p2, z, 100 * abs(p2 - p1) >= tolerance.share_points,
                                    f"{name}: {p1:.1%} -> {p2:.1%} of requests"))  # fmt: skip
        if before and after and before.query_shares is not None and after.query_shares is not None:
            sizes = (
                (min(n1, before.requests), min(n2, after.requests))
                if Provenance.USER not in (before.provenance, after.provenance)
                else None
            )
            found += _query_shares(name, before, after, sizes, tolerance)
    return found


def _query_shares(name: str, before: Operation, after: Operation, sizes: tuple[int, int] | None,
                  tolerance: Tolerance) -> list[_Candidate]:  # fmt: skip
    """How often each query parameter came with the operation (a search box taken up, a filter
    dropped: what the scripts send changes with it). The sample is the operation's requests, at
    most the sessions (a session repeats its own query); None for a share set by hand, which
    is compared, not tested."""
    found = []
    old, new = before.query_shares or {}, after.query_shares or {}
    for parameter in sorted(old.keys() | new.keys()):
        p1, p2 = old.get(parameter, 0.0), new.get(parameter, 0.0)
        z = _proportions(p1, sizes[0], p2, sizes[1]) if sizes else None
        found.append(_Candidate("query-share", f"{name} ?{parameter}", p1, p2, z,
                                100 * abs(p2 - p1) >= tolerance.query_points,
                                f"{name}: query `{parameter}` in {p1:.0%} -> {p2:.0%} of its requests"))  # fmt: skip
    return found


def _personas(old: Workload, new: Workload, tolerance: Tolerance) -> list[_Candidate]:
    found = []
    n1, n2 = old.source.sessions, new.source.sessions
    matches = match_personas(old.personas, new.personas)
    matched_old = set(matches.values())
    for index, persona in enumerate(new.personas):
        if index not in matches:
            found.append(_Candidate("persona-new", persona.id, None, persona.weight, _proportions(0, n1, persona.weight, n2),
                                    100 * persona.weight >= tolerance.weight_points, f"new persona {persona.name!r}: {persona.weight:.1%} of sessions"))  # fmt: skip
            continue
        before = old.personas[matches[index]]
        found.append(_Candidate("persona-weight", before.id, before.weight, persona.weight,
                                _proportions(before.weight, n1, persona.weight, n2),
                                100 * abs(persona.weight - before.weight) >= tolerance.weight_points,
                                f"persona {before.id}: {before.weight:.1%} -> {persona.weight:.1%} of sessions"))  # fmt: skip
        found.extend(_transitions(before, persona, tolerance))
        found.extend(_think_times(before, persona, tolerance))
    for index, persona in enumerate(old.personas):
        if index not in matched_old:
            found.append(_Candidate("persona-gone", persona.id, persona.weight, None, _proportions(persona.weight, n1, 0, n2),
                                    100 * persona.weight >= tolerance.weight_points, f"persona {persona.id} is gone (was {persona.weight:.1%})"))  # fmt: skip
    return found


def _transitions(before: Persona, after: Persona, tolerance: Tolerance) -> list[_Candidate]:
    found = []
    visits_before = {START: 1.0, **expected_visits(before)}
    visits_after = {START: 1.0, **expected_visits(after)}
    for state in sorted(before.transitions.keys() & after.transitions.keys()):
        n1 = before.sessions * visits_before.get(state, 0.0)
        n2 = after.sessions * visits_after.get(state, 0.0)
        targets = before.transitions[state].keys() | after.transitions[state].keys()
        for target in sorted(targets):
            p1 = before.transitions[state].get(target, 0.0)
            p2 = after.transitions[state].get(target, 0.0)
            z = _proportions(p1, n1, p2, n2)
            found.append(_Candidate("transition", f"{before.id}: {state} -> {target}", p1, p2, z,
                                    100 * abs(p2 - p1) >= tolerance.transition_points,
                                    f"{before.id}: {state} -> {target} {p1:.0%} -> {p2:.0%}"))  # fmt: skip
    return found


def _think_times(before: Persona, after: Persona, tolerance: Tolerance) -> list[_Candidate]:
    found = []
    pairs = [
        (key, before.think_times[key], after.think_times[key])
        for key in sorted(before.think_times.keys() & after.think_times.keys())
    ]
    pairs.append(("default", before.default_think, after.default_think))
    for key, old, new in pairs:
        (mu1, sigma1), (mu2, sigma2) = old.law, new.law
        # a law set by hand (its median and p90) has no sample behind it: compared, not tested
        sampled = (
            old.samples and new.samples and Provenance.USER not in (old.provenance, new.provenance)
        )
        spread = math.sqrt(sigma1**2 / max(old.samples, 1) + sigma2**2 / max(new.samples, 1))
        z = (mu2 - mu1) / spread if sampled and spread > 0 else None
        ratio = math.exp(mu2 - mu1)
        found.append(_Candidate("think-time", f"{before.id}: {key}", old.median_s, new.median_s, z,
                                abs(ratio - 1) >= tolerance.think_relative,
                                f"{before.id}: think time {key} median {old.median_s:.1f} s -> {new.median_s:.1f} s ({ratio - 1:+.0%})"))  # fmt: skip
    return found


_LOAD_COUNTS = {  # how many events stand behind one unit of each load level
    "normal_arrival_rate_per_s": 3600.0, "peak_arrival_rate_per_s": 3600.0, "peak_minute_arrival_rate_per_s": 60.0,
    "peak_concurrent_sessions": 1.0, "littles_law_concurrency": 1.0, "requests_per_s_peak": 1.0,
}  # fmt: skip


def _load(old: Workload, new: Workload, tolerance: Tolerance) -> list[_Candidate]:
    found = []
    for name, per_unit in _LOAD_COUNTS.items():
        old_level, new_level = getattr(old.load, name), getattr(new.load, name)
        before, after = old_level.value, new_level.value
        if before <= 0 and after <= 0:
            continue
        relative = (after - before) / before if before > 0 else math.inf
        # a placeholder (a model from the spec alone, a sample too small) counted nothing: no
        # test of counts, and the change is the first measurement, which the detail says
        counted = old_level.provenance is new_level.provenance is Provenance.LOGS
        z = _poisson(before * per_unit, after * per_unit) if counted else None
        origins = (
            "" if counted else f" ({old_level.provenance.value} -> {new_level.provenance.value})"
        )
        found.append(_Candidate("load", name, before, after, z, abs(relative) >= tolerance.load_relative,
                                f"{name.replace('_', ' ')}: {before:.3g} -> {after:.3g} ({relative:+.0%}){origins}"))  # fmt: skip
    return found
