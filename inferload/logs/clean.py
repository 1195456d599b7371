"""One chunk of parsed records -> kept events plus the counts the report needs.

Order of the drop reasons (the first that applies wins): malformed, OPTIONS preflight, the
agent's kind (load-test tool, health check, monitoring probe, bot or crawler), a health-check
path, static asset, matches no operation. URL matching and the path tests run on the chunk's
*distinct* (method, path) pairs only, never per line.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from inferload.logs.agents import flagged_agents
from inferload.logs.aggregates import OperationAggregates
from inferload.logs.parse import DROPPED_AT_READ
from inferload.logs.routing import OperationMatcher
from inferload.logs.scrub import client_fingerprint, hash_clients, parts_hash, scrub_queries
from inferload.logs.sessions import EVENT_SCHEMA, LATENESS_S, SEQ_LINES, SESSION_COLUMNS
from inferload.logs.templates import path_shape

# Path tests, run on every distinct path. ASCII case-insensitive (`(?i-u)`): Unicode case
# folding makes the automaton several times bigger for nothing a path spells. Each pattern is
# anchored at one end, so the engine reads a few bytes from that end instead of scanning the
# whole path for a match anywhere, as one pattern with an alternation of both ends did
# (measured: the path tests cost a third less).
HEALTH_PATHS = (
    r"(?i-u)(^|/)(health|healthz|healthcheck|health-check|_health|ready|readyz|readiness|live|"
    r"livez|liveness|ping|status|metrics|actuator/health|server-status|heartbeat)/?$"
)
STATIC_SUFFIXES = (
    r"(?i-u)\.(css|js|mjs|map|wasm|png|jpe?g|gif|ico|svg|webp|avif|bmp|tiff?|xbm|xpm|woff2?|ttf|otf|"
    r"eot|mp4|webm|mpe?g|mov|avi|mp3|wav|au|ogg|txt|xml|webmanifest|pdf|zip|gz|tgz|tar|bz2|7z)$"
)
STATIC_DIRECTORIES = r"(?i-u)^/(static|assets|images|img|css|js|fonts|media|_next/static|public)/"


@dataclass
class ChunkCounts:
    """Mergeable per-chunk statistics (summed over the whole run by the ingest)."""

    malformed_by_reason: Counter[str] = field(default_factory=Counter)
    malformed_examples: list[tuple[int, int, str]] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    unmatched: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    operations: Counter[str] = field(default_factory=Counter)
    per_second: list[pl.DataFrame] = field(default_factory=list)  # (s, len), see `add_seconds`
    records: int = 0
    first_s: float | None = None
    last_s: float | None = None
    per_operation: OperationAggregates | None = None  # set when the caller wants them
    latest_s: dict[int, float] = field(default_factory=dict)  # per input: its latest time so far
    backwards: dict[int, Backwards] = field(default_factory=dict)  # per input, when it goes back

    def add_seconds(self, seconds: pl.DataFrame) -> None:
        """Requests per whole second, kept as frames (a Counter of Python ints would cost a
        dict entry per second of the log and a Python loop per chunk); folded every 64."""
        self.per_second.append(seconds)
        if len(self.per_second) >= 64:
            self.per_second = [_sum_seconds(self.per_second)]

    def peak_second(self) -> tuple[int | None, int]:
        """(the busiest second, its requests), or (None, 0) without requests."""
        if not self.per_second:
            return None, 0
        busiest = _sum_seconds(self.per_second).sort("len", "s", descending=[True, False])
        second, count = busiest.row(0)
        return int(second), int(count)


@dataclass(frozen=True, slots=True)
class Backwards:
    """An input's lines that are earlier than a line before them by more than the lateness a
    session allows: concatenated logs of several servers, or a rotated file read out of order.
    Their sessions are cut where the time goes back, so the report says so."""

    lines: int
    first_line_no: int
    most_s: float  # the largest step back

    def add(self, other: Backwards) -> Backwards:
        return Backwards(
            self.lines + other.lines, self.first_line_no, max(self.most_s, other.most_s)
        )

    def note(self, name: str) -> str:
        """What the ingest report says of the input `name`."""
        step = self.most_s
        size = f"{step / 3600:.1f} h" if step >= 3600 else f"{step / 60:.0f} min"
        return (
            f"{name}: {self.lines:,} line(s) more than {LATENESS_S / 60:g} min earlier than a line "
            f"before them (by up to {size}; the first at line {self.first_line_no:,}): sessions "
            "are cut there. Logs of several servers joined into one file? Pass them as separate "
            "files: they are merged by time."
        )


def _count_backwards(requests: pl.DataFrame, counts: ChunkCounts, source_index: int) -> None:
    """Lines further back in time than `LATENESS_S` behind the input's latest time before them
    (requests are in line order here). Most chunks have none: two passes over the times tell,
    and only a chunk with some is looked at line by line."""
    before = counts.latest_s.get(source_index, float("-inf"))
    ts = requests.get_column("ts").to_numpy()  # float64, never null here
    running = np.maximum.accumulate(ts)
    counts.latest_s[source_index] = max(before, float(running[-1]))
    if max(float((running - ts).max()), before - float(ts.min())) <= LATENESS_S:
        return
    ahead = np.maximum(np.concatenate(([before], running[:-1])), before)  # latest before each
    behind = ahead - ts
    late = behind > LATENESS_S
    first = int(requests.get_column("line_no").filter(pl.Series(late)).item(0))
    found = Backwards(int(late.sum()), first, float(behind[late].max()))
    known = counts.backwards.get(source_index)
    counts.backwards[source_index] = found if known is None else known.add(found)


def _sum_seconds(frames: list[pl.DataFrame]) -> pl.DataFrame:
    return pl.concat(frames).group_by("s").agg(pl.col("len").sum())


def drop_reason_before_matching(records: pl.DataFrame) -> pl.DataFrame:
    """Reasons read off the request alone: preflights, then probes and bots by their agent
    (classified once per distinct agent). Health-check *paths* are told apart with the
    operations, on distinct paths (`path_drop_reason`)."""
    flagged = flagged_agents(records.get_column("user_agent"))
    kind = pl.col("user_agent").replace_strict(
        flagged.get_column("user_agent"),
        flagged.get_column("agent_kind"),
        default=None,
        return_dtype=pl.String,
    )  # a lookup in those few, not a join on every agent (less than half the cost)
    reason = (
        pl.when(pl.col("method") == "OPTIONS").then(pl.lit("OPTIONS preflight")).otherwise(kind)
    )
    return records.with_columns(reason.alias("drop"))


def path_drop_reason(paths: pl.DataFrame, from_spec: bool = True) -> pl.DataFrame:
    """Distinct paths (with `operation_id`: null for none) -> + `path_drop`: a health-check
    path, else a static asset no operation of the spec claims, else null. Templates inferred
    from the logs claim nothing: `/history/{a}/{b}`, learnt from pages, also matches
    `/history/images/logo.gif`. Run on the distinct paths only: a chunk holds about a
    quarter as many as requests."""
    path = pl.col("path")
    unclaimed = pl.col("operation_id").is_null() if from_spec else pl.lit(True)
    reason = (
        pl.when(path.str.contains(HEALTH_PATHS))
        .then(pl.lit("health check"))
        .when(
            unclaimed & (path.str.contains(STATIC_SUFFIXES) | path.str.contains(STATIC_DIRECTORIES))
        )
        .then(pl.lit("static asset"))
        .otherwise(None)
    )
    return paths.with_columns(reason.alias("path_drop"))


@dataclass(frozen=True, slots=True)
class ScreenedChunk:
    """A chunk after the work that needs no spec: unreadable lines apart, agents
    classified, query strings scrubbed and client keys hashed (runs in the reader thread).
    `requests`: client, ts, method, path, query, status, request_time_ms, drop, line_no."""

    malformed: pl.DataFrame  # line_no, malformed
    requests: pl.DataFrame


def screen_chunk(records: pl.DataFrame, salt: bytes, values: bool = True) -> ScreenedChunk:
    """`values`: keep scrubbed query strings (for the per-operation aggregates); without them
    the query column is emptied, since nothing else reads it."""
    malformed = records.filter(pl.col("malformed").is_not_null()).select("line_no", "malformed")
    good = records.filter(pl.col("malformed").is_null())
    if not good.height:
        return ScreenedChunk(malformed, good)
    reasoned = drop_reason_before_matching(good)
    screened = (
        scrub_queries(reasoned)
        if values
        else reasoned.with_columns(pl.lit(None, dtype=pl.String).alias("query"))
    ).with_columns(client_fingerprint().alias("fingerprint"))
    hashes = hash_clients(screened.get_column("fingerprint"), salt)
    requests = screened.join(hashes, on="fingerprint", how="left").select(
        "client", "ts", "method", "path", "query", "status", "request_time_ms", "drop", "line_no"
    )
    return ScreenedChunk(malformed, requests)


def settle_chunk(
    chunk: ScreenedChunk, matcher: OperationMatcher, counts: ChunkCounts, source_index: int
) -> pl.DataFrame:
    """Match to operations, apply the remaining drop reasons, count: -> events (`SESSION_COLUMNS` + `seq`)."""
    _count_malformed(chunk.malformed, counts, source_index)
    requests = chunk.requests
    counts.records += requests.height
    if not requests.height:
        return pl.DataFrame(schema=EVENT_SCHEMA)
    _count_backwards(requests, counts, source_index)
    requests = requests.with_columns(_PAIR)
    distinct = requests.select("_pair", "method", "path").unique("_pair", keep="any")
    from_spec = matcher.from_spec
    screened = _join_matched(
        requests, path_drop_reason(matcher.match_distinct(distinct), from_spec)
    )
    if screened is None:  # two pairs with one hash: matched and joined by their text instead
        distinct = requests.select("method", "path").unique()
        matched = path_drop_reason(matcher.match_distinct(distinct), from_spec)
        screened = requests.join(matched, on=["method", "path"], how="left")
    reason = (
        pl.when(pl.col("drop").is_not_null())
        .then(pl.col("drop"))
        .when(pl.col("path_drop").is_not_null())
        .then(pl.col("path_drop"))
        .when(pl.col("operation_id").is_null())
        .then(pl.lit("matches no operation"))
        .otherwise(None)
    )
    screened = screened.with_columns(reason.alias("drop"))
    for dropped_reason, count in screened.group_by("drop").len().iter_rows():
        if dropped_reason is not None:
            counts.dropped[dropped_reason] += count
    _count_unmatched(screened, counts)
    kept = screened.filter(pl.col("drop").is_null())
    if kept.height:
        _count_kept(kept, counts)
    seq = pl.lit(source_index * SEQ_LINES, dtype=pl.Int64) + pl.col("line_no")
    return kept.select(*SESSION_COLUMNS, seq.alias("seq"))


# A request's (method, path) pair as one 64-bit hash: the chunk's distinct pairs are found, and
# their matches joined back to the requests, on one integer column instead of two text columns
# (measured: half the cost).
_PAIR = parts_hash((pl.col("method"), pl.col("path")), seed=1).alias("_pair")


def _join_matched(requests: pl.DataFrame, matched: pl.DataFrame) -> pl.DataFrame | None:
    """Each request + its pair's match, joined on the pair's hash; None when two pairs of the
    chunk share a hash (odds near 1e-12): every request's own text is compared with the text
    its match was made for, so the join is exact or not used."""
    joined = requests.join(matched.with_columns(_PAIR), on="_pair", how="left", suffix="_matched")
    differs = (pl.col("method") != pl.col("method_matched")) | (
        pl.col("path") != pl.col("path_matched")
    )
    if joined.select(differs.any()).item():
        return None
    return joined.drop("method_matched", "path_matched")


def _count_malformed(bad: pl.DataFrame, counts: ChunkCounts, source_index: int) -> None:
    if not bad.height:
        return
    dropped = pl.col("malformed").is_in(DROPPED_AT_READ)
    for reason, count in bad.filter(dropped).group_by("malformed").len().iter_rows():
        counts.dropped[reason] += count
    bad = bad.filter(~dropped)
    for reason, count in bad.group_by("malformed").len().iter_rows():
        counts.malformed_by_reason[reason] += count
    room = 10 - len(counts.malformed_examples)
    if room > 0:
        for line_no, reason in bad.head(room).select("line_no", "malformed").iter_rows():
            counts.malformed_examples.append((source_index, line_no, reason))


def _count_unmatched(screened: pl.DataFrame, counts: ChunkCounts) -> None:
    unmatched = screened.filter(pl.col("drop") == "matches no operation")
    if not unmatched.height:
        return
    grouped = unmatched.group_by("method", "path", "unmatched_reason").len()
    for method, path, why, count in grouped.iter_rows():
        counts.unmatched[(method, path_shape(path), why or "")] += count


def _count_kept(kept: pl.DataFrame, counts: ChunkCounts) -> None:
    for operation_id, count in kept.group_by("operation_id").len().iter_rows():
        counts.operations[operation_id] += count
    if counts.per_operation is not None:
        counts.per_operation.add_chunk(kept)
    counts.add_seconds(
        kept.select(pl.col("ts").floor().cast(pl.Int64).alias("s")).group_by("s").len()
    )
    first, last = kept.select(
        pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last")
    ).row(0)
    counts.first_s = first if counts.first_s is None else min(counts.first_s, first)
    counts.last_s = last if counts.last_s is None else max(counts.last_s, last)
