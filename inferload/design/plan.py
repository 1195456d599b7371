"""The test design the emitters render: one JSON-ready view model, built from workload.yaml,
the catalog (bodies, security) and the targets. Templates receive this, never live objects.

Everything that came from logs or the spec is data in this model; the emitters embed it as JSON
(never as code), so hostile paths or names cannot change what a script does.
"""

from __future__ import annotations

import copy
import json
import re
from typing import Any

from inferload.design import encoding
from inferload.design.bodies import body_variants, example_body, file_properties
from inferload.design.outbound import to_sink
from inferload.design.profiles import (
    KILL_SWITCH_DELAY_S,
    Profile,
    Threshold,
    design_profiles,
    design_thresholds,
)
from inferload.design.targets import Resolved, Targets, resolve
from inferload.model.workload import END, START, DataPool, Workload
from inferload.spec.model import Catalog, Operation, Parameter, resolve_schema
from inferload.spec.samples import scalar_sample

# A lattice of arrivals, each shifted by an independent uniform delay over K intervals, has
# counts whose variance is within 1/K of their mean in windows of a few intervals: Poisson's.
ARRIVAL_SPREAD = 20
ARRIVAL_SPREAD_CAP_S = 30.0  # at low rates the start is still random, and ramps stay sharp
_USERNAME = re.compile(r"(?i)^(email|e-mail|username|user_name|login|user)$")
_PASSWORD = re.compile(r"(?i)^(password|passwd|pass)$")
_TOKEN_FIELDS = ("token", "access_token", "accessToken", "jwt", "id_token", "session")


# what a script's first line says its journeys come from, by the plan's `inferred_from`
ORIGINS = {
    "logs": "journeys, mix and think times inferred from production traffic",
    "spec": "journeys from the OpenAPI spec alone (no logs: the mix and think times are defaults)",
}


def design(workload: Workload, catalog: Catalog, targets: Targets) -> dict[str, Any]:
    resolved = resolve(workload, targets)
    profiles = design_profiles(resolved)
    transitions: list[dict[str, list[Any]]] = []  # every persona's states' edges, by slot
    # a pool of no values (production's were personal data, scrubbed) leaves its parameter to
    # the spec's example, as if it had no pool
    pools = {name: pool for name, pool in workload.data_pools.items() if pool.values}
    return {
        "api": workload.api.model_dump(),
        "inferred_from": "logs" if workload.source.logs else "spec",
        "base_path": workload.api.base_path,
        "operations": {op_id: _operation(catalog, workload, pools, op_id) for op_id in sorted(_used_operations(workload))},
        "personas": [_persona(p, transitions) for p in workload.personas],
        "transitions": transitions,
        # no think time reaches the inactivity gap that ended sessions in the logs: a longer
        # pause there was two visits, and the fitted law's tail would make one of them
        "think_cap_s": workload.source.session_timeout_s,
        # engines start sessions at an even pace: each waits a random time first, uniform over
        # `spread` arrival intervals (at most `cap_s`), so that their starts are near-Poisson
        "arrivals": {"spread": ARRIVAL_SPREAD, "cap_s": ARRIVAL_SPREAD_CAP_S},
        "pools": {name: {"values": [v.value for v in pool.values], "weights": [v.weight for v in pool.values],
                         "columns": pool.parameters or ["value"]}
                  for name, pool in sorted(pools.items())},
        "correlations": {op: {param: {"producer": c.producer, "pointer": c.pointer} for param, c in params.items()}
                         for op, params in sorted(workload.correlations.items())},
        "auth": _auth(catalog, workload),
        "profiles": {name: _profile(profile) for name, profile in profiles.items()},
        "thresholds": _thresholds(design_thresholds(workload, resolved)),
        "targets": _targets(resolved),
        # hosts besides loopback the scripts may send load to (staging), as targets.yaml lists them
        "allow_hosts": sorted(set(targets.allow_hosts)),
    }  # fmt: skip


def _used_operations(workload: Workload) -> set[str]:
    used = {op for persona in workload.personas for ops in persona.steps.values() for op in ops}
    if workload.auth.login_operation:
        used.add(workload.auth.login_operation)
    return used & set(workload.operations)


def _query_share(shares: dict[str, float] | None, parameter: Parameter) -> float:
    """How often a request sends the parameter: always when the spec requires it or nothing
    measured how often (a model from the spec alone), else as often as production did (never,
    for one production never sent)."""
    if parameter.required or shares is None:
        return 1.0
    return shares.get(parameter.name, 0.0)


def _operation(
    catalog: Catalog, workload: Workload, pools: dict[str, DataPool], operation_id: str
) -> dict[str, Any]:
    info = workload.operations[operation_id]
    spec_op: Operation | None = (
        catalog.operation(operation_id) if catalog.has_operation(operation_id) else None
    )
    body = body_variants(catalog, spec_op) if spec_op else None
    urls: list[str] = []  # where the requests hand the server an address to call
    query = {}
    if spec_op:
        for parameter in spec_op.parameters:
            if parameter.location != "query":
                continue
            pool = f"query.{parameter.name}"
            example = _first_example(parameter)
            share = _query_share(info.query_shares, parameter)
            if share > 0 and (pool in pools or parameter.required or example is not None):
                if example is None:
                    example = scalar_sample(catalog, parameter.schema, parameter.name, fallback="a")
                example = to_sink(example, f"query.{parameter.name}", urls)
                query[parameter.name] = {
                    "pool": pool if pool in pools else None,
                    "example": example,
                    # the example as the query string carries it (an array or object by the
                    # parameter's style); a pool's values are single ones, `name=value`
                    "text": encoding.query_text(
                        parameter.name, example, parameter.style, parameter.explode
                    )
                    or None,
                    "required": parameter.required,
                    "share": share,  # of the requests that send it, as production's did
                }
    headers, fresh = _header_parameters(catalog, spec_op, urls) if spec_op else ({}, [])
    return {
        "method": info.method,
        "path": info.path,
        "headers": headers,
        "fresh_headers": fresh,
        "path_params": [p.name for p in spec_op.path_parameters] if spec_op else re.findall(r"\{([^{}]+)\}", info.path),
        # the path parameters drawn together from the pool named after the operation, as
        # production combined them (in the pool's column order); empty for none
        "joint_columns": _joint_columns(workload, operation_id),
        "examples": {p.name: _first_example(p) for p in (spec_op.path_parameters if spec_op else ())},
        "path_enums": _path_enums(catalog, spec_op, pools) if spec_op else {},
        "query": query,
        "body": None if body is None or spec_op is None else _body(catalog, workload, spec_op, *body, urls),
        "sends_urls": list(dict.fromkeys(urls)),
        "secured": bool(spec_op and any(spec_op.security)),
        "security": [sorted(requirement) for requirement in spec_op.security] if spec_op else [],
        "success": [int(s) for s in info.success_statuses if s.isdigit()] or None,
        "content_types": sorted({m.media_type.split(";")[0].strip().lower() for r in spec_op.responses if r.is_success for m in r.content}) if spec_op else [],
    }  # fmt: skip


def _header_parameters(
    catalog: Catalog, operation: Operation, urls: list[str]
) -> tuple[dict[str, str], list[list[Any]]]:
    """The header parameters the spec requires (a tenant, an API version): name -> value, its
    example, else its default, enum or a value of its type; a server refuses a request without
    them. An idempotency key or a request id gets a fresh value per request instead ([name,
    whether a UUID]): one value for every request would have the server answer all but the first
    from its idempotency store. Accept, Content-Type and Authorization are not parameters
    (OpenAPI ignores them: the media types and the security schemes say those). An address
    the server may call points at the callback marker (`outbound`); `urls` gets its place."""
    headers: dict[str, str] = {}
    fresh: list[list[Any]] = []
    for parameter in operation.parameters:
        if (
            parameter.location != "header"
            or not parameter.required
            or parameter.name.lower() in _NOT_HEADER_PARAMETERS
        ):
            continue
        schema = resolve_schema(catalog, parameter.schema) or {}
        if _PER_REQUEST_HEADER.search(parameter.name):
            fresh.append([parameter.name, schema.get("format") == "uuid"])
            continue
        example = _first_example(parameter)
        if example is None:
            example = scalar_sample(catalog, schema, parameter.name, fallback="1")
        example = to_sink(example, f"header.{parameter.name}", urls)
        text = (  # an array as OpenAPI's `simple` style writes it
            ",".join(map(encoding.scalar_text, example))
            if isinstance(example, list)
            else encoding.scalar_text(example)
        )
        headers[parameter.name] = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return headers, fresh


_NOT_HEADER_PARAMETERS = frozenset({"accept", "content-type", "authorization"})
_PER_REQUEST_HEADER = re.compile(r"(?i)idempotency|request[-_]?id|correlation[-_]?id|nonce")


def _first_example(parameter: Parameter) -> Any:
    """The parameter's first example, else its schema's, else None."""
    return parameter.examples[0] if parameter.examples else (parameter.schema or {}).get("example")


def _path_enums(
    catalog: Catalog, spec_op: Operation, pools: dict[str, DataPool]
) -> dict[str, dict[str, list[Any]]]:
    """Path parameters the spec limits to a list (`/issue/{id}/{status}`: open, resolved) ->
    the values to draw and their weights. The pool of the parameter's name may hold other
    operations' values (`/request/{id}/{status}`: approve, decline), and no response holds the
    value to capture: the list decides, weighted as production used it when the pool says."""
    found: dict[str, dict[str, list[Any]]] = {}
    for parameter in spec_op.path_parameters:
        schema = resolve_schema(catalog, parameter.schema) or {}
        values = [  # as a path writes them: `true`, not Python's `True`
            json.dumps(value) if isinstance(value, bool) else str(value)
            for value in schema.get("enum") or []
            if value is not None
        ]
        if not values:
            continue
        pool = pools.get(parameter.name)
        seen = {value.value: value.weight for value in pool.values} if pool else {}
        weights = [seen.get(value, 0.0) for value in values]
        if not any(weights):
            weights = [1.0] * len(values)
        kept = [
            (value, weight) for value, weight in zip(values, weights, strict=True) if weight > 0
        ]
        found[parameter.name] = {"values": [v for v, _ in kept], "weights": [w for _, w in kept]}
    return found


def _joint_columns(workload: Workload, operation_id: str) -> list[str]:
    pool = workload.data_pools.get(operation_id)
    return list(pool.parameters) if pool is not None else []


def _body(
    catalog: Catalog,
    workload: Workload,
    operation: Operation,
    media_type: str,
    values: list[Any],
    urls: list[str],
) -> dict[str, Any]:
    """The body's Content-Type header, how it is written, and its variants: JSON as values (the
    scripts serialise them and put a login's credentials in by path), form and multipart as the
    text sent (see `encoding`). A form or multipart login holds markers where the credentials go,
    and the example's own values for when the run gives none. Addresses the server may call
    point at the callback marker (`outbound`); `urls` gets their places."""
    kind = encoding.encoding_of(media_type)
    values = [to_sink(value, "body", urls) for value in values]
    entry: dict[str, Any] = {"media_type": encoding.header_for(media_type), "encoding": kind}
    if kind in ("form", "multipart"):
        media = next(m for m in operation.request_body.content if m.media_type == media_type)  # type: ignore[union-attr]
        styles = {name: (style, explode) for name, style, explode in media.encoding}
        files = file_properties(catalog, media.schema)
        if operation.operation_id == workload.auth.login_operation:
            fields = _credential_fields(values[0], [])
            entry["credentials"] = {
                field: encoding.as_written(_at(values[0], path), kind)
                for field, path in fields.items()
            }
            values = [_with_credential_markers(value, fields) for value in values]
        values = [encoding.encode(value, media_type, styles, files) for value in values]
    entry["values"] = values
    return entry


def _at(value: Any, path: list[str]) -> Any:
    for key in path:
        value = value[key]
    return value


def _with_credential_markers(value: Any, fields: dict[str, list[str]]) -> Any:
    marked = copy.deepcopy(value)
    for field, marker in (("username", encoding.USERNAME), ("password", encoding.PASSWORD)):
        if field in fields:
            *parents, last = fields[field]
            _at(marked, parents)[last] = marker
    return marked


def _persona(persona: Any, transitions: list[dict[str, list[Any]]]) -> dict[str, Any]:
    """The journey graph, compact: each state's edges are flat arrays appended to `transitions`
    (the persona keeps the slot), with targets as indexes into `targets` and think-time laws as
    indexes into `laws` (0 is the default). A model from the spec alone links each of Stripe's
    414 operations to most others (59,000 edges, two distinct laws): spelled out per edge, the
    plan was 9 MB, and every k6 VU parsed it and built an object per edge (3 s of CPU and 280 MB
    per VU). The k6 script now parses a state's edges when a session first reaches it."""
    default = persona.default_think.law
    laws: dict[tuple[float, float], int] = {default: 0}
    targets: dict[str, int] = {}
    slots: dict[str, int] = {}
    for source, edges in persona.transitions.items():
        to, chance, law = [], [], []
        for target, p in edges.items():
            think = persona.think_times.get(f"{source}->{target}")
            key = think.law if think is not None else default
            to.append(targets.setdefault(target, len(targets)))
            chance.append(p)
            law.append(laws.setdefault(key, len(laws)))
        slots[source] = len(transitions)
        transitions.append({"to": to, "p": chance, "law": law})
    return {
        "id": persona.id,
        "name": persona.name,
        "weight": persona.weight,
        "steps": persona.steps,
        "targets": list(targets),
        "laws": [list(key) for key in laws],
        "transitions": slots,
        "requires": {g.operation: g.requires for g in persona.guards if g.kind == "requires"},
        "ends": sorted(g.operation for g in persona.guards if g.kind == "ends_session"),
        "start": START,
        "end": END,
    }


def _auth(catalog: Catalog, workload: Workload) -> dict[str, Any]:
    login = workload.auth.login_operation
    schemes = [
        catalog.security_schemes[key]
        for key in workload.auth.schemes
        if key in catalog.security_schemes
    ]
    scheme = schemes[0] if schemes else None
    fields: dict[str, list[str]] = {}
    if login and catalog.has_operation(login):
        body = example_body(catalog, catalog.operation(login))
        if body is not None:
            fields = _credential_fields(body[1], [])
    return {
        "login": login,
        "schemes": {
            key: {"type": s.type, "scheme": s.scheme, "in": s.location, "name": s.parameter_name}
            for key, s in sorted(catalog.security_schemes.items())
        },
        "username_path": fields.get("username"),
        "password_path": fields.get("password"),
        "token_fields": list(_TOKEN_FIELDS),
        "scheme": None if scheme is None else {
            "type": scheme.type, "scheme": scheme.scheme, "in": scheme.location, "name": scheme.parameter_name,
        },
    }  # fmt: skip


def _credential_fields(value: Any, path: list[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    if isinstance(value, dict):
        for key, sub in value.items():
            if _USERNAME.match(str(key)) and not isinstance(sub, dict):
                found.setdefault("username", [*path, key])
            elif _PASSWORD.match(str(key)):
                found.setdefault("password", [*path, key])
            else:
                for kind, where in _credential_fields(sub, [*path, key]).items():
                    found.setdefault(kind, where)
    return found


def _profile(profile: Profile) -> dict[str, Any]:
    return {
        "description": profile.description,
        "start": profile.start_per_s,
        "stages": [[stage.duration_s, stage.target_per_s] for stage in profile.stages],
        "in_flight": profile.in_flight,
        "pre_allocated_vus": profile.pre_allocated_vus,
        "max_vus": profile.max_vus,
        "abort_on_fail": profile.abort_on_fail,
    }


def _thresholds(thresholds: list[Threshold]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for threshold in thresholds:
        entry: Any = threshold.condition
        if threshold.abort_on_fail:
            entry = {
                "threshold": threshold.condition,
                "abortOnFail": True,
                "delayAbortEval": f"{KILL_SWITCH_DELAY_S}s",
            }
        grouped.setdefault(threshold.metric, []).append(entry)
    return grouped


def drain_seconds(session_duration_s: float) -> int:
    """How long sessions still in flight when a profile's arrivals end may take to finish (k6's
    `gracefulStop`, at THINK_SCALE 1): twice the mean session, between k6's default 30 s and
    15 min. With k6's 30 s, the LMS sample's 5-minute sessions started in a run's last minutes
    were cut off, the journeys' later steps never sent."""
    return round(min(900.0, max(30.0, 2 * session_duration_s)))


def _targets(resolved: Resolved) -> dict[str, Any]:
    return {
        "normal_arrival_rate_per_s": resolved.normal_arrival_rate_per_s,
        "peak_arrival_rate_per_s": resolved.peak_arrival_rate_per_s,
        "max_arrival_rate_per_s": resolved.max_arrival_rate_per_s,
        "session_duration_s": resolved.session_duration_s,
        "drain_s": drain_seconds(resolved.session_duration_s),
        "sla": resolved.sla.model_dump(),
        "origin": resolved.origin,
    }
