"""One pass over the sessions, keeping what inference needs and nothing personal.

Per session: its steps, the gaps between them, start and end (for clustering, chains, think
times and concurrency). Across sessions: per-operation counts, statuses and a bounded sample of
response times, path-parameter and query values (already scrubbed by the log stage) for the data
pools, and session starts per hour.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from inferload.logs.model import Session
from inferload.model.steps import split_steps

_DURATION_SAMPLE = 2000  # response times kept per operation (reservoir)
_POOL_VALUES = 200  # distinct values counted per parameter before the rarest are forgotten
_SAFE_QUERY_VALUE = 32  # longer query values are not replayed


@dataclass(slots=True)
class SessionRecord:
    states: list[str]
    gaps_s: list[float]  # gaps[i]: from the end of step i to the start of step i + 1
    start_s: float
    end_s: float


@dataclass
class Collected:
    burst_window_s: float
    sessions: list[SessionRecord] = field(default_factory=list)
    step_operations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    durations_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    path_values: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    query_values: dict[tuple[str, str], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    _rng: random.Random = field(default_factory=lambda: random.Random(0))

    def add(self, session: Session) -> None:
        steps = split_steps(session, self.burst_window_s)
        for step in steps:
            self.step_operations.setdefault(step.state, step.operations)
        self.sessions.append(
            SessionRecord(
                states=[s.state for s in steps],
                gaps_s=[b.start_s - a.end_s for a, b in zip(steps, steps[1:], strict=False)],
                start_s=session.start_s,
                end_s=session.end_s,
            )
        )
        for index, operation in enumerate(session.operations):
            self.requests[operation] += 1
            if session.statuses[index] >= 400:
                self.errors[operation] += 1
            duration = session.durations_ms[index]
            if duration is not None:
                self._sample(self.durations_ms[operation], duration, self.requests[operation])
            for name, value in session.path_params(index):
                self._count(self.path_values[(operation, name)], value)
            query = session.queries[index]
            if query:
                for name, value in parse_qsl(query, keep_blank_values=True):
                    if len(value) <= _SAFE_QUERY_VALUE and "<" not in value:
                        self._count(self.query_values[(operation, name)], value)

    def _sample(self, sample: list[float], value: float, seen: int) -> None:
        if len(sample) < _DURATION_SAMPLE:
            sample.append(value)
        else:
            slot = self._rng.randrange(seen)
            if slot < _DURATION_SAMPLE:
                sample[slot] = value

    @staticmethod
    def _count(counter: Counter[str], value: str) -> None:
        counter[value] += 1
        if len(counter) > 2 * _POOL_VALUES:  # keep the heavy hitters, bounded
            for rare, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[_POOL_VALUES:]:
                del counter[rare]
