"""A value a parameter's schema accepts, for parameters the spec gives no example: a server
that validates (a mock such as Prism, or the API itself) refuses `example` for an id written
`^prd_[0-9a-z]{26}$`, and `a` for a query value that must be a date. Used by the spec-only data
pools (the model) and the scripts' fallback query values and request bodies (the design); and
the values the spec itself gives a parameter (`spec_values`), which come first."""

from __future__ import annotations

import random
import re
from typing import Any

import rstr

from inferload.spec.model import Catalog, Parameter, resolve_schema

STRINGS_BY_FORMAT = {
    "date-time": "2025-01-01T00:00:00Z",
    "date": "2025-01-01",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "uri": "https://example.test/item",
    "url": "https://example.test/item",
}


# an integer bounded this narrowly is a coordinate, a rating, a page of a few (1-3, 1-5, 0-23):
# each of its values is one a user may pick
_ENUMERABLE_RANGE = 100


def spec_values(parameter: Parameter, catalog: Catalog) -> list[Any]:
    """The values the spec gives a parameter: its examples, its schema's example and default,
    its enum, or every value of a narrowly bounded integer."""
    schema = resolve_schema(catalog, parameter.schema) or {}
    values = [
        *parameter.examples,
        *(schema[k] for k in ("example", "default") if k in schema),
        *(schema.get("enum") or []),
    ]
    low, high = schema.get("minimum"), schema.get("maximum")
    if (
        schema.get("type") == "integer"
        and isinstance(low, int)
        and isinstance(high, int)
        and 0 <= high - low < _ENUMERABLE_RANGE
    ):
        values += range(low, high + 1)
    return values


def scalar_sample(catalog: Catalog, schema: Any, name: str, fallback: str = "example") -> Any:
    """A value `schema` accepts: its default or first enum member, a number within its bounds,
    a string of its format, or one matching its pattern (`fallback` when nothing constrains
    it). An array's is one item's."""
    schema = resolve_schema(catalog, schema) or {}
    if schema.get("type") == "array":
        return scalar_sample(catalog, schema.get("items"), name, fallback)
    if "default" in schema:
        return schema["default"]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("type") == "integer":
        return int(bounded(schema, 1))
    if schema.get("type") == "number":
        return float(bounded(schema, 1))
    if schema.get("type") == "boolean":
        return True
    if schema.get("format") in STRINGS_BY_FORMAT:
        return STRINGS_BY_FORMAT[schema["format"]]
    pattern = schema.get("pattern")
    minimum, maximum = int(schema.get("minLength", 0)), int(schema.get("maxLength", 64))
    if isinstance(pattern, str) and not matches(pattern, fallback):
        return matching(pattern, name, minimum, maximum) or fallback
    return fallback.ljust(minimum, "x")[: max(maximum, 1)]


def bounded(schema: dict[str, Any], preferred: float) -> float:
    """`preferred`, moved within the schema's minimum and maximum."""
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value = preferred
    if isinstance(low, int | float):
        value = max(
            value, low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
        )
    if isinstance(high, int | float):
        value = min(value, high)
    return value


def matches(pattern: str, text: str) -> bool:
    r"""Whether `text` matches; a pattern Python cannot read (ECMAScript's `\p{L}`, say) cannot
    be checked, so the value stands."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        return True


def matching(pattern: str, name: str, minimum: int, maximum: int) -> str | None:
    """A string within the bounds that matches `pattern`: the name if it does (with its letters
    only, else), or the shortest of a few strings drawn from the pattern. The draw is seeded by
    the name, so the same spec gives the same values."""
    letters = re.sub("[^A-Za-z]", "", name)
    drawn = rstr.Rstr(random.Random(name))
    try:
        candidates = [name, letters, *sorted((drawn.xeger(pattern) for _ in range(20)), key=len)]
    except (re.error, ValueError, IndexError):  # beyond what `rstr` can draw from
        candidates = [name, letters]
    return next(
        (
            text
            for text in candidates
            if text and minimum <= len(text) <= maximum and matches(pattern, text)
        ),
        None,
    )
