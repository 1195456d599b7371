"""Where a user can go next in a spec's terms, and where a visit can start.

Without logs, journeys follow the API's structure: a collection leads to its items, an item to
its actions. Some operations hang off no collection the spec has (`GET /{dataset}/{version}/fields`
under a root `GET /` that lists data sets under other names): a user reaches them by choosing
a value, as the spec's examples and defaults do. They become entries of their own, so that no
operation the scripts could call is left out unseen; those no journey can reach are listed with
the reason (`left_out` in workload.yaml).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from inferload.spec.model import Catalog, Operation
from inferload.spec.samples import spec_values

# A visit may start by reading or by a search or create (POST); an update or delete of the
# spec's example item would hit that one item in every session (and remove it in the first).
DIRECT_ENTRY_METHODS = ("GET", "POST")
# `PUT /pet` with the pet in its body (its id among the fields): an update of the item just read
_BODY_UPDATES = ("PUT", "PATCH")


def following_steps(operations: list[Operation], catalog: Catalog) -> dict[str, list[str]]:
    """What a user does next in the spec's terms: a collection leads to its items and to
    creating one; a create leads to the item; an item to its actions and sub-resources; a
    response with OpenAPI links to the operations they name. Where the spec has no GET of the
    item itself (`POST /tickets` and `GET /tickets/{ticketId}/qr`, no `GET /tickets/{ticketId}`),
    the collection and the create lead to what can be read of the item instead: else those
    operations, often an API's core flow, would be out of every journey."""
    following: dict[str, list[str]] = defaultdict(list)
    for op in operations:
        collection = op.path.rstrip("/")
        if op.method in ("GET", "POST") and not op.path.endswith("}"):
            following[op.operation_id].extend(
                other.operation_id for other in _item_reads(collection, operations)
            )
        following[op.operation_id].extend(
            other.operation_id for other in operations if _leads_to(op, other)
        )
        for response in op.responses:
            for link in response.links:
                if link.operation_id and catalog.has_operation(link.operation_id):
                    following[op.operation_id].append(link.operation_id)
    known = {op.operation_id for op in operations}
    return {k: [t for t in dict.fromkeys(v) if t in known] for k, v in following.items()}


def _leads_to(op: Operation, other: Operation) -> bool:
    """Whether reading `op` leads a user to `other`: an item to what is under it (its actions
    and sub-resources) and to its collection's own `PUT`/`PATCH` (`PUT /pet`, the pet and its
    id in the body); a resource read whole (`GET /user`, the signed-in user) to its update."""
    if op.method != "GET" or other is op:
        return False
    path = op.path.rstrip("/")
    if not op.path.endswith("}"):
        return other.method in _BODY_UPDATES and other.path.rstrip("/") == path
    under = other.path.startswith(path) and (other.path != op.path or other.method != "GET")
    return under or (other.method in _BODY_UPDATES and other.path.rstrip("/") == _parent(path))


def _item_reads(collection: str, operations: list[Operation]) -> list[Operation]:
    """The GETs of `collection`'s item: `{collection}/{id}`, or `{collection}/{row}/{column}`
    where a composite key names it (the fewest parameters first); else the GETs under the item
    that need no other parameter (`{collection}/{id}/qr`)."""
    under_item = [
        op for op in operations if op.method == "GET" and op.path.startswith(collection + "/{")
    ]
    keys = [_key_length(op.path[len(collection) + 1 :]) for op in under_item]
    shortest = min((n for n in keys if n), default=0)
    if shortest:
        return [op for op, n in zip(under_item, keys, strict=True) if n == shortest]
    return [op for op in under_item if "{" not in op.path[len(collection) + 2 :].split("}", 1)[-1]]


def _key_length(tail: str) -> int:
    """How many parameters name an item whose path goes on with `tail` (`{row}/{column}`: 2);
    0 when a fixed segment follows them (`{id}/qr`: a sub-resource)."""
    segments = tail.rstrip("/").split("/")
    keyed = all(s.startswith("{") and s.endswith("}") for s in segments)
    return len(segments) if keyed else 0


def _parent(path: str) -> str:
    """`/pet/{petId}` -> `/pet`: the collection an item belongs to."""
    return path.rsplit("/", 1)[0]


def reachable(starts: Iterable[str], following: dict[str, list[str]]) -> set[str]:
    """Every state a walk from `starts` can reach."""
    seen: set[str] = set()
    frontier = list(starts)
    while frontier:
        state = frontier.pop()
        if state not in seen:
            seen.add(state)
            frontier.extend(following.get(state, []))
    return seen


Producers = dict[str, dict[str, str]]  # consumer -> path parameter -> the read supplying it


def connect(
    catalog: Catalog,
    operations: list[Operation],
    entries: list[str],
    following: dict[str, list[str]],
    producers: Producers,
    excluded: set[str],
) -> list[str]:
    """Bring into the journeys what a user can call but no step leads to. An operation whose
    parameters come from reads the journeys make follows those reads (a job's
    `POST /settings/jobs/{jobId}/run` after the list of jobs); else a visit may start with it
    when the spec gives each of its parameters a value (shallowest first: `/orgs/{org}/repos`
    then leads to its repos, which need no entry of their own). `following` gains the edges;
    the entries added are returned."""
    entries, added = list(entries), list[str]()
    ordered = sorted(operations, key=lambda o: (o.path.count("/"), o.path, o.method))
    valued = {  # the parameters the spec gives values, once: each pass asks again
        (op.operation_id, p.name): bool(spec_values(p, catalog))
        for op in operations
        for p in op.path_parameters
    }
    while True:
        reached = reachable(entries, following)
        done = reached | excluded
        unreached = [op for op in ordered if op.operation_id not in done and op.path_parameters]
        linked = False
        for op in unreached:
            sources = producers.get(op.operation_id, {})
            named = {sources[p.name] for p in op.path_parameters if p.name in sources}
            if named and all(
                sources.get(p.name) in reached
                or (p.name not in sources and valued[op.operation_id, p.name])
                for p in op.path_parameters
            ):
                for producer in sorted(named):
                    following.setdefault(producer, []).append(op.operation_id)
                linked = True
        if linked:
            continue
        direct = next(
            (
                op.operation_id
                for op in ordered
                if op.operation_id not in done
                and op.method in DIRECT_ENTRY_METHODS
                and all(valued[op.operation_id, p.name] for p in op.path_parameters)
            ),
            None,
        )
        if direct is None:
            return added
        entries.append(direct)
        added.append(direct)


def why_unreached(catalog: Catalog, op: Operation, producers: Producers) -> str:
    """Why a journey never runs `op`, which no step leads to and no visit starts with."""
    sources = producers.get(op.operation_id, {})
    lacking = [
        f"{{{p.name}}}"
        for p in op.path_parameters
        if p.name not in sources and not spec_values(p, catalog)
    ]
    if lacking:
        return f"the spec gives {', '.join(lacking)} no example, default or producer"
    if sources:
        named = ", ".join(f"{{{name}}} from {producer}" for name, producer in sources.items())
        return f"its parameters come from reads no journey makes ({named})"
    if op.path_parameters:
        return (
            f"a {op.method} of an item no journey leads to: on the spec's example values every "
            "session would change the same item"
        )
    return f"a {op.method} that no read of the same resource leads to"
