"""Match a request as an access log shows it to the operation that served it.

A segment trie compiled once from the catalog; each lookup walks it with backtracking so that,
as the OpenAPI spec requires, a literal segment beats a template at the same place
(`/users/me` before `/users/{id}`). Server base paths (`/api/v3`) are tried as prefixes, longest
first, then the bare path (a proxy may strip them). Results are cached per (method, path) with
the query string removed: logs repeat the same paths endlessly, so most lookups are a dict hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote

from inferload.spec.model import Catalog, Operation

_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")
_CACHE_SIZE = 1 << 17


@dataclass(frozen=True, slots=True)
class Match:
    operation_id: str
    method: str
    path_template: str
    base_path: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def path_params(self) -> dict[str, str]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class Unmatched:
    reason: str
    path: str


@dataclass(slots=True)
class _Leaf:
    operation_id: str
    template: str
    param_names: tuple[str, ...]


@dataclass(slots=True)
class _Node:
    literal: dict[str, _Node] = field(default_factory=dict)
    patterns: list[tuple[re.Pattern[str], _Node]] = field(default_factory=list)
    wildcard: _Node | None = None
    leaves: dict[str, _Leaf] = field(default_factory=dict)


def _segments(template: str) -> list[str]:
    return [s for s in template.strip("/").split("/") if s] if template.strip("/") else []


def _segment_pattern(segment: str) -> re.Pattern[str]:
    """`{name}.{ext}` or `{id}:cancel` -> an anchored regex, one greedy group per parameter
    (greedy so `report.final.pdf` gives name `report.final`, ext `pdf`)."""
    pieces: list[str] = []
    position = 0
    for found in _TEMPLATE_PARAM.finditer(segment):
        pieces.append(re.escape(segment[position : found.start()]))
        pieces.append("(.+)")
        position = found.end()
    pieces.append(re.escape(segment[position:]))
    return re.compile("".join(pieces) + r"\Z")


class Router:
    """Compiled from a catalog; `match(method, url)` is safe to call on every log line."""

    def __init__(self, catalog: Catalog) -> None:
        self._root = _Node()
        self.conflicts: list[str] = []
        bases: set[str] = set()
        for operation in catalog.operations:
            self._insert(operation)
            bases.update(b for b in operation.base_paths if b)
        self._base_paths = tuple(sorted(bases, key=len, reverse=True))
        self._match_path = lru_cache(maxsize=_CACHE_SIZE)(self._match_uncached)

    def match(self, method: str, url: str) -> Match | Unmatched:
        """(method, raw URL from a log) -> the operation and its path parameters, or why not."""
        path = url.partition("?")[0]
        return self._match_path(method, path)

    def _insert(self, operation: Operation) -> None:
        node = self._root
        names: list[str] = []
        for segment in _segments(operation.path):
            params = _TEMPLATE_PARAM.findall(segment)
            if not params:
                node = node.literal.setdefault(segment, _Node())
            elif segment == f"{{{params[0]}}}":
                node.wildcard = node.wildcard or _Node()
                node = node.wildcard
                names.append(params[0])
            else:
                pattern = _segment_pattern(segment)
                existing = next((n for p, n in node.patterns if p.pattern == pattern.pattern), None)
                if existing is None:
                    existing = _Node()
                    node.patterns.append((pattern, existing))
                node = existing
                names.extend(params)
        if operation.method in node.leaves:
            other = node.leaves[operation.method]
            self.conflicts.append(
                f"{operation.method} {operation.path} is indistinguishable from {other.template}"
            )
            return
        node.leaves[operation.method] = _Leaf(operation.operation_id, operation.path, tuple(names))

    def _match_uncached(self, method: str, raw_path: str) -> Match | Unmatched:
        method = method.upper()
        path = raw_path.partition("#")[0]
        if "://" in path[:12]:
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        if not path.startswith("/"):
            return Unmatched("not an origin-form path", raw_path)
        segments = [unquote(s) for s in path[1:].split("/")]
        if segments and segments[-1] == "":
            segments.pop()  # trailing slash, or the root path itself
        first_allowed: tuple[str, ...] = ()
        for base in self._candidate_bases(segments):
            for node, values in self._walk(self._root, segments, base, []):
                leaf = node.leaves.get(method) or (
                    node.leaves.get("GET") if method == "HEAD" else None
                )
                if leaf is not None:
                    return Match(
                        operation_id=leaf.operation_id,
                        method=method,
                        path_template=leaf.template,
                        base_path="/" + "/".join(segments[:base]) if base else "",
                        params=tuple(zip(leaf.param_names, values, strict=True)),
                    )
                first_allowed = first_allowed or tuple(sorted(node.leaves))
        if first_allowed:
            return Unmatched(
                f"method {method} is not documented for this path "
                f"(documented: {', '.join(first_allowed)})",
                raw_path,
            )
        return Unmatched("no operation's path matches", raw_path)

    def _candidate_bases(self, segments: list[str]) -> Iterator[int]:
        """How many leading segments to skip: each matching base path, longest first, then none."""
        for base in self._base_paths:
            base_segments = base.strip("/").split("/")
            if segments[: len(base_segments)] == base_segments:
                yield len(base_segments)
        yield 0

    def _walk(
        self, node: _Node, segments: list[str], index: int, values: list[str]
    ) -> Iterator[tuple[_Node, list[str]]]:
        """Every node that `segments[index:]` reaches, most specific (literal) first."""
        if index == len(segments):
            if node.leaves:
                yield node, values
            return
        segment = segments[index]
        child = node.literal.get(segment)
        if child is not None:
            yield from self._walk(child, segments, index + 1, values)
        for pattern, pattern_child in node.patterns:
            found = pattern.match(segment)
            if found:
                yield from self._walk(
                    pattern_child, segments, index + 1, values + list(found.groups())
                )
        if node.wildcard is not None and segment:
            yield from self._walk(node.wildcard, segments, index + 1, [*values, segment])
