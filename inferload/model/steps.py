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
    end_s: float  # when its last response was done (its last request's start without durations)


def split_steps(session: Session, burst_window_s: float) -> list[Step]:
    """A burst is requests fired together: each starts within `burst_window_s` of the one
    before it, whatever their responses took."""
    steps: list[Step] = []
    operations: list[str] = []
    start = last_start = done = 0.0
    for operation, at, duration_ms in zip(
        session.operations, session.timestamps_s, session.durations_ms, strict=True
    ):
        answered = at if duration_ms is None else at + duration_ms / 1000
        joins = operations and at - last_start < burst_window_s and operation not in operations
        if joins:
            operations.append(operation)
            last_start, done = at, max(done, answered)
            continue
        if operations:
            steps.append(Step("+".join(operations), tuple(operations), start, done))
        operations, start, last_start, done = [operation], at, at, answered
    if operations:
        steps.append(Step("+".join(operations), tuple(operations), start, done))
    return steps


def session_steps(
    session: Session, burst_window_s: float
) -> tuple[list[str], list[float], list[tuple[str, ...]] | None]:
    """(states, think times between steps, operations of each step, or None when every step
    is a single operation) without building `Step`s: the common session has no burst at all.

    Think time is from a step's last answer to the next step's start: what the user took to
    read and act. Where the log gives no durations it is from start to start (the response
    time, unknown, counts in). Requests that overlapped think for 0 s."""
    times = session.timestamps_s
    following = times[1:]
    if (
        not following
        or min(b - a for a, b in zip(times, following, strict=False)) >= burst_window_s
    ):
        gaps = [
            max(b - a - (d or 0.0) / 1000, 0.0)
            for a, b, d in zip(times, following, session.durations_ms, strict=False)
        ]
        return list(session.operations), gaps, None
    steps = split_steps(session, burst_window_s)
    gaps = [max(b.start_s - a.end_s, 0.0) for a, b in zip(steps, steps[1:], strict=False)]
    return [s.state for s in steps], gaps, [s.operations for s in steps]
