"""Without a spec, infer URL templates from the paths the logs show.

`/product/1234` and `/product/98` are one endpoint, `/product/{id}`. Two signals:

1. *Value shape*: numbers, UUIDs, long hex hashes and mixed letter-digit tokens are ids.
2. *Cardinality*: where many distinct literal segments share a prefix (`/blog/how-to-...`,
   `/blog/why-...`) and each is rare, the position is a parameter (slugs): at least
   `min_distinct` values, and at least one distinct value per `1 / _SLUG_SHARE` requests below
   that point. An API's fixed resources are few and each heavily used (`/v1/customers`,
   `/v1/charges`, ...), so they stay literal however many there are.

Parameters are named `{id}` when a template has one, else after the segment before them
(`/users/{userId}/posts/{postId}`). The templates become a synthetic catalog so that matching
and everything downstream work exactly as with a spec.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from inferload.spec.model import Catalog, Operation, Parameter, Response, Server

_NUMBER = re.compile(r"^\d+$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]{16,}$")
_TOKEN = re.compile(r"^(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_\-.~]{10,}$")
_PLACEHOLDER = "{}"
_SLUG_SHARE = 0.3


def segment_kind(segment: str) -> str | None:
    """`number`, `uuid`, `hash` or `token` when the segment is an id by its shape."""
    if _NUMBER.match(segment):
        return "number"
    if _UUID.match(segment):
        return "uuid"
    if _HEX.match(segment):
        return "hash"
    if _TOKEN.match(segment):
        return "token"
    return None


def path_shape(path: str) -> str:
    """A path with its id-like segments replaced, for reporting unmatched traffic by shape."""
    segments = path.split("?", 1)[0].split("/")
    return "/".join("{" + kind + "}" if (kind := segment_kind(s)) else s for s in segments)


@dataclass
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    methods: Counter[str] = field(default_factory=Counter)
    kinds: set[str] = field(default_factory=set)
    digit_shapes: set[str] = field(default_factory=set)  # of the ids a placeholder stands for


def infer_templates(
    requests: Iterable[tuple[str, str, int]], min_distinct: int = 20
) -> list[tuple[str, str, int]]:
    """(method, path, count) -> (method, template, count), most requested first."""
    root = _Node()
    for method, path, count in requests:
        node = root
        for segment in _segments(path):
            kind = segment_kind(segment)
            key = _PLACEHOLDER if kind else segment
            node = node.children.setdefault(key, _Node())
            if kind:
                node.kinds.add(kind)
                node.digit_shapes.add(_digit_shape(segment))
        node.methods[method] += count
    _collapse(root, min_distinct)
    templates: list[tuple[str, str, int]] = []
    _collect(root, [], templates)
    templates.sort(key=lambda t: (-t[2], t[1], t[0]))
    return templates


def _segments(path: str) -> list[str]:
    """Decoded like the router decodes them, so every inferred template matches its paths."""
    return [unquote(s) for s in path.split("?", 1)[0].split("/") if s]


def _requests_below(node: _Node) -> int:
    return sum(node.methods.values()) + sum(_requests_below(c) for c in node.children.values())


def _digit_shape(segment: str) -> str:
    """`mission-12` and `mission-7` share a shape (`mission-0`)."""
    return re.sub(r"\d+", "0", segment)


def _collapse(node: _Node, min_distinct: int) -> None:
    # siblings of ids, shaped like them but too short to read as ids (`mission-7` beside the
    # token `mission-12`) are ids too
    placeholder = node.children.get(_PLACEHOLDER)
    if placeholder is not None:
        for key in [k for k in node.children if k != _PLACEHOLDER]:
            if re.search(r"\d", key) and _digit_shape(key) in placeholder.digit_shapes:
                _merge(placeholder, node.children.pop(key))
    literals = [key for key in node.children if key != _PLACEHOLDER]
    if len(literals) >= min_distinct and len(literals) >= _SLUG_SHARE * sum(
        _requests_below(node.children[key]) for key in literals
    ):
        merged = node.children.pop(_PLACEHOLDER, None) or _Node()
        for key in literals:
            _merge(merged, node.children.pop(key))
        merged.kinds.add("slug")
        node.children[_PLACEHOLDER] = merged
    for child in node.children.values():
        _collapse(child, min_distinct)


def _merge(into: _Node, other: _Node) -> None:
    into.methods.update(other.methods)
    into.kinds |= other.kinds
    into.digit_shapes |= other.digit_shapes
    for key, child in other.children.items():
        if key in into.children:
            _merge(into.children[key], child)
        else:
            into.children[key] = child


def _collect(node: _Node, prefix: list[str], out: list[tuple[str, str, int]]) -> None:
    for method, count in node.methods.items():
        out.append((method, _name_parameters(prefix), count))
    for key, child in node.children.items():
        _collect(child, [*prefix, key], out)


def _name_parameters(segments: list[str]) -> str:
    if segments.count(_PLACEHOLDER) <= 1:
        return "/" + "/".join("{id}" if s == _PLACEHOLDER else s for s in segments)
    names: list[str] = []
    used: Counter[str] = Counter()
    for index, segment in enumerate(segments):
        if segment != _PLACEHOLDER:
            names.append(segment)
            continue
        before = segments[index - 1] if index and segments[index - 1] != _PLACEHOLDER else "item"
        stem = re.sub(r"[^A-Za-z0-9]", "", _singular(before)) or "item"
        name = stem[0].lower() + stem[1:] + "Id"
        used[name] += 1
        names.append("{" + (name if used[name] == 1 else f"{name}{used[name]}") + "}")
    return "/" + "/".join(names)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 1:
        return word[:-1]
    return word


def catalog_from_templates(
    templates: list[tuple[str, str, int]],
    title: str,
    queries: Mapping[str, Iterable[str]] | None = None,
) -> Catalog:
    """A synthetic catalog (ids `METHOD /template`) so spec-less logs flow like spec'd ones.
    `queries`: operation id -> the query parameters production sent it with (optional ones,
    of no declared type: the values replayed are production's)."""
    operations = []
    for method, template, _count in templates:
        names = re.findall(r"\{([^{}]+)\}", template)
        operation_id = f"{method} {template}"
        operations.append(
            Operation(
                operation_id=operation_id,
                method=method,
                path=template,
                base_paths=("",),
                parameters=tuple(
                    Parameter(name=n, location="path", required=True, schema={"type": "string"})
                    for n in names
                )
                + tuple(
                    Parameter(name=n, location="query", required=False, schema={"type": "string"})
                    for n in (queries or {}).get(operation_id, ())
                ),
                # the logs show the statuses served, not the ones meant: any 2xx is a success
                responses=(Response(status="2XX", description="observed in logs"),),
                has_synthesized_id=True,
            )
        )
    return Catalog(
        title=title,
        api_version="",
        openapi_version="inferred",
        servers=(Server(url="/", base_path=""),),
        operations=tuple(operations),
        security_schemes={},
        schemas={},
    )
