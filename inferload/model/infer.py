"""`infer_from_logs`: sessions (+ catalog) -> Workload. One call per stage inside."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from itertools import accumulate
from pathlib import Path
from urllib.parse import parse_qsl

from inferload import __version__
from inferload.errors import ErrorKind, InferloadError
from inferload.gcpause import paused_gc
from inferload.logs.aggregates import (
    JOINT,
    QUERY_NAME,
    VALUES_KEPT,
    OperationAggregates,
    ParameterKey,
)
from inferload.logs.ingest import LogIngest
from inferload.logs.model import IngestReport, Session, decode_params
from inferload.logs.scrub import SCRUBBED_VALUES
from inferload.model.collect import Collected, SessionRecord
from inferload.model.journeys import (
    mine_guards,
    think_times,
    top_journeys,
    transition_counts,
    transition_probabilities,
)
from inferload.model.load import load_levels
from inferload.model.personas import cluster_sessions, persona_id, persona_names
from inferload.model.priorities import is_auth_operation, prioritise
from inferload.model.producers import correlations
from inferload.model.workload import (
    Api,
    Auth,
    DataPool,
    LogSource,
    Operation,
    Persona,
    PoolValue,
    Provenance,
    Source,
    Workload,
)
from inferload.spec.model import Catalog

# A pool keeps the most requested values until they cover POOL_COVERAGE of the requests that
# carried the parameter, at least POOL_MIN of them (when there are so many) and at most POOL_MAX
# (what the ingest counts per operation): a catalogue of 300 courses is replayed nearly whole,
# where a fixed hundred left a quarter of production's requests to ids the test never asks for.
POOL_MIN, POOL_MAX = 100, VALUES_KEPT
POOL_COVERAGE = 0.95
SAFE_QUERY_VALUE = 32  # longer query values are not replayed
# Query values scrubbed as personal data: an email or address under any name, or any value of
# a name that holds personal data. Other sensitive names' values (`token=<redacted>`) are mostly
# credentials, which the scripts take from the environment: no pool says anything of them.
PERSONAL_QUERY_VALUES = frozenset({"<email>", "<ip>"})
PERSONAL_QUERY_NAME = re.compile(r"(?i)e-?mail|phone|ssn|card|iban")


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def infer_from_logs(
    catalog: Catalog | None,
    ingest: LogIngest,
    *,
    spec_path: str | None,
    burst_window_s: float = 1.0,
    observe: Callable[[Session], None] | None = None,
) -> Workload:
    """Run the ingest (made with `IngestOptions(aggregate_operations=True)`) to its end,
    collecting as sessions close, then infer.

    The cyclic GC stays paused throughout: collection and inference build many small acyclic
    records (see `gcpause`). The inputs' SHA-256 (recorded in workload.yaml) are computed in a
    background thread while inference runs (hashlib releases the GIL on large blocks).
    `observe` sees every session too, for a caller that needs them for something else in the
    same pass (`compare`), so the logs are read once. Without a spec (`catalog` and
    `spec_path` None), the operations are the URL templates the ingest inferred."""
    collected = Collected(burst_window_s=burst_window_s)
    with paused_gc(), ThreadPoolExecutor(1, thread_name_prefix="inferload-hash") as hasher:
        for session in ingest:
            collected.add(session)
            if observe is not None:
                observe(session)
        log_paths = ingest.sources
        digests = [
            hasher.submit(file_sha256, path) if path and Path(path).is_file() else None
            for path in [spec_path, *log_paths]
        ]
        collected.finish()
        if not collected.sessions:
            raise InferloadError(
                ErrorKind.INVALID,
                "no session left after cleaning the logs: nothing to infer from",
                hint="check the ingest report: wrong --spec (everything unmatched) or wrong --format?",
            )
        assert ingest.catalog is not None  # the spec's, or the one inferred by the ingest
        return _workload(ingest.catalog, ingest, collected, digests, spec_path, burst_window_s)


def _workload(
    catalog: Catalog,
    ingest: LogIngest,
    collected: Collected,
    digests: list[Future[str] | None],
    spec_path: str | None,
    burst_window_s: float,
) -> Workload:
    """The model, from the finished ingest; the inputs' digests (spec first) are awaited last,
    so hashing overlaps the clustering and fitting."""
    report = ingest.report
    assert report is not None
    personas = _personas(collected)
    operations = _operations(catalog, collected, report, ingest.aggregates)
    spec_sha256, *log_sha256 = (digest.result() if digest else "" for digest in digests)
    return Workload(
        api=Api(title=catalog.title, version=catalog.api_version, base_path=_base_path(catalog)),
        source=Source(
            spec_path=spec_path,
            spec_sha256=spec_sha256,
            logs=[
                LogSource(path=s.name, sha256=sha256, lines=s.lines)
                for s, sha256 in zip(report.sources, log_sha256, strict=False)
            ],
            window_start=_iso(report.first_s),
            window_end=_iso(report.last_s),
            requests=report.kept_requests,
            sessions=len(collected.intervals),
            session_timeout_s=report.session_timeout_s,
            burst_window_s=burst_window_s,
            tool=f"inferload {__version__}",
        ),
        auth=_auth(catalog, operations),
        operations=operations,
        personas=personas,
        load=load_levels(collected.intervals, report),
        data_pools=_data_pools(ingest.aggregates),
        correlations=correlations(catalog, set(operations)),
    )


def _personas(collected: Collected) -> list[Persona]:
    clustering = cluster_sessions(collected.sessions, collected.step_operations)
    names = persona_names(
        collected.sessions, collected.step_operations, clustering.labels, clustering.k
    )
    groups: dict[int, list[SessionRecord]] = {}
    for label, session in zip(clustering.labels, collected.sessions, strict=True):
        groups.setdefault(label, []).append(session)
    ordered = sorted(groups.items(), key=lambda item: (-len(item[1]), names[item[0]]))
    total = len(collected.sessions)
    everyone = len(collected.intervals)
    personas = []
    weights = _weights([len(members) for _, members in ordered], total)
    for index, ((label, members), weight) in enumerate(zip(ordered, weights, strict=True)):
        chain = transition_probabilities(transition_counts(members))
        fitted, overall = think_times(members)
        states = sorted({state for session in members for state in session.states})
        personas.append(
            Persona(
                id=persona_id(index, names[label]),
                name=names[label],
                weight=weight,
                sessions=round(len(members) / total * everyone),
                provenance=Provenance.LOGS,
                steps={state: list(collected.step_operations[state]) for state in states},
                transitions=chain,
                think_times=fitted,
                default_think=overall,
                guards=mine_guards(members),
                top_journeys=top_journeys(chain),
                session_length_steps=sum(len(s.states) for s in members) / len(members),
            )
        )
    return personas


def _weights(sizes: list[int], total: int) -> list[float]:
    """Shares rounded to 6 places that still sum to exactly 1."""
    weights = [round(size / total, 6) for size in sizes]
    weights[0] = round(weights[0] + 1 - sum(weights), 6)
    return weights


def _operations(
    catalog: Catalog, collected: Collected, report: IngestReport, aggregates: OperationAggregates
) -> dict[str, Operation]:
    total = max(report.kept_requests, 1)
    entries: Counter[str] = Counter()
    for session in collected.sessions:
        if session.states:
            entries.update(collected.step_operations[session.states[0]])
    sampled = max(len(collected.sessions), 1)
    api_p95 = aggregates.overall_percentile_ms(0.95)
    operations = {}
    for operation_id, count in sorted(report.operations.items()):
        spec_op = catalog.operation(operation_id) if catalog.has_operation(operation_id) else None
        method = spec_op.method if spec_op else operation_id.split(" ", 1)[0]
        path = spec_op.path if spec_op else operation_id.split(" ", 1)[-1]
        share = count / total
        p95 = aggregates.percentile_ms(operation_id, 0.95)
        priority, reasons = prioritise(
            operation_id, method, path, share, entries[operation_id] / sampled, p95, api_p95
        )
        operations[operation_id] = Operation(
            method=method,
            path=path,
            requests=count,
            share=share,
            priority=priority,  # type: ignore[arg-type]
            reasons=reasons,
            provenance=Provenance.LOGS,
            p95_ms=p95,
            error_rate=aggregates.errors[operation_id] / count,
            success_statuses=list(spec_op.success_statuses) if spec_op else [],
        )
    return operations


def _data_pools(aggregates: OperationAggregates) -> dict[str, DataPool]:
    """Path and query values by parameter name (merged over the operations using the name)."""
    path_values: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    rows: dict[str, Counter[tuple[tuple[str, str], ...]]] = defaultdict(Counter)
    withheld: dict[str, set[str]] = defaultdict(set)  # pool -> operations whose values were PII
    for operation, counter in aggregates.params.items():
        for encoded, count in counter.items():
            params = decode_params(encoded)
            # a scrubbed value (`<email>`) is no value a request can use again: left out
            usable = [(name, value) for name, value in params if value not in SCRUBBED_VALUES]
            for name, value in usable:
                path_values[(operation, name)][value] += count
            for name, value in params:
                if value in SCRUBBED_VALUES:
                    withheld[name].add(operation)
            if len(params) > 1 and len(usable) == len(params):
                rows[operation][params] += count
    query_values: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for operation, counter in aggregates.queries.items():
        for query, count in counter.items():
            named = "&".join(part for part in query.split("&") if "=" in part)
            for name, value in parse_qsl(named, keep_blank_values=True):
                if not QUERY_NAME.match(name):
                    continue
                if len(value) <= SAFE_QUERY_VALUE and "<" not in value:
                    query_values[(operation, name)][value] += count
                elif value in PERSONAL_QUERY_VALUES or PERSONAL_QUERY_NAME.search(name):
                    withheld[f"query.{name}"].add(operation)
    pools: dict[str, DataPool] = {}
    for location, source in (("path", path_values), ("query", query_values)):
        merged: dict[str, Counter[str]] = {}
        users: dict[str, set[str]] = {}
        for (operation, name), counter in source.items():
            merged.setdefault(name, Counter()).update(counter)
            users.setdefault(name, set()).add(operation)
        for name, counter in sorted(merged.items()):
            key = name if location == "path" else f"query.{name}"
            sketched = [
                aggregates.path_key(op, name) if location == "path" else (op, location, name)
                for op in sorted(users[name])
            ]
            pools[key] = _pool(
                name, [], location, sorted(users[name]), counter, aggregates, sketched
            )
    for key, operations in sorted(withheld.items()):
        if key not in pools:  # every value personal: a pool of none, which says so
            location, name = ("query", key[6:]) if key.startswith("query.") else ("path", key)
            sketched = [
                aggregates.path_key(op, name) if location == "path" else (op, location, name)
                for op in sorted(operations)
            ]
            pools[key] = _pool(
                name, [], location, sorted(operations), Counter(), aggregates, sketched
            )
    for operation, row_counts in sorted(rows.items()):
        names = [name for name, _ in next(iter(row_counts))]  # the template's, in every row
        values = Counter({tuple(v for _, v in row): c for row, c in row_counts.items()})
        sketched = [(operation, "path", JOINT)]
        pools[operation] = _pool(
            ",".join(names), names, "path", [operation], values, aggregates, sketched
        )
    return pools


def _pool(
    parameter: str,
    parameters: list[str],
    location: str,
    operations: list[str],
    counter: Counter[str] | Counter[tuple[str, ...]],
    aggregates: OperationAggregates,
    sketched: list[ParameterKey],
) -> DataPool:
    """The most requested values (see `POOL_COVERAGE`; a joint pool's rows: the combinations
    production requested, so a user's own order is asked for, not one user's id with another
    user's order, a 404 against a real backend), and how much of production they stand for."""
    requests = aggregates.parameters.requests(sketched)
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:POOL_MAX]
    enough = POOL_COVERAGE * (requests or sum(counter.values()))
    totals = list(accumulate(count for _, count in ranked))
    size = next(
        (n for n, total in enumerate(totals, start=1) if n >= POOL_MIN and total >= enough),
        len(ranked),
    )
    top, kept = ranked[:size], (totals[size - 1] if size else 0)
    distinct = aggregates.parameters.estimate(sketched) or 0  # never below the values counted
    return DataPool(
        parameter=parameter,
        parameters=parameters,
        location=location,  # type: ignore[arg-type]
        operations=operations,
        values=[
            PoolValue(value=list(value) if parameters else value, weight=c / kept)  # type: ignore[arg-type]
            for value, c in top
        ],
        provenance=Provenance.LOGS,
        requests=requests or None,
        # none when every value was scrubbed: the sketch saw one `<email>`, not the emails
        distinct_values=max(distinct, len(counter)) if requests and counter else None,
        coverage=min(1.0, kept / requests) if requests else None,
    )


def _auth(catalog: Catalog, operations: dict[str, Operation]) -> Auth:
    login = [
        (op.requests, op_id)
        for op_id, op in operations.items()
        if is_auth_operation(op_id, op.method, op.path)
    ]
    schemes = sorted(
        {key for op in catalog.operations for requirement in op.security for key in requirement}
    )
    return Auth(login_operation=max(login)[1] if login else None, schemes=schemes)


def _base_path(catalog: Catalog) -> str:
    bases = [server.base_path for server in catalog.servers]
    return bases[0] if bases else ""


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat(timespec="seconds")
