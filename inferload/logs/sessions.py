"""Split each client's requests into sessions, streaming, with memory bounded by open sessions.

Records arrive in chunks (roughly in time order: logs are written at request end, so lines are
a little out of order). Within a chunk the split is vectorised: sort by client and time, start a
session where the client changes or the gap exceeds the timeout; Python then only slices
column lists at those boundaries. Across chunks each client keeps one *open* session; it closes
when the stream's watermark (the oldest "latest time" among the inputs) has moved
`timeout + lateness` past its last request, so a late line can still join it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import polars as pl

from inferload.logs.model import Session

EVENT_COLUMNS = ("client", "ts", "operation_id", "status", "request_time_ms", "params", "query")


@dataclass(slots=True)
class _Open:
    """An open session's columns: tuple slices of a chunk's columns (slicing a tuple gives the
    tuple the Session keeps, with no further copy); concatenated when a chunk extends it."""

    timestamps: tuple[float, ...]
    operations: tuple[str, ...]
    statuses: tuple[int, ...]
    durations: tuple[float | None, ...]
    params: tuple[str, ...]
    queries: tuple[str | None, ...]
    last_s: float
    is_sorted: bool = True

    def extend(self, other: _Open) -> None:
        if other.timestamps[0] < self.last_s:
            self.is_sorted = False  # a late line from an earlier chunk's time
        self.last_s = max(self.last_s, other.last_s)
        self.timestamps += other.timestamps
        self.operations += other.operations
        self.statuses += other.statuses
        self.durations += other.durations
        self.params += other.params
        self.queries += other.queries


class Sessionizer:
    def __init__(self, timeout_s: float = 1800.0, lateness_s: float = 120.0) -> None:
        self.timeout_s = timeout_s
        self.lateness_s = lateness_s
        self._open: dict[str, _Open] = {}

    @property
    def open_sessions(self) -> int:
        return len(self._open)

    def feed(self, events: pl.DataFrame, watermark_s: float) -> list[Session]:
        """Add a chunk of events (`EVENT_COLUMNS`); return the sessions that closed."""
        # (the cyclic GC is paused by LogIngest for the whole run: see `gcpause`)
        closed = self._absorb(events) if events.height else []
        horizon = watermark_s - self.timeout_s - self.lateness_s
        for client in [c for c, s in self._open.items() if s.last_s < horizon]:
            closed.append(_close(client, self._open.pop(client)))
        return _in_content_order(closed)

    def close_all(self) -> list[Session]:
        closed = [_close(client, session) for client, session in self._open.items()]
        self._open.clear()
        return _in_content_order(closed)

    def _absorb(self, events: pl.DataFrame) -> list[Session]:
        ordered = events.sort("client", "ts", maintain_order=True)  # ties keep log order
        new_client = pl.col("client") != pl.col("client").shift(1)
        starts = new_client.fill_null(True) | (pl.col("ts").diff() > self.timeout_s)
        boundaries = ordered.select(starts.arg_true()).to_series().to_list() + [ordered.height]
        clients = ordered.get_column("client").to_list()
        ts, operations, statuses, durations, params, queries = (
            tuple(ordered.get_column(name).to_list()) for name in EVENT_COLUMNS[1:]
        )
        closed: list[Session] = []
        previous_client = None
        for start, end in zip(boundaries, boundaries[1:], strict=False):
            client = clients[start]
            piece = _Open(
                ts[start:end], operations[start:end], statuses[start:end],
                durations[start:end], params[start:end], queries[start:end], ts[end - 1],
            )  # fmt: skip
            current = self._open.get(client)
            if (
                current is not None
                and client != previous_client
                and (piece.timestamps[0] - current.last_s <= self.timeout_s)
            ):
                current.extend(piece)
            else:
                if current is not None:
                    closed.append(_close(client, current))
                self._open[client] = piece
            previous_client = client
        return closed


def _in_content_order(sessions: list[Session]) -> list[Session]:
    """Sessions by start time, ties by content: never by client hash, whose salt is random per
    run, so that everything downstream (and workload.yaml) is the same from run to run. Logs
    stamp whole seconds, so ties are common: they are ordered by operations, times, statuses and
    parameters (tuples compared as they are), and only sessions equal in all of those by query."""
    ordered = sorted(sessions, key=_start)
    for run in list(_equal_runs(ordered, _start)):
        block = sorted(ordered[run], key=_content)
        for same in list(_equal_runs(block, _content)):
            block[same] = sorted(block[same], key=lambda session: repr(session.queries))
        ordered[run] = block
    return ordered


def _equal_runs(items: list[Session], key: Callable[[Session], object]) -> Iterator[slice]:
    """Slices of two or more adjacent items with equal keys."""
    start = 0
    while start < len(items):
        end = start + 1
        first = key(items[start])
        while end < len(items) and key(items[end]) == first:
            end += 1
        if end - start > 1:
            yield slice(start, end)
        start = end


def _start(session: Session) -> float:
    return session.timestamps_s[0]


def _content(session: Session) -> tuple[object, ...]:
    return (session.operations, session.timestamps_s, session.statuses, session.params)


def _close(client: str, session: _Open) -> Session:
    columns = (
        session.timestamps, session.operations, session.statuses,
        session.durations, session.params, session.queries,
    )  # fmt: skip
    if not session.is_sorted:
        rows = sorted(zip(*columns, strict=True), key=lambda row: row[0])
        columns = tuple(zip(*rows, strict=True))  # type: ignore[assignment]
    timestamps, operations, statuses, durations, params, queries = columns
    return Session(client, operations, timestamps, statuses, durations, params, queries)
