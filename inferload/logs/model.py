"""What the log stage hands on: sessions of operations, and the report of how it got them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# Path parameters travel as one string per request (building nested tuples for millions of
# requests would dominate ingest time): pairs split by \x1f, name and value by \x1e.
PARAM_PAIR_SEPARATOR, PARAM_NAME_SEPARATOR = "\x1f", "\x1e"


def encode_params(pairs: Iterable[tuple[str, str]]) -> str:
    return PARAM_PAIR_SEPARATOR.join(
        f"{name}{PARAM_NAME_SEPARATOR}{value}" for name, value in pairs
    )


def decode_params(encoded: str) -> tuple[tuple[str, str], ...]:
    if not encoded:
        return ()
    if PARAM_PAIR_SEPARATOR not in encoded:  # the common case: one parameter
        name, separator, value = encoded.partition(PARAM_NAME_SEPARATOR)
        if separator:
            return ((name, value),)
    pairs = encoded.split(PARAM_PAIR_SEPARATOR)
    return tuple(tuple(pair.split(PARAM_NAME_SEPARATOR, 1)) for pair in pairs)  # type: ignore[misc]


@dataclass(frozen=True, slots=True)
class Session:
    """One client's visit: its requests in time order, as parallel tuples (cheap to build
    for millions of requests). `client` is a salted hash (16 hex digits). Parameter and query
    values are not kept per request: what inference needs of them (data pools) is counted per
    operation by the ingest (`LogIngest.aggregates`), scrubbed, at a fraction of the cost."""

    client: str
    operations: tuple[str, ...]
    timestamps_s: tuple[float, ...]
    statuses: tuple[int, ...]
    durations_ms: tuple[float | None, ...]

    def __init__(
        self,
        client: str,
        operations: tuple[str, ...],
        timestamps_s: tuple[float, ...],
        statuses: tuple[int, ...],
        durations_ms: tuple[float | None, ...],
    ) -> None:
        # Frozen: each field is set once, here, straight through its slot. The generated
        # __init__ calls object.__setattr__ per field, and ingest makes a Session per visit
        # (measured: it cost 1.5% more of ingest's instructions, on the thread that joins
        # sessions).
        _set_client(self, client)
        _set_operations(self, operations)
        _set_timestamps(self, timestamps_s)
        _set_statuses(self, statuses)
        _set_durations(self, durations_ms)

    @property
    def start_s(self) -> float:
        return self.timestamps_s[0]

    @property
    def end_s(self) -> float:
        return self.timestamps_s[-1]

    @property
    def duration_s(self) -> float:
        return self.timestamps_s[-1] - self.timestamps_s[0]

    def __len__(self) -> int:
        return len(self.operations)


_set_client, _set_operations, _set_timestamps, _set_statuses, _set_durations = (
    Session.__dict__[name].__set__
    for name in ("client", "operations", "timestamps_s", "statuses", "durations_ms")
)


@dataclass(frozen=True, slots=True)
class MalformedLine:
    source: str
    line_no: int
    reason: str


@dataclass(frozen=True, slots=True)
class SourceReport:
    name: str
    format: str
    lines: int
    # its times are each request's end (nginx, IIS): records start the logged duration earlier
    stamped_at_end: bool = False


@dataclass(frozen=True, slots=True)
class UnmatchedShape:
    method: str
    shape: str
    count: int
    reason: str


@dataclass(frozen=True, slots=True)
class IngestReport:
    """Everything `inferload logs` prints. Counts of lines unless named otherwise."""

    sources: tuple[SourceReport, ...]
    lines_read: int
    records: int
    malformed: int
    malformed_by_reason: dict[str, int]
    malformed_examples: tuple[MalformedLine, ...]
    dropped: dict[str, int]
    unmatched: tuple[UnmatchedShape, ...]
    operations: dict[str, int]
    kept_requests: int
    sessions: int
    first_s: float | None
    last_s: float | None
    peak_requests_per_s: int
    peak_second_s: float | None
    template_source: str  # "spec" or "inferred from logs"
    session_timeout_s: float
    notes: tuple[str, ...] = field(default=())
    # distinct matched path shapes per server base path they carried ("": none), most first
    base_paths: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        return asdict(self)
