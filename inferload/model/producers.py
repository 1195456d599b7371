"""Producer -> consumer links: which earlier response supplies a path parameter.

In order of trust: an OpenAPI `link` naming the consumer; else the collection the item belongs
to (`GET /pets` lists what `GET /pets/{petId}` reads; `POST /pets` creates it). The JSON pointer
is the link's `$response.body#/...` when given, else the id field the schemas suggest.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Literal

from inferload.model.workload import Correlation, Provenance
from inferload.spec.model import Catalog, Operation, resolve_schema
from inferload.spec.samples import spec_values

_PARAM = re.compile(r"\{([^{}/]+)\}")


def correlations(
    catalog: Catalog, operations: set[str] | None = None
) -> dict[str, dict[str, Correlation]]:
    wanted = [
        op for op in catalog.operations if operations is None or op.operation_id in operations
    ]
    by_link = _link_producers(catalog)
    result: dict[str, dict[str, Correlation]] = {}
    for consumer in wanted:
        found: dict[str, Correlation] = {}
        for parameter in consumer.path_parameters:
            if (parameter.schema or {}).get("enum"):
                continue  # one of a fixed list (a status, a kind), not an item's id to capture
            correlation = by_link.get(
                (consumer.operation_id, parameter.name)
            ) or _collection_producer(catalog, consumer, parameter.name, operations)
            if correlation is not None:
                found[parameter.name] = correlation
        if found:
            result[consumer.operation_id] = found
    return result


def _link_producers(catalog: Catalog) -> dict[tuple[str, str], Correlation]:
    found: dict[tuple[str, str], Correlation] = {}
    for producer in catalog.operations:
        for response in producer.responses:
            for link in response.links:
                if not link.operation_id:
                    continue
                for name, expression in link.parameters.items():
                    pointer = None
                    if isinstance(expression, str) and expression.startswith("$response.body#"):
                        pointer = expression.split("#", 1)[1] or None
                    found.setdefault(
                        (link.operation_id, name.split(".")[-1]),
                        Correlation(
                            producer=producer.operation_id,
                            pointer=pointer,
                            via="link",
                            provenance=Provenance.SPEC,
                        ),
                    )
    return found


def _collection_producer(
    catalog: Catalog, consumer: Operation, parameter: str, allowed: set[str] | None
) -> Correlation | None:
    segments = consumer.path.split("/")
    index = next((i for i, s in enumerate(segments) if s == f"{{{parameter}}}"), None)
    if index is None:
        return None
    collection = "/".join(segments[:index]) or "/"
    candidates = [
        op for op in catalog.operations
        if op.path == collection and op.method in ("GET", "POST")
        and (allowed is None or op.operation_id in allowed)
    ]  # fmt: skip
    ways: tuple[tuple[str, Literal["collection", "create"]], ...] = (
        ("GET", "collection"),
        ("POST", "create"),
    )
    for method, via in ways:
        for producer in candidates:
            if producer.method == method:
                pointer = _id_pointer(catalog, producer, parameter, is_list=method == "GET")
                return Correlation(
                    producer=producer.operation_id,
                    pointer=pointer,
                    via=via,
                    provenance=Provenance.SPEC,
                )
    return None


def _id_pointer(catalog: Catalog, producer: Operation, parameter: str, is_list: bool) -> str | None:
    """`/0/id` for a bare list, `/items/0/id` for a wrapped one, `/id` for a created item."""
    schema = _success_schema(catalog, producer)
    if schema is None:
        return None
    prefix = ""
    if is_list:
        if schema.get("type") == "array":
            prefix, schema = "/0", _resolve(catalog, schema.get("items"))
        else:
            array_property = next(
                (name for name, sub in (schema.get("properties") or {}).items()
                 if (_resolve(catalog, sub) or {}).get("type") == "array"),
                None,
            )  # fmt: skip
            if array_property is None:
                return None
            prefix = f"/{array_property}/0"
            schema = _resolve(
                catalog, _resolve(catalog, schema["properties"][array_property]).get("items")
            )
    properties = (schema or {}).get("properties") or {}
    stem = re.sub(r"(?i)_?id$", "", parameter)
    for name in (parameter, "id", f"{stem}_id", f"{stem}Id", stem):
        if name in properties:
            return f"{prefix}/{name}"
    return None


def field_producers(
    catalog: Catalog,
    operations: list[Operation],
    known: dict[str, dict[str, Correlation]],
) -> dict[str, dict[str, Correlation]]:
    """For the path parameters that no link or collection supplies (`known`) and the spec gives
    no value: a read whose response carries a field of the parameter's name. Conduit's
    `GET /profiles/{username}` has no `GET /profiles`, but its articles name their author's
    `username`: a user reaches a profile from what they read. A field inside a list comes
    first (one of many, as a user picks one), then the shortest path. Names every resource
    has (`id`, `name`) are not matched: whose id a response lists cannot be told by name."""
    wanted = [
        (consumer, parameter.name)
        for consumer in operations
        for parameter in consumer.path_parameters
        if parameter.name not in known.get(consumer.operation_id, {})
        and parameter.name.lower() not in _GENERIC_NAMES
        and not spec_values(parameter, catalog)
    ]
    if not wanted:
        return {}
    fields: dict[str, list[tuple[bool, int, str, str]]] = defaultdict(list)
    for producer in operations:
        if producer.method == "GET":
            for name, in_list, pointer in _fields(catalog, _success_schema(catalog, producer)):
                rank = (not in_list, pointer.count("/"), pointer, producer.operation_id)
                fields[name].append(rank)
    needing: dict[str, set[str]] = defaultdict(set)  # parameter -> the operations taking it
    for op in operations:
        for parameter in op.path_parameters:
            needing[parameter.name].add(op.operation_id)
    found: dict[str, dict[str, Correlation]] = {}
    for consumer, name in wanted:
        best = min((r for r in fields.get(name, []) if r[3] not in needing[name]), default=None)
        if best is not None:  # (a read that needs the value itself cannot supply it)
            found.setdefault(consumer.operation_id, {})[name] = Correlation(
                producer=best[3], pointer=best[2], via="field", provenance=Provenance.SPEC
            )
    return found


# names every resource has: an `id` field of whatever a response lists is no item's id
_GENERIC_NAMES = frozenset({"id", "uuid", "key", "name", "code", "number", "slug", "type"})


def _fields(
    catalog: Catalog, schema: Any, prefix: str = "", in_list: bool = False
) -> list[tuple[str, bool, str]]:
    """(property name, whether a list holds it, JSON pointer) for each property of `schema`
    that can hold an id: a string, or an integer named so (`menuItemId`); not an object or a
    count that shares the name (Stripe's `card` of a payment method, its balance's `card`
    amount). As deep as five levels (a list's first item stands for the list)."""
    schema = _resolve(catalog, schema)
    if prefix.count("/") >= 5 or not schema:
        return []
    if schema.get("type") == "array" or "items" in schema:
        return _fields(catalog, schema.get("items"), f"{prefix}/0", True)
    found = []
    for name, sub in (schema.get("properties") or {}).items():
        pointer = f"{prefix}/{name.replace('~', '~0').replace('/', '~1')}"
        sub = _resolve(catalog, sub)
        if sub.get("type") == "string" or (
            sub.get("type") == "integer" and name.lower().endswith("id")
        ):
            found.append((name, in_list, pointer))
        else:
            found += _fields(catalog, sub, pointer, in_list)
    return found


def _success_schema(catalog: Catalog, producer: Operation) -> dict[str, Any] | None:
    for response in producer.responses:
        if response.is_success:
            for media in response.content:
                if "json" in media.media_type and media.schema is not None:
                    return _resolve(catalog, media.schema)
    return None


def _resolve(catalog: Catalog, schema: Any, depth: int = 0) -> dict[str, Any]:
    """`schema` with its `$ref`s followed and an `allOf` merged into one object's properties."""
    schema = resolve_schema(catalog, schema)
    if isinstance(schema, dict) and "allOf" in schema and depth < 20:
        merged: dict[str, Any] = {"properties": {}}
        for part in schema["allOf"]:
            resolved = _resolve(catalog, part, depth + 1)
            merged["properties"].update(resolved.get("properties") or {})
            merged.setdefault("type", resolved.get("type"))
        return merged
    return schema if isinstance(schema, dict) else {}
