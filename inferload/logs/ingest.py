"""`LogIngest`: log files (+ a catalog, or none) -> a stream of clean sessions and a report.

Several inputs are merged by time: the next chunk always comes from the input that is furthest
behind, and the session watermark is the oldest "latest time" among the inputs still open.
Without a spec a first pass collects the distinct paths and infers URL templates (stdin is
spooled to a temporary file for that).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from functools import partial
from itertools import chain
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

import polars as pl

from inferload.errors import ErrorKind, InferloadError, Location, file_error
from inferload.gcpause import paused_gc
from inferload.logs.aggregates import OperationAggregates
from inferload.logs.clean import (
    ChunkCounts,
    drop_reason_before_matching,
    path_drop_reason,
    screen_chunk,
    settle_chunk,
)
from inferload.logs.detect import (
    SHAPED_FORMATS,
    Detected,
    check_requested,
    detect,
    json_shape,
    richer_format_note,
    shape_from_fields,
)
from inferload.logs.envelope import opened, parse_within
from inferload.logs.formats import BUILTIN_FORMATS, compile_log_format
from inferload.logs.haproxy import parse_haproxy_lines
from inferload.logs.har import read_har
from inferload.logs.model import IngestReport, MalformedLine, Session, SourceReport, UnmatchedShape
from inferload.logs.parse import parse_json_lines, parse_text_lines
from inferload.logs.prefetch import ordered_map, prefetch, quick_gil_handoff
from inferload.logs.reader import CHUNK_BYTES, iter_line_frames
from inferload.logs.routing import OperationMatcher
from inferload.logs.sessions import Pieces, Sessionizer
from inferload.logs.templates import catalog_from_templates, infer_templates
from inferload.logs.w3c import fields_of, parse_w3c_lines
from inferload.spec.matcher import Router
from inferload.spec.model import Catalog
from inferload.streams import STDIN, display_name, read_once, spool_read_once

R = TypeVar("R")
FORMATS = ("auto", *BUILTIN_FORMATS, *SHAPED_FORMATS)
Progress = Callable[[int, int], None]  # (bytes done, bytes in all)


@dataclass(frozen=True, slots=True)
class IngestOptions:
    format: str = "auto"
    log_format: str | None = None  # an nginx log_format string; overrides `format`
    fields: tuple[tuple[str, str], ...] = ()  # JSON lines: canonical field -> dotted key
    session_timeout_s: float = 1800.0
    salt: bytes | None = None  # None: a fresh random salt per run
    aggregate_operations: bool = False  # per-operation errors, timings, values (for inference)
    chunk_bytes: int = CHUNK_BYTES


class LogIngest:
    """Iterate to get sessions as they close; `report` is complete once iteration ends."""

    def __init__(
        self,
        sources: list[str | Path],
        catalog: Catalog | None,
        options: IngestOptions = IngestOptions(),
        progress: Progress | None = None,
    ) -> None:
        if not sources:
            raise InferloadError(ErrorKind.INVALID, "no log files given")
        if options.format not in FORMATS:
            raise InferloadError(
                ErrorKind.INVALID,
                f"unknown format {options.format!r}",
                hint=f"one of {', '.join(FORMATS)}",
            )
        if options.fields:
            shape_from_fields(dict(options.fields))  # a name no record reads: refused up front
        self.options = options
        self.catalog = catalog
        self._sources = [str(s) for s in sources]
        self._given = tuple(self._sources)
        self._names = [display_name(s) for s in self._sources]
        self._salt = options.salt or os.urandom(32)
        self._progress = progress
        self._spool: tempfile.TemporaryDirectory[str] | None = None
        self._formats: dict[int, str] = {}
        self._stamped_at_end: set[int] = set()  # inputs whose times are each request's end
        self._lines: Counter[int] = Counter()
        self._notes: list[str] = []
        self._counts = ChunkCounts(
            per_operation=OperationAggregates() if options.aggregate_operations else None
        )
        self._sessions = 0
        self._inferred = False
        self.report: IngestReport | None = None

    @property
    def aggregates(self) -> OperationAggregates:
        """Per-operation errors, response-time histograms and parameter values (complete once
        iteration ends). Counted only with `IngestOptions(aggregate_operations=True)`."""
        if self._counts.per_operation is None:
            raise ValueError("this ingest was not asked to aggregate operations")
        return self._counts.per_operation

    @property
    def sources(self) -> list[str]:
        """The inputs as given (a spooled stdin shows as `-`)."""
        return list(self._given)

    def __iter__(self) -> Iterator[Session]:
        """The cyclic GC is paused until the iteration ends (or is abandoned): ingest builds
        millions of small acyclic objects, and a collection per chunk would rescan every one
        of them (see `gcpause`). The GIL changes hands more often meanwhile (see
        `quick_gil_handoff`). The consumer's code between sessions runs under both."""
        try:
            with paused_gc(), quick_gil_handoff():
                yield from self._run()
        finally:
            if self._spool is not None:
                self._spool.cleanup()

    def _run(self) -> Iterator[Session]:
        sizes = self._sizes()
        passes = 1 if self.catalog is not None else 2
        done = [0] * len(self._sources)

        def advance(index: int) -> Callable[[int], None]:
            def report(position: int) -> None:
                done[index] = position
                if self._progress is not None:
                    self._progress(sum(done) + self._first_pass_bytes, sum(sizes) * passes)

            return report

        self._first_pass_bytes = 0
        router = Router(self.catalog) if self.catalog is not None else self._infer_router(advance)
        self._first_pass_bytes = sum(sizes) if passes == 2 else 0
        done[:] = [0] * len(done)
        self._lines.clear()
        sessionizer = Sessionizer(self.options.session_timeout_s)
        values = self.options.aggregate_operations  # parameter and query values: only there
        matcher = OperationMatcher(router, values, from_spec=not self._inferred)
        settling = threading.Lock()  # inputs take turns with the matcher and the counts

        def settled(index: int, source: str) -> Iterator[Pieces]:
            screen = partial(screen_chunk, salt=self._salt, values=values)
            for chunk in self._records(index, source, advance(index), then=screen):
                with settling:
                    events = settle_chunk(chunk, matcher, self._counts, index)
                yield sessionizer.cut(events)

        # Per input, worker threads read, parse, screen and match (Polars work, mostly without
        # the GIL); this thread merges the inputs by time and sessionizes.
        streams = {i: prefetch(settled(i, source)) for i, source in enumerate(self._sources)}
        latest = dict.fromkeys(streams, float("-inf"))
        while streams:
            index = min(streams, key=latest.__getitem__)  # the input furthest behind
            pieces = next(streams[index], None)
            if pieces is None:
                del streams[index], latest[index]
                continue
            if pieces.latest_s is not None:
                latest[index] = max(latest[index], pieces.latest_s)
            closed = sessionizer.feed(pieces, min(latest.values()))
            self._sessions += len(closed)
            yield from closed
        closed = sessionizer.close_all()
        self._sessions += len(closed)
        yield from closed
        self._notes.extend(matcher.notes())
        self.report = self._build_report(matcher)

    def _sizes(self) -> list[int]:
        sizes = []
        for source in self._sources:
            if source == STDIN:
                sizes.append(0)
                continue
            try:
                sizes.append(os.path.getsize(source))
            except OSError as exc:
                raise file_error(exc, source) from None
        return sizes

    def _records(
        self,
        index: int,
        source: str,
        progress: Callable[[int], None],
        then: Callable[[pl.DataFrame], R],
    ) -> Iterator[R]:
        """`then` applied to the parsed record frames of one input, its format checked or
        detected on its first chunk. Parsing and `then` run together on the pool's threads,
        two chunks at a time (one pool, not one per stage)."""
        name = self._names[index]  # as given: a spooled pipe's copy has another
        if self.options.format == "har" or (
            self.options.format == "auto" and source.endswith(".har")
        ):
            yield from map(then, self._har(index, source))
            return
        frames = iter_line_frames(source, progress, self.options.chunk_bytes, name)
        first = next(frames, None)
        sample = [] if first is None else first.head(400).get_column("line").drop_nulls().to_list()
        parser = self._parser(index, sample, name)
        if parser is None:  # a HAR found by detection
            yield from map(then, self._har(index, source))
            return
        if first is not None:
            yield from ordered_map(
                lambda frame: then(parser(frame)), self._counted(index, chain([first], frames))
            )

    def _counted(self, index: int, frames: Iterator[pl.DataFrame]) -> Iterator[pl.DataFrame]:
        for frame in frames:
            self._lines[index] += frame.height
            yield frame

    def _parser(
        self, index: int, sample: list[str], name: str
    ) -> Callable[[pl.DataFrame], pl.DataFrame] | None:
        """How to parse this input's frames; None for a HAR found by detection."""
        detected = self._detected(sample, name)
        if detected.kind == "har":
            return None
        sample = opened(sample, detected.envelope)
        parse = self._format_parser(index, detected, sample)
        if detected.stamped_at_end:
            self._stamped_at_end.add(index)
        if detected.envelope is None:
            return parse
        self._formats[index] += f" in {detected.envelope.name}"
        return parse_within(detected.envelope, parse, text=detected.kind == "text")

    def _detected(self, sample: list[str], name: str) -> Detected:
        """The format asked for (checked against the sample) or the one detected."""
        options = self.options
        if options.log_format or options.format in BUILTIN_FORMATS:
            text = (
                compile_log_format(options.log_format)
                if options.log_format
                else BUILTIN_FORMATS[options.format]
            )
            asked = "the given --log-format" if options.log_format else options.format
            envelope = check_requested(sample, asked, text, name)
            if not options.log_format and (note := richer_format_note(sample, text.name, name)):
                self._notes.append(note)
            return Detected("text", text=text, envelope=envelope)
        if options.format == "jsonl":
            envelope = check_requested(sample, "jsonl", None, name)
            shape = (
                shape_from_fields(dict(options.fields))
                if options.fields
                else json_shape(opened(sample, envelope), name)
            )
            return Detected("jsonl", json=shape, envelope=envelope)
        if options.format in ("w3c", "haproxy"):
            return Detected(
                options.format, envelope=check_requested(sample, options.format, None, name)
            )
        detected = detect(sample, name)
        if detected.kind == "jsonl" and options.fields:
            detected = replace(detected, json=shape_from_fields(dict(options.fields)))
        return detected

    def _format_parser(
        self, index: int, detected: Detected, sample: list[str]
    ) -> Callable[[pl.DataFrame], pl.DataFrame]:
        if detected.kind == "w3c":
            columns = fields_of(sample)
            assert columns is not None  # what made it look like W3C
            self._formats[index] = "w3c"
            return lambda frame: parse_w3c_lines(frame, columns, index)
        if detected.kind == "haproxy":
            self._formats[index] = "haproxy"
            return lambda frame: parse_haproxy_lines(frame, index)
        if detected.text is not None:
            line_format = detected.text
            self._formats[index] = line_format.name
            return lambda frame: parse_text_lines(frame, line_format, index)
        assert detected.json is not None
        shape = detected.json
        self._formats[index] = f"jsonl ({shape.name})"
        return lambda frame: parse_json_lines(
            frame, shape.paths, shape.keep, index, stamped_at_end=shape.stamped_at_end
        )

    def _api_hosts(self) -> frozenset[str]:
        """The hosts the spec's servers name (absolute server URLs only)."""
        servers = self.catalog.servers if self.catalog is not None else ()
        return frozenset(
            host for server in servers if (host := (urlsplit(server.url).hostname or "").lower())
        )

    def _har(self, index: int, source: str) -> Iterator[pl.DataFrame]:
        if read_once(source):  # a HAR is one JSON document: read whole, from the start
            raise InferloadError(
                ErrorKind.INVALID, "a HAR must be a file, not stdin or a pipe",
                location=Location(self._names[index]), hint="save it to a file first",
            )  # fmt: skip
        records, notes = read_har(Path(source), index, self._api_hosts(), self._names[index])
        self._formats[index] = "har"
        self._lines[index] += records.height
        self._notes.extend(notes)
        yield records

    def _infer_router(self, advance: Callable[[int], Callable[[int], None]]) -> Router:
        """Spec-less: a first pass over the kept paths, then templates -> a synthetic catalog.
        An input that can be read only once (stdin, a pipe such as `<(zcat ...)`) is spooled
        to a temporary file for the two passes."""
        self._sources, self._spool = spool_read_once(self._sources)
        paths: Counter[tuple[str, str]] = Counter()
        for index, source in enumerate(self._sources):
            for frame in self._records(index, source, advance(index), then=_unchanged):
                good = frame.filter(pl.col("malformed").is_null())
                kept = drop_reason_before_matching(good).filter(pl.col("drop").is_null())
                distinct = kept.group_by("method", "path").len()
                unclaimed = pl.lit(None, dtype=pl.String).alias("operation_id")
                usable = path_drop_reason(distinct.with_columns(unclaimed)).filter(
                    pl.col("path_drop").is_null()
                )
                for method, path, count in usable.select("method", "path", "len").iter_rows():
                    paths[(method, path)] += count
        templates = infer_templates((m, p, c) for (m, p), c in paths.items())
        self.catalog = catalog_from_templates(templates, title="inferred from logs")
        self._inferred = True
        self._notes.append(
            f"no spec: {len(templates)} URL templates inferred from {len(paths)} distinct paths"
        )
        return Router(self.catalog)

    def _build_report(self, matcher: OperationMatcher) -> IngestReport:
        counts = self._counts
        peak_second, peak = counts.peak_second()
        unmatched = tuple(
            UnmatchedShape(method, shape, count, reason)
            for (method, shape, reason), count in counts.unmatched.most_common(15)
        )
        malformed_total = sum(counts.malformed_by_reason.values())
        return IngestReport(
            sources=tuple(
                SourceReport(
                    name, self._formats.get(i, "?"), self._lines[i], i in self._stamped_at_end
                )
                for i, name in enumerate(self._names)
            ),
            lines_read=sum(self._lines.values()),
            records=counts.records,
            malformed=malformed_total,
            malformed_by_reason=dict(counts.malformed_by_reason.most_common()),
            malformed_examples=tuple(
                MalformedLine(self._names[i], line_no, reason)
                for i, line_no, reason in counts.malformed_examples
            ),
            dropped=dict(counts.dropped.most_common()),
            unmatched=unmatched,
            operations=dict(counts.operations.most_common()),
            kept_requests=sum(counts.operations.values()),
            sessions=self._sessions,
            first_s=counts.first_s,
            last_s=counts.last_s,
            peak_requests_per_s=peak,
            peak_second_s=float(peak_second) if peak_second is not None else None,
            template_source="inferred from logs" if self._inferred else "spec",
            session_timeout_s=self.options.session_timeout_s,
            notes=tuple(
                dict.fromkeys(
                    self._notes
                    + [b.note(self._names[i]) for i, b in sorted(counts.backwards.items())]
                    + [f"router: {c}" for c in matcher.router.conflicts]
                )
            ),
            base_paths=dict(sorted(matcher.base_paths.items(), key=lambda kv: (-kv[1], kv[0]))),
        )


def _unchanged(frame: pl.DataFrame) -> pl.DataFrame:
    return frame
