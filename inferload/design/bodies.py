"""Request bodies from schemas: the spec's examples first, else a valid value built from the
schema (type, format, enum, bounds, pattern, required properties). Strings the server may
require to be unique get a `{{unique}}` marker the scripts replace per iteration."""

from __future__ import annotations

from typing import Any

from inferload.design.encoding import UNIQUE, encoding_of
from inferload.spec.model import Catalog, Operation, resolve_schema
from inferload.spec.samples import STRINGS_BY_FORMAT, bounded, matches, matching

_MAX_DEPTH = 6


def example_body(catalog: Catalog, operation: Operation) -> tuple[str, Any] | None:
    """(media type, body) for the operation's request, or None when it takes none."""
    body = operation.request_body
    if body is None or not body.content:
        return None
    media = next((m for m in body.content if "json" in m.media_type), body.content[0])
    if media.examples:
        return media.media_type, media.examples[0]
    if media.schema is None:
        return media.media_type, {} if "json" in media.media_type else ""
    return media.media_type, value_for(catalog, media.schema, "body", 0)


def body_variants(
    catalog: Catalog, operation: Operation, count: int = 5
) -> tuple[str, list[Any]] | None:
    """The spec's example plus up to `count - 1` valid variants (other enum values, other numbers
    within bounds), so iterations do not all send the same body."""
    first = example_body(catalog, operation)
    if first is None:
        return None
    media_type, example = first
    media = next((m for m in operation.request_body.content if m.media_type == media_type), None)  # type: ignore[union-attr]
    variants = [example]
    if media is not None and media.schema is not None and encoding_of(media_type) != "text":
        for variant in range(1, count):
            value = value_for(catalog, media.schema, "body", 0, variant)
            if value not in variants:
                variants.append(value)
    return media_type, variants


def value_for(catalog: Catalog, schema: Any, name: str, depth: int, variant: int = 0) -> Any:
    """A valid value for `schema`; `variant` > 0 picks other enum members and numbers."""
    schema = resolve_schema(catalog, schema)
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if schema.get("enum"):
        return schema["enum"][variant % len(schema["enum"])]
    if variant and schema.get("type") in ("integer", "number") and "example" not in schema:
        return type(bounded(schema, 1))(bounded(schema, 1 + variant))
    for key in ("example", "default"):
        if key in schema and not variant:
            return schema[key]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][variant % len(schema["examples"])]
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if "const" in schema:
        return schema["const"]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            if combinator == "allOf":
                merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
                for part in schema["allOf"]:
                    part = resolve_schema(catalog, part)
                    merged["properties"].update(part.get("properties") or {})
                    merged["required"] += part.get("required") or []
                return value_for(catalog, merged, name, depth + 1, variant)
            return value_for(catalog, schema[combinator][0], name, depth + 1, variant)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required") or [])
        properties = schema.get("properties") or {}
        return {
            prop: value_for(catalog, sub, prop, depth + 1, variant)
            for prop, sub in properties.items()
            if prop in required or depth == 0 and not required
        }
    if kind == "array":
        count = max(int(schema.get("minItems", 1)), 1)
        return [
            value_for(catalog, schema.get("items") or {}, name, depth + 1) for _ in range(count)
        ]
    if kind == "integer":
        return int(bounded(schema, 1))
    if kind == "number":
        return float(bounded(schema, 1.5))
    if kind == "boolean":
        return True
    return _string(schema, name)


def _string(schema: dict[str, Any], name: str) -> str:
    kind = schema.get("format", "")
    lowered = name.lower()
    if kind == "email" or "email" in lowered:
        return f"load-{UNIQUE}@example.test"
    if kind in STRINGS_BY_FORMAT:
        return STRINGS_BY_FORMAT[kind]
    if "password" in lowered:
        return "Load-test-passw0rd"
    minimum = int(schema.get("minLength", 0))
    maximum = int(schema.get("maxLength", 64))
    unique = any(w in lowered for w in ("name", "title", "slug", "user"))
    text = f"{name}-{UNIQUE}" if unique and maximum >= len(name) + 12 else name
    text = text.ljust(minimum, "x")
    text = text if UNIQUE in text else text[: max(maximum, 1)]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not matches(pattern, text.replace(UNIQUE, _UNIQUE_SHAPE)):
        return matching(pattern, name, minimum, maximum) or text
    return text


_UNIQUE_SHAPE = "1-1-123456789"  # what the scripts put for the marker: VU, iteration, clock


def file_properties(catalog: Catalog, schema: Any) -> frozenset[str]:
    """The properties of a multipart body's schema that carry files (`format: binary`, or
    Swagger 2.0's `type: file`)."""
    properties = (resolve_schema(catalog, schema) or {}).get("properties") or {}
    resolved = {name: resolve_schema(catalog, sub) for name, sub in properties.items()}
    return frozenset(
        name
        for name, sub in resolved.items()
        if isinstance(sub, dict) and (sub.get("type") == "file" or sub.get("format") == "binary")
    )
