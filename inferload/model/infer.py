"""`infer_from_logs`: sessions (+ catalog) -> Workload. One call per stage inside."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from inferload import __version__
from inferload.errors import ErrorKind, InferloadError
from inferload.gcpause import paused_gc
from inferload.logs.aggregates import OperationAggregates, ParameterKey
from inferload.logs.ingest import LogIngest
from inferload.logs.model import IngestReport, Session
from inferload.model.collect import Collected, SessionRecord
from inferload.model.journeys import (
    mine_guards,
    think_times,
    top_journeys,
    transition_counts,
    transition_probabilities,
)
from inferload.model.load import load_levels
from inferload.model.login import login_rank, takes_password
from inferload.model.personas import cluster_sessions, persona_id, persona_names
from inferload.model.pools import data_pools
from inferload.model.priorities import prioritise
from inferload.model.producers import correlations
from inferload.model.workload import (
    Api,
    Auth,
    LogSource,
    Operation,
    Persona,
    Provenance,
    Source,
    Workload,
)
from inferload.spec.model import Catalog


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
        api=Api(
            title=catalog.title, version=catalog.api_version, base_path=_base_path(catalog, report)
        ),
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
        data_pools=data_pools(ingest.aggregates),
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
    queries = _query_keys(aggregates)
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
            query_shares={
                name: round(min(1.0, aggregates.parameters.requests([key]) / count), 4)
                for name, key in sorted(queries.get(operation_id, {}).items())
            },
        )
    return operations


def _query_keys(aggregates: OperationAggregates) -> dict[str, dict[str, ParameterKey]]:
    """Operation -> query parameter name -> the key of its counts. How often a parameter came
    with its operation is how often the scripts send it: a search box used by one request in
    ten is not sent with every request, nor a filter production never used."""
    keys: dict[str, dict[str, ParameterKey]] = defaultdict(dict)
    for key in aggregates.parameters:
        operation, location, name = key
        if location == "query":
            keys[operation][name] = key
    return keys


def _auth(catalog: Catalog, operations: dict[str, Operation]) -> Auth:
    """The login: the surest by name or summary (see `login`), then one taking a password,
    then the one production called most."""
    ranked = []
    for op_id, op in operations.items():
        spec_op = catalog.operation(op_id) if catalog.has_operation(op_id) else None
        rank = login_rank(op_id, op.method, op.path, spec_op.summary if spec_op else "")
        if rank is not None:
            password = spec_op is not None and takes_password(catalog, spec_op)
            ranked.append((rank, not password, -op.requests, op_id))
    schemes = sorted(
        {key for op in catalog.operations for requirement in op.security for key in requirement}
    )
    return Auth(login_operation=min(ranked)[-1] if ranked else None, schemes=schemes)


def _base_path(catalog: Catalog, report: IngestReport) -> str:
    """The base path production's requests carried: the one most matched path shapes used, ties
    to the spec's server order. A spec's servers are often stale, and a gateway may strip the
    prefix before the logging server: a script sending `/api/v3/pets` where production sent
    `/pets` would meet only 404s. The first server's path when no request matched. Only the
    document's servers (or none) compete: the scripts put one base path before every operation,
    and an operation's own `servers` (`/internal`) speak for that operation alone."""
    servers = [server.base_path for server in catalog.servers]
    seen = {base: count for base, count in report.base_paths.items() if base in servers or not base}
    if seen:
        return min(
            seen,
            key=lambda base: (
                -seen[base],
                servers.index(base) if base in servers else len(servers),
            ),
        )
    return servers[0] if servers else ""


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat(timespec="seconds")
