"""How realistic was a test? Its traffic against production's, session by session.

The test's sessions come from k6 results tagged with VU and iteration (`inferload run
--tag-sessions`: one iteration is one session) or from the target's own access log; production's
from the log sample. Distances: total variation of the operation mix and of the persona mix
(each session assigned to the persona whose operations it shares most, Jaccard), two-sample
Kolmogorov-Smirnov statistics of session length (requests) and of think time (from logs, the
gap between requests as the model measures it; from k6, a response to the next request; a
compressed test's gaps are divided by its think scale), and the transitions whose probabilities differ most, weighted by how often production
leaves their state.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import BaseModel, ConfigDict
from scipy.stats import ks_2samp

from inferload.analyse.readers import read_run
from inferload.analyse.samples import RawSamples
from inferload.errors import ErrorKind, InferloadError, Location
from inferload.logs import Session
from inferload.model.steps import session_steps
from inferload.model.workload import END, START, Persona
from inferload.spec import Router
from inferload.spec.matcher import Match

Verdict = Literal["faithful", "approximate", "unrealistic"]
# (faithful at most, approximate at most): beyond the second, the test is not like production
LIMITS = {"operation_mix_tv": (0.10, 0.20), "persona_mix_tv": (0.10, 0.20),
          "session_length_ks": (0.15, 0.30), "think_time_ks": (0.15, 0.30)}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Traffic:
    """Sessions as operation sequences with the idle seconds before each next request."""

    sessions: tuple[tuple[tuple[str, ...], tuple[float, ...]], ...]

    @property
    def requests(self) -> int:
        return sum(len(operations) for operations, _ in self.sessions)

    def unscaled(self, think_scale: float) -> Traffic:
        """The gaps a test compressed by THINK_SCALE would have had at full length."""
        return Traffic(
            tuple((ops, tuple(gap / think_scale for gap in gaps)) for ops, gaps in self.sessions)
        )


class Transition(BaseModel):
    model_config = ConfigDict(frozen=True)

    source: str
    target: str
    production: float
    test: float
    weight: float  # share of production's transitions that leave `source`


class Fidelity(BaseModel):
    model_config = ConfigDict(frozen=True)

    test_sessions: int
    test_requests: int
    production_sessions: int
    production_requests: int
    operation_mix_tv: float
    persona_mix_tv: float | None
    session_length_ks: float
    think_time_ks: float
    persona_mix: dict[str, tuple[float, float]]  # persona -> (production share, test share)
    operation_mix: dict[str, tuple[float, float]]
    top_transitions: list[Transition]
    verdict: Verdict


def traffic_from_ingest(ingest: Iterable[Session]) -> Traffic:
    """Sessions from logs, with gaps measured as the model measures think time (steps.py)."""
    return Traffic(tuple(session_traffic(session) for session in ingest))


def session_traffic(session: Session) -> tuple[tuple[str, ...], tuple[float, ...]]:
    """One session's operations and the gaps between them (every request its own step)."""
    _, gaps, _ = session_steps(session, burst_window_s=0.0)
    return session.operations, tuple(max(gap, 0.0) for gap in gaps)


def traffic_from_k6(folder: Path, router: Router) -> Traffic:
    """A k6 results folder whose points carry vu and iter tags; gaps undo the think scale."""
    run = read_run(folder)
    if not isinstance(run.samples, RawSamples):
        raise InferloadError(
            ErrorKind.INVALID,
            "fidelity needs k6 results or an access log",
            location=Location(str(folder)),
        )
    requests = run.samples.requests
    if requests.height == 0 or requests["vu"].null_count() == requests.height:
        raise InferloadError(
            ErrorKind.INVALID, "the k6 points carry no vu/iter tags", location=Location(str(folder)),
            hint="run the test with `inferload run --tag-sessions`, or compare the target's access log",
        )  # fmt: skip
    ordered = requests.with_columns(start=pl.col("t") - pl.col("ms") / 1000).sort(
        "scenario", "vu", "iter", "start"
    )
    sessions = []
    for _, group in ordered.group_by(["scenario", "vu", "iter"], maintain_order=True):
        operations = []
        for method, template in zip(group["method"], group["template"], strict=True):
            found = router.match(method, template)
            operations.append(
                found.operation_id if isinstance(found, Match) else f"{method} {template}"
            )
        starts, ends = group["start"].to_list(), group["t"].to_list()
        gaps = tuple(max(starts[i] - ends[i - 1], 0.0) for i in range(1, len(starts)))
        sessions.append((tuple(operations), gaps))
    return Traffic(tuple(sessions)).unscaled(run.manifest.think_scale)


def score(test: Traffic, production: Traffic, personas: list[Persona]) -> Fidelity:
    if not test.sessions or not production.sessions:
        raise InferloadError(
            ErrorKind.INVALID, "no sessions to compare", hint="check the inputs' ingest reports"
        )
    operation_mix = _mix(production.sessions, test.sessions, lambda ops: ops)
    persona_mix: dict[str, tuple[float, float]] = {}
    if personas:
        vocabularies = [(p.id, {op for step in p.steps.values() for op in step}) for p in personas]
        persona_mix = _mix(
            production.sessions, test.sessions, lambda ops: [_persona(set(ops), vocabularies)]
        )
    think = (_gaps(test), _gaps(production))
    operation_tv = _tv(operation_mix)
    persona_tv = _tv(persona_mix) if persona_mix else None
    lengths = ([len(o) for o, _ in test.sessions], [len(o) for o, _ in production.sessions])
    length_ks = float(ks_2samp(*lengths).statistic)
    think_ks = float(ks_2samp(*think).statistic) if think[0] and think[1] else 1.0
    figures = {"operation_mix_tv": operation_tv, "persona_mix_tv": persona_tv,
               "session_length_ks": length_ks, "think_time_ks": think_ks}  # fmt: skip
    return Fidelity(
        test_sessions=len(test.sessions), test_requests=test.requests,
        production_sessions=len(production.sessions), production_requests=production.requests,
        operation_mix_tv=operation_tv, persona_mix_tv=persona_tv,
        session_length_ks=length_ks, think_time_ks=think_ks,
        persona_mix=persona_mix, operation_mix=operation_mix,
        top_transitions=_transitions(test, production), verdict=_verdict(figures),
    )  # fmt: skip


def _verdict(figures: dict[str, float | None]) -> Verdict:
    values = {name: value for name, value in figures.items() if value is not None}
    if all(value <= LIMITS[name][0] for name, value in values.items()):
        return "faithful"
    if all(value <= LIMITS[name][1] for name, value in values.items()):
        return "approximate"
    return "unrealistic"


def _mix(production: Iterable[tuple[tuple[str, ...], tuple[float, ...]]], test: Iterable[tuple[tuple[str, ...], tuple[float, ...]]],
         keys: Callable[[tuple[str, ...]], Iterable[str]]) -> dict[str, tuple[float, float]]:  # fmt: skip
    def shares(sessions: Iterable[tuple[tuple[str, ...], tuple[float, ...]]]) -> dict[str, float]:
        counts: Counter[str] = Counter()
        for operations, _ in sessions:
            counts.update(keys(operations))
        total = sum(counts.values()) or 1
        return {key: count / total for key, count in counts.items()}

    left, right = shares(production), shares(test)
    return {
        key: (left.get(key, 0.0), right.get(key, 0.0)) for key in sorted(left.keys() | right.keys())
    }


def _tv(mix: dict[str, tuple[float, float]]) -> float:
    return 0.5 * sum(abs(a - b) for a, b in mix.values())


def _persona(operations: set[str], vocabularies: list[tuple[str, set[str]]]) -> str:
    def jaccard(vocabulary: set[str]) -> float:
        return (
            len(operations & vocabulary) / len(operations | vocabulary)
            if operations | vocabulary
            else 0.0
        )

    return max(vocabularies, key=lambda item: jaccard(item[1]))[0]


def _gaps(traffic: Traffic) -> list[float]:
    return [gap for _, gaps in traffic.sessions for gap in gaps]


def _transitions(test: Traffic, production: Traffic, top: int = 8) -> list[Transition]:
    def counts(traffic: Traffic) -> dict[str, Counter[str]]:
        found: dict[str, Counter[str]] = {}
        for operations, _ in traffic.sessions:
            path = [START, *operations, END]
            for source, target in zip(path, path[1:], strict=False):
                found.setdefault(source, Counter())[target] += 1
        return found

    left, right = counts(production), counts(test)
    total = sum(sum(c.values()) for c in left.values()) or 1
    rows = []
    for source, targets in left.items():
        leaving = sum(targets.values())
        tested = right.get(source, Counter())
        tested_total = sum(tested.values())
        for target in targets.keys() | tested.keys():
            p = targets[target] / leaving
            q = tested[target] / tested_total if tested_total else 0.0
            rows.append(
                Transition(
                    source=source, target=target, production=p, test=q, weight=leaving / total
                )
            )
    rows.sort(key=lambda row: -abs(row.production - row.test) * row.weight)
    return rows[:top]
