"""Sessions -> steps: what a user did, with the bursts a client fires together as one step.

A page load calls several APIs within a moment; replaying them as separate steps with think
time between would be wrong. Consecutive *different* operations less than `burst_window_s`
apart form one step, named `a+b` and run as a batch. A repeated operation (bulk enrollment,
paging) stays a loop of separate steps: that is what the user did, one request after another.
"""

from __future__ import annotations

from dataclasses import dataclass

from inferload.logs.model import Session


@dataclass(frozen=True, slots=True)
class Step:
    state: str  # "op" or "op1+op2" for a burst
    operations: tuple[str, ...]
    start_s: float
    end_s: float


def split_steps(session: Session, burst_window_s: float) -> list[Step]:
    steps: list[Step] = []
    operations: list[str] = []
    start = end = 0.0
    for operation, at in zip(session.operations, session.timestamps_s, strict=True):
        joins = operations and at - end < burst_window_s and operation not in operations
        if joins:
            operations.append(operation)
            end = at
            continue
        if operations:
            steps.append(Step("+".join(operations), tuple(operations), start, end))
        operations, start, end = [operation], at, at
    if operations:
        steps.append(Step("+".join(operations), tuple(operations), start, end))
    return steps


def session_steps(
    session: Session, burst_window_s: float
) -> tuple[list[str], list[float], list[tuple[str, ...]] | None]:
    """(states, gaps between steps, operations of each step, or None when every step is a
    single operation) without building `Step`s: the common session has no burst at all."""
    times = session.timestamps_s
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    if not gaps or min(gaps) >= burst_window_s:
        return list(session.operations), gaps, None
    steps = split_steps(session, burst_window_s)
    gaps = [b.start_s - a.end_s for a, b in zip(steps, steps[1:], strict=False)]
    return [s.state for s in steps], gaps, [s.operations for s in steps]
