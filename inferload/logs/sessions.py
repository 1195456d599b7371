"""Split each client's requests into sessions, streaming, with memory bounded by open sessions.

Records arrive in chunks (roughly in time order: logs are written at request end, so lines are
a little out of order). Within a chunk the split is vectorised: sort by client and time, start a
session where the client changes or the gap exceeds the timeout; Python then only slices
column lists at those boundaries. Across chunks each client keeps one *open* session; it closes
when the stream's watermark (the oldest "latest time" among the inputs) has moved
`timeout + lateness` past its last request, so a late line can still join it.

Closed sessions come out by start time, ties by where their first request stands in the input
(`seq`: input index and line number). Never by client hash, whose salt is random per run: so
everything downstream, and workload.yaml, is the same from run to run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from inferload.logs.model import Session

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "client": pl.UInt64(), "ts": pl.Float64(), "operation_id": pl.String(), "status": pl.Int32(),
    "request_time_ms": pl.Float64(), "seq": pl.Int64(),
}  # what `cut` takes: one row per kept request (operation_id: String, or an Enum)  # fmt: skip
SESSION_COLUMNS = tuple(name for name in EVENT_SCHEMA if name != "seq")
SEQ_LINES = 1 << 40  # seq = input index * SEQ_LINES + line number
# How far a line may lag behind the input's latest time and still join its session: logs are
# written at request end, so a slow request's line comes after quicker ones that began later.
LATENESS_S = 120.0


@dataclass(slots=True)
class _Open:
    """An open session's columns: tuple slices of a chunk's columns (slicing a tuple gives the
    tuple the Session keeps, with no further copy); concatenated when a chunk extends it."""

    timestamps: tuple[float, ...]
    operations: tuple[str, ...]
    statuses: tuple[int, ...]
    durations: tuple[float | None, ...]
    last_s: float
    first_seq: int
    is_sorted: bool = True

    def extend(self, other: _Open) -> None:
        if other.timestamps[0] < self.last_s:
            self.is_sorted = False  # a late line from an earlier chunk's time
        self.last_s = max(self.last_s, other.last_s)
        self.timestamps += other.timestamps
        self.operations += other.operations
        self.statuses += other.statuses
        self.durations += other.durations


@dataclass(frozen=True, slots=True)
class Pieces:
    """A chunk of events cut where a client's session may start: the chunk-local part of
    sessionizing (sort, boundaries, Python values), done in the input's worker thread so the
    thread that joins pieces across chunks does only that. Pieces are in (client, time) order;
    piece i is rows `boundaries[i]:boundaries[i + 1]` of `columns`."""

    clients: list[str]  # each piece's client as `Session.client` shows it: 16 hex digits
    boundaries: list[int]  # one more than pieces: the last is the row count
    first_seqs: list[int]
    columns: tuple[tuple[Any, ...], ...]  # ts, operation, status, duration
    latest_s: float | None  # the chunk's latest time (None: no events)


class Sessionizer:
    def __init__(self, timeout_s: float = 1800.0, lateness_s: float = LATENESS_S) -> None:
        self.timeout_s = timeout_s
        self.lateness_s = lateness_s
        self._open: dict[str, _Open] = {}

    @property
    def open_sessions(self) -> int:
        return len(self._open)

    def cut(self, events: pl.DataFrame) -> Pieces:
        """Events (`SESSION_COLUMNS` + `seq`, client a UInt64 hash) -> `Pieces`: a new piece where
        the client changes or a gap exceeds the timeout. Reads no state: the inputs' worker
        threads call it, and `feed` then joins what it returns."""
        if not events.height:
            return Pieces([], [0], [], ((),) * (len(SESSION_COLUMNS) - 1), None)
        ordered, latest_s = _by_client_and_time(events)
        new_client = pl.col("client") != pl.col("client").shift(1)
        starts = new_client.fill_null(True) | (pl.col("ts").diff() > self.timeout_s)
        at = ordered.select(starts.arg_true()).to_series()
        return Pieces(
            clients=_labels(ordered.get_column("client").gather(at)),
            boundaries=at.to_list() + [ordered.height],
            first_seqs=ordered.get_column("seq").gather(at).to_list(),
            columns=tuple(_values(ordered.get_column(name)) for name in SESSION_COLUMNS[1:]),
            latest_s=latest_s,
        )

    def feed(self, pieces: Pieces, watermark_s: float) -> list[Session]:
        """Add a chunk cut by `cut`; return the sessions that closed."""
        # (the cyclic GC is paused by LogIngest for the whole run: see `gcpause`)
        horizon = watermark_s - self.timeout_s - self.lateness_s
        closed = self._absorb(pieces, horizon)
        for client in [c for c, s in self._open.items() if s.last_s < horizon]:
            closed.append(_close(client, self._open.pop(client)))
        return _in_order(closed)

    def close_all(self) -> list[Session]:
        closed = [_close(client, session) for client, session in self._open.items()]
        self._open.clear()
        return _in_order(closed)

    def _absorb(self, pieces: Pieces, horizon: float) -> list[tuple[float, int, Session]]:
        """Join the chunk's pieces to the open sessions. A piece that ends before `horizon`,
        and joins no open session, is closed at once: no later line can join it (a chunk spans
        more than the timeout on a busy log, so that is most of them)."""
        boundaries, first_seqs, clients = pieces.boundaries, pieces.first_seqs, pieces.clients
        ts, operations, statuses, durations = pieces.columns
        closed: list[tuple[float, int, Session]] = []
        sessions, timeout_s = self._open, self.timeout_s
        previous_client = None
        for client, start, end, first_seq in zip(
            clients, boundaries, boundaries[1:], first_seqs, strict=False
        ):
            current = sessions.get(client)
            joins = (
                current is not None
                and client != previous_client
                and ts[start] - current.last_s <= timeout_s
            )
            if not joins and current is not None:
                closed.append(_close(client, sessions.pop(client)))
            if not joins and ts[end - 1] < horizon:
                # a whole session already, in time order (from the sorted chunk): no `_Open`
                cut = slice(start, end)
                session = Session(client, operations[cut], ts[cut], statuses[cut], durations[cut])
                closed.append((ts[start], first_seq, session))
                previous_client = client
                continue
            piece = _Open(
                ts[start:end], operations[start:end], statuses[start:end],
                durations[start:end], ts[end - 1], first_seq,
            )  # fmt: skip
            if joins:
                current.extend(piece)  # type: ignore[union-attr]
            else:
                sessions[client] = piece
            previous_client = client
        return closed


def _labels(clients: pl.Series) -> list[str]:
    """UInt64 client hashes -> 16 hex digits each: the big-endian bytes of all of them at once,
    each as 8 raw bytes (`V8`: `S8` would drop trailing zero bytes), then `bytes.hex` (a fifth
    of the time of formatting each integer, on the thread that cuts)."""
    return [raw.hex() for raw in clients.to_numpy().astype(">u8").view("V8").tolist()]


def _values(column: pl.Series) -> tuple[Any, ...]:
    """A column as Python values. Operation ids come as an Enum (see `OperationMatcher`): each
    row is then a reference to one string per operation, not a new string per row (a third of
    the time, and open sessions share the strings); the codes pick them in numpy, without a
    Python integer per row (a third of the time again). A column of nulls (no response times
    logged) is one repeated None."""
    if isinstance(column.dtype, pl.Enum):
        names = np.array(column.dtype.categories.to_list(), dtype=object)
        return tuple(names[column.to_physical().to_numpy()].tolist())
    if column.null_count() == column.len():
        return (None,) * column.len()
    return tuple(column.to_list())


def _by_client_and_time(events: pl.DataFrame) -> tuple[pl.DataFrame, float]:
    """Events sorted by client, time, then place in the input (`seq`); and the latest time.

    A sort on three columns encodes every row's keys first (measured: 2.4x the time of the
    sorts below). Instead one 64-bit key packs a number standing for the client above the time
    in whole microseconds since the chunk's first request, and a stable sort on it keeps the
    input's order for ties, which is log order. The client's number is the top bits of its hash
    (free), else, when two clients share those bits, its rank in the chunk (a sort of its own).
    When the chunk's time span leaves too few bits, or a tie came out of log order (the rows
    did not arrive in it), the three-column sort decides."""
    ts, client = pl.col("ts"), pl.col("client")
    first, last, finite = events.select(
        ts.min().alias("first"), ts.max(), ts.is_finite().all().alias("finite")
    ).row(0)
    if finite:
        time_bits = int((last - first) * 1e6 + 1).bit_length()  # +1: rounding up
        rank_bits = events.height.bit_length()
        client_bits = 62 - time_bits
        micros = ((ts - first) * 1e6).round().cast(pl.Int64)
        numbers = []  # the client's number: its top hash bits when rarely shared, its rank
        if client_bits >= rank_bits + 8:
            numbers.append((client // 2 ** (64 - client_bits)).cast(pl.Int64))
        if client_bits >= rank_bits:
            numbers.append(client.rank("dense").cast(pl.Int64))
        for number in numbers:
            ordered = _sorted_on(events, number * 2**time_bits + micros, time_bits)
            if ordered is not None:
                return ordered, last
    return events.sort("client", "ts", "seq"), last


def _sorted_on(events: pl.DataFrame, key: pl.Expr, time_bits: int) -> pl.DataFrame | None:
    """`events` stably sorted on the packed `key`; None when the order it gives is not by
    client, time and log order: two clients with one number, or a tie out of log order."""
    ordered = events.with_columns(key.alias("_key")).sort("_key", maintain_order=True)
    packed, client, seq = pl.col("_key"), pl.col("client"), pl.col("seq")
    tie = packed == packed.shift(1)
    number = packed // 2**time_bits  # the client's number
    shared = (number == number.shift(1)) & (client != client.shift(1))
    if ordered.select(((tie & (seq < seq.shift(1))) | shared).any()).item():
        return None
    return ordered.drop("_key")


def _in_order(closed: list[tuple[float, int, Session]]) -> list[Session]:
    """By start time, then by the first request's place in the input. That place is unique per
    session, so comparing the entries never reaches the sessions themselves."""
    closed.sort()
    return [session for _, _, session in closed]


def _close(client: str, session: _Open) -> tuple[float, int, Session]:
    columns = (session.timestamps, session.operations, session.statuses, session.durations)
    if not session.is_sorted:
        rows = sorted(zip(*columns, strict=True), key=lambda row: row[0])
        columns = tuple(zip(*rows, strict=True))  # type: ignore[assignment]
    timestamps, operations, statuses, durations = columns
    session_ = Session(client, operations, timestamps, statuses, durations)
    return timestamps[0], session.first_seq, session_
