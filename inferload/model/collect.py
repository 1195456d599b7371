"""One pass over the sessions, keeping what inference needs and nothing personal.

Every session's (start, end) for load levels; for a uniform sample of sessions, their steps and
the gaps between them (clustering, chains, think times). Per-operation counts, errors, response
times and parameter values come from the ingest's vectorised aggregates instead.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from inferload.logs.model import Session
from inferload.model.steps import session_steps


@dataclass(slots=True)
class SessionRecord:
    states: list[str]
    gaps_s: list[float]  # gaps[i]: from the end of step i to the start of step i + 1
    start_s: float
    end_s: float


SESSION_SAMPLE = 20_000  # sessions kept for personas and chains (a uniform reservoir sample)
BURST_MIN_COUNT = 20  # a burst seen fewer times is replayed as separate steps


@dataclass
class Collected:
    """`sessions` is a uniform sample of at most SESSION_SAMPLE sessions: transition shares and
    think times from 20,000 sessions are within a fraction of a percent of the full log's, and
    the cost of what follows stays bounded. Counts, intervals and pools cover every session."""

    burst_window_s: float
    sessions: list[SessionRecord] = field(default_factory=list)
    intervals: list[tuple[float, float]] = field(
        default_factory=list
    )  # every session: (start, end)
    step_operations: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _sample: list[Session] = field(default_factory=list)  # the reservoir, until `finish`
    _rng: random.Random = field(default_factory=lambda: random.Random(0))
    _weight: float = 1.0
    _next_replacement: int = 0  # the 1-based count of the next session to enter the sample

    def _plan_next_replacement(self) -> None:
        """Li's Algorithm L: a uniform reservoir sample that jumps straight to the next session
        to keep (a few random numbers per kept session, none per skipped one)."""
        self._weight *= math.exp(math.log(1.0 - self._rng.random()) / SESSION_SAMPLE)
        skip = math.floor(math.log(1.0 - self._rng.random()) / math.log(1.0 - self._weight))
        self._next_replacement = len(self.intervals) + skip + 1

    def add(self, session: Session) -> None:
        self.intervals.append((session.start_s, session.end_s))
        seen = len(self.intervals)
        if seen <= SESSION_SAMPLE:
            self._sample.append(session)
            if seen == SESSION_SAMPLE:
                self._plan_next_replacement()
        elif seen == self._next_replacement:
            self._sample[self._rng.randrange(SESSION_SAMPLE)] = session
            self._plan_next_replacement()

    def finish(self) -> None:
        """Split the sampled sessions into steps (only the final sample: most sessions a
        reservoir takes in are replaced later), then dissolve the rare bursts."""
        known = self.step_operations
        for session in self._sample:
            states, gaps, operations_of = session_steps(session, self.burst_window_s)
            if operations_of is None:
                for state in states:
                    if state not in known:
                        known[state] = (state,)
            else:
                for state, operations in zip(states, operations_of, strict=True):
                    if state not in known:
                        known[state] = operations
            self.sessions.append(SessionRecord(states, gaps, session.start_s, session.end_s))
        self._sample.clear()
        self.dissolve_rare_bursts()

    def dissolve_rare_bursts(self, min_count: int = BURST_MIN_COUNT) -> None:
        """A burst seen only a few times is a coincidence of timing (two requests in the same
        logged second), not a page that fires them together: replay it as separate steps."""
        counts: dict[str, int] = {}
        for record in self.sessions:
            for state in record.states:
                if "+" in state:
                    counts[state] = counts.get(state, 0) + 1
        rare = {
            state
            for state, count in counts.items()
            if count < min_count and len(self.step_operations[state]) > 1
        }
        if not rare:
            return
        for record in self.sessions:
            if not rare.intersection(record.states):
                continue
            states: list[str] = []
            gaps: list[float] = []
            for index, state in enumerate(record.states):
                if index:
                    gaps.append(record.gaps_s[index - 1])
                parts = self.step_operations[state] if state in rare else (state,)
                for position, operation in enumerate(parts):
                    if position:
                        gaps.append(0.0)
                    states.append(operation)
                    self.step_operations.setdefault(operation, (operation,))
            record.states, record.gaps_s = states, gaps
        for state in rare:
            del self.step_operations[state]
