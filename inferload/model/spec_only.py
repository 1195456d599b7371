"""Without logs: journeys from the spec alone, every number marked `spec` or `default`.

One persona walks what an API's users typically do: log in first when operations are secured,
open a collection (`GET /pets`), look at an item of it (`GET /pets/{petId}`, its id taken from
the list: producer -> consumer), act on it (writes and sub-resources of the item), go back to
what can be read or leave (one step in eight), some signing out first. Each next step is
weighted by its method (reads 1, writes 1/4, deletes 1/10): users read far more than they
write, and a page that leads only to an action is mostly left unacted on. Think times follow
the usual rules of thumb: 2-5 s between browsing steps, 30-60 s when
reading an item. Path parameters without a producer draw from data pools built from the spec's
examples, enums and defaults (or a documented default pool). What no step leads to is brought
in where the spec allows (see `navigation`); the rest is listed in `left_out`, with the reason.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from inferload import __version__
from inferload.errors import ErrorKind, InferloadError
from inferload.model.chains import (
    expected_think_s,
    expected_visits,
    think_quantile_s,
)
from inferload.model.infer import file_sha256
from inferload.model.journeys import top_journeys
from inferload.model.login import logs_out, spec_login
from inferload.model.navigation import connect, following_steps, why_unreached
from inferload.model.producers import correlations, field_producers
from inferload.model.thinktime import default_think_time
from inferload.model.workload import (
    END,
    START,
    Api,
    Auth,
    Correlation,
    DataPool,
    Load,
    Measured,
    Operation,
    Persona,
    PoolValue,
    Provenance,
    Source,
    Workload,
)
from inferload.spec.model import Catalog, resolve_schema
from inferload.spec.model import Operation as SpecOperation
from inferload.spec.samples import bounded, scalar_sample, spec_values

# How likely a user is to take a next step, by its method, against reading: APIs' traffic is
# mostly reads (80-90% is the usual figure), so a page that links to one action (a pull request
# to its merge) is read again or left far more often than the action is taken.
_FOLLOW = {"GET": 1.0, "POST": 0.25, "PUT": 0.25, "PATCH": 0.25, "DELETE": 0.1}
FOLLOW_SHARE = 0.7  # of a step's next moves go to what it leads to, when that is a read
# Of each step's moves, those that end the session: a visit of eight steps on average (web
# analytics count 4-8 pages a visit, and a page makes one call or more). The rest go back to
# an entry (a collection, a dashboard); a step that leads nowhere else only goes back or ends.
LEAVE_SHARE = 0.125
LOGOUT_SHARE = 0.15  # of the sessions that end, those that sign out first (when the API can)
BROWSE = default_think_time(median_s=3.5, p90_s=5.0)  # 2-5 s between browsing steps
READ = default_think_time(median_s=45.0, p90_s=60.0)  # 30-60 s reading an item
_OPS_PATHS = {"health", "healthz", "metrics", "ping", "status", "ready", "readyz", "live", "livez"}
DEFAULT = Provenance.DEFAULT


def infer_from_spec(catalog: Catalog, spec_path: str) -> Workload:
    candidates, left_out = _user_operations(catalog)
    if not candidates:
        raise InferloadError(
            ErrorKind.INVALID,
            f"{spec_path}: no operation a user can call ({len(catalog.operations)} in `paths`"
            + (f", all left out: {'; '.join(sorted(set(left_out.values())))}" if left_out else "")
            + ")",
            hint="webhooks and callbacks are calls the API makes, not its users: a load test "
            "needs the API's own paths",
        )
    login = spec_login(catalog, candidates)
    secured = any(op.security and any(op.security) for op in candidates)
    by_id = {op.operation_id: op for op in candidates}
    logout = {op.operation_id for op in candidates if logs_out(op.operation_id, op.path)}
    following = following_steps(candidates, catalog)
    known = correlations(catalog, {op.operation_id for op in candidates})
    by_field = field_producers(catalog, candidates, known)
    producers = {
        consumer: {name: c.producer for name, c in found.items()}
        for consumer, found in _with_fields(known, by_field).items()
    }
    signing = logout | ({login.operation_id} if login else set())  # in and out: no data written
    plain = [
        op.operation_id
        for op in candidates
        if not op.path_parameters and op.operation_id not in signing
    ]
    creates = [o for o in plain if by_id[o].method == "POST" and following.get(o)]
    entries = [o for o in plain if by_id[o].method == "GET"] + creates
    entries += connect(catalog, candidates, entries, following, producers, excluded=signing)
    entries = (
        entries
        or plain
        or [op.operation_id for op in candidates if op.operation_id not in signing][:5]
    )
    likely = {op_id: _FOLLOW.get(by_id[op_id].method, 0.25) for op_id in by_id}
    reads_first = [e for e in entries if by_id[e].method == "GET"]
    chain: dict[str, dict[str, float]] = {}
    if login is not None and secured:
        chain[START] = {login.operation_id: 1.0}
        chain[login.operation_id] = _spread({}, entries, 1.0, likely)
    else:
        chain[START] = _spread({}, entries, 1.0, likely)
    frontier = [target for targets in chain.values() for target in targets]
    while frontier:
        state = frontier.pop()
        if state in chain or state == END:
            continue
        if state in logout:  # signed out: what follows would be another visit
            chain[state] = {END: 1.0}
            continue
        targets: dict[str, float] = {}
        nexts = [n for n in following.get(state, []) if n != state]
        # only writes to follow (a pull request to its merge): the user mostly goes back or leaves
        followed = FOLLOW_SHARE * max((likely[n] for n in nexts), default=0.0)
        _spread(targets, nexts, followed, likely)
        # back to a read (a collection), not to a create: a user creates from the collection
        back = [e for e in reads_first if e != state] or [e for e in entries if e != state]
        _spread(targets, back, 1.0 - LEAVE_SHARE - followed if back else 0.0, likely)
        leaving = max(0.0, 1.0 - sum(targets.values()))
        if logout:  # most users just leave (close the tab, the app); few sign out first
            _spread(targets, sorted(logout), leaving * LOGOUT_SHARE, likely)
        targets[END] = targets.get(END, 0.0) + leaving * (1 - LOGOUT_SHARE if logout else 1)
        chain[state] = {t: p for t, p in sorted(targets.items()) if p > 1e-12}
        frontier.extend(t for t in chain[state] if t not in chain)
    reads = {
        state
        for state in chain
        if state in by_id and by_id[state].method == "GET" and by_id[state].path_parameters
    }
    used = {state for state in chain if state != START}
    for op in candidates:
        if op.operation_id not in used:
            left_out[op.operation_id] = (
                "a login, and no operation of the journeys needs credentials"
                if op is login
                else why_unreached(catalog, op, producers)
            )
    think = {
        f"{source}->{target}": (READ if source in reads else BROWSE)
        for source, targets in chain.items()
        if source != START
        for target in targets
        if target != END
    }
    states = sorted(used)
    ops = {op_id: catalog.operation(op_id) for op_id in states}
    persona = Persona(
        id="p1-spec-explorer",
        name=_journey_name(ops, login.operation_id if login else None, logout),
        weight=1.0,
        sessions=0,
        provenance=Provenance.SPEC,
        steps={state: [state] for state in states},
        transitions=chain,
        think_times=think,
        default_think=BROWSE,
        guards=[],
        top_journeys=top_journeys(chain),
        session_length_steps=0.0,
    )
    visits = expected_visits(persona)  # the mix and the length the chain implies
    length = sum(visits.values())
    persona = persona.model_copy(update={"session_length_steps": length})
    operations = {
        op_id: Operation(
            method=op.method, path=op.path, requests=0, share=visits[op_id] / length,
            priority="high" if op_id in signing or op.is_write else "medium",
            reasons=["authentication"] if op_id in signing else (["writes data"] if op.is_write else ["in the spec's journeys"]),
            provenance=Provenance.SPEC, success_statuses=list(op.success_statuses),
        )
        for op_id, op in ops.items()
    }  # fmt: skip
    return Workload(
        api=Api(title=catalog.title, version=catalog.api_version,
                base_path=catalog.servers[0].base_path if catalog.servers else ""),
        source=Source(spec_path=spec_path, spec_sha256=file_sha256(spec_path) if Path(spec_path).is_file() else "",
                      tool=f"inferload {__version__}"),
        auth=Auth(login_operation=login.operation_id if login else None,
                  schemes=sorted({k for op in candidates for r in op.security for k in r})),
        operations=operations,
        personas=[persona],
        load=_default_load(persona),
        data_pools=_spec_pools(catalog, ops),
        correlations=_with_fields(correlations(catalog, set(states)), by_field, set(states)),
        left_out=dict(sorted(left_out.items())),
    )  # fmt: skip


_VERBS = {"POST": "creates", "PUT": "updates", "PATCH": "updates", "DELETE": "deletes"}


def _journey_name(ops: dict[str, SpecOperation], login: str | None, logout: set[str]) -> str:
    """What the persona does, from the operations its journeys run (`logs in; browses
    collections; reads items; creates and deletes items; signs out`): a reader of the plan
    sees that an API of three POSTs is not browsed."""
    signing = logout | {login}
    reads = [op for op in ops.values() if op.method == "GET" and op.operation_id not in signing]
    methods = {op.method for op in ops.values() if op.operation_id not in signing}
    verbs = list(dict.fromkeys(verb for method, verb in _VERBS.items() if method in methods))
    writes = ", ".join(verbs[:-1]) + " and " + verbs[-1] if len(verbs) > 1 else "".join(verbs)
    parts = [
        *(["logs in"] if login in ops else []),
        *(["browses collections"] if any(not op.path_parameters for op in reads) else []),
        *(["reads items"] if any(op.path_parameters for op in reads) else []),
        *([f"{writes} items"] if writes else []),
        *(["signs out"] if logout & set(ops) else []),
    ]
    return "; ".join(parts) or "visits the API"


def _with_fields(
    found: dict[str, dict[str, Correlation]],
    by_field: dict[str, dict[str, Correlation]],
    states: set[str] | None = None,
) -> dict[str, dict[str, Correlation]]:
    """`found` and, where it has none, the producers by field name (within `states`)."""
    merged = {consumer: dict(params) for consumer, params in found.items()}
    for consumer, params in by_field.items():
        for name, correlation in params.items():
            if states is None or {consumer, correlation.producer} <= states:
                merged.setdefault(consumer, {}).setdefault(name, correlation)
    return dict(sorted(merged.items()))


def _user_operations(catalog: Catalog) -> tuple[list[SpecOperation], dict[str, str]]:
    """The operations a user's visit may call, and why each other one is left out."""
    candidates, left_out = [], {}
    for op in catalog.operations:
        if op.deprecated:
            left_out[op.operation_id] = "deprecated"
        elif op.method in ("HEAD", "OPTIONS", "TRACE"):
            left_out[op.operation_id] = f"{op.method}: a client's or a proxy's, not a user's"
        elif op.path.rstrip("/").rsplit("/", 1)[-1].lower() in _OPS_PATHS:
            left_out[op.operation_id] = "an operations endpoint (health, metrics), not a user's"
        else:
            candidates.append(op)
    return candidates, left_out


def _spread(
    into: dict[str, float], targets: list[str], share: float, likely: dict[str, float]
) -> dict[str, float]:
    """`share` of the moves to `targets`, each by how likely a user is to take it (`_FOLLOW`)."""
    total = sum(likely[target] for target in targets)
    for target in targets:
        into[target] = into.get(target, 0.0) + share * likely[target] / total
    return into


def _spec_pools(catalog: Catalog, ops: dict[str, SpecOperation]) -> dict[str, DataPool]:
    pools: dict[str, DataPool] = {}
    users: dict[str, list[str]] = defaultdict(list)
    values: dict[str, list[Any]] = {}
    provenance: dict[str, Provenance] = {}
    for op_id, op in ops.items():
        for parameter in op.path_parameters:
            users[parameter.name].append(op_id)
            found = spec_values(parameter, catalog)
            if found:
                values[parameter.name] = values.get(parameter.name, []) + found
                provenance[parameter.name] = Provenance.SPEC
            elif parameter.name not in values:  # a placeholder the schema accepts
                schema = resolve_schema(catalog, parameter.schema) or {}
                numeric = schema.get("type") in ("integer", "number") and "enum" not in schema
                values[parameter.name] = (
                    [type(bounded(schema, 1))(bounded(schema, n)) for n in (1, 2, 3)]
                    if numeric
                    else [scalar_sample(catalog, schema, parameter.name)]
                )
                provenance[parameter.name] = DEFAULT
    for name, found in sorted(values.items()):
        distinct = list(dict.fromkeys(str(v) for v in found))
        pools[name] = DataPool(
            parameter=name, location="path", operations=sorted(set(users[name])),
            values=[PoolValue(value=v, weight=1 / len(distinct)) for v in distinct],
            provenance=provenance[name],
        )  # fmt: skip
    return pools


def _default_load(persona: Persona) -> Load:
    """The arrival rates are placeholders; how long a session lasts and what it sends follow
    from the journeys (the chain's steps and their think times), so that Little's law sizes
    the sessions the scripts will run: a flat 5 minutes made nine steps of 3.5 s, half a
    minute, eight times the concurrency."""
    note = "no logs: a placeholder to set in targets.yaml"
    normal, peak, peak_minute = 1.0, 3.0, 5.0
    duration, duration_p90 = expected_think_s(persona), think_quantile_s(persona, 0.9)
    requests = persona.session_length_steps  # per session: a step is one request here
    walked = (
        f"what the journeys imply: {persona.session_length_steps:.1f} steps a session and "
        "their default think times"
    )
    return Load(
        normal_arrival_rate_per_s=Measured(value=normal, provenance=DEFAULT, note=note),
        peak_arrival_rate_per_s=Measured(
            value=peak, provenance=DEFAULT, note="3x normal, a common peak factor"
        ),
        peak_minute_arrival_rate_per_s=Measured(
            value=peak_minute, provenance=DEFAULT, note="5x normal for a minute"
        ),
        session_duration_s=Measured(value=round(duration, 1), provenance=DEFAULT, note=walked),
        session_duration_p90_s=Measured(value=round(duration_p90, 1), provenance=DEFAULT, note=walked),
        peak_concurrent_sessions=Measured(
            value=round(peak * duration, 1), provenance=DEFAULT, note="Little's law on the defaults"
        ),
        littles_law_concurrency=Measured(
            value=round(peak * duration, 1), provenance=DEFAULT,
            note="peak arrival rate x session duration",
        ),
        requests_per_s_mean=Measured(
            value=round(normal * requests, 1), provenance=DEFAULT,
            note="normal arrival rate x requests per session",
        ),
        requests_per_s_peak=Measured(
            value=round(peak_minute * requests, 1), provenance=DEFAULT,
            note="the peak minute's arrival rate x requests per session",
        ),
    )  # fmt: skip
