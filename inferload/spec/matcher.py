"""Match a request as an access log shows it to the operation that served it.

A segment trie compiled once from the catalog; each lookup walks it with backtracking so that,
as the OpenAPI spec requires, a literal segment beats a template at the same place
(`/users/me` before `/users/{id}`). Server base paths (`/api/v3`) are tried as prefixes, longest
first, then the bare path (a proxy may strip them). Results are cached per (method, path) with
the query string removed: logs repeat the same paths endlessly, so most lookups are a dict hit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from urllib.parse import unquote

from inferload.gcpause import paused_gc
from inferload.spec.model import Catalog, Operation

_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")
_CACHE_SIZE = 1 << 16  # distinct paths kept per method; later ones are matched, not kept


class Match(NamedTuple):
    """A request's operation. A named tuple: built on every distinct path, it must be cheap."""

    operation_id: str
    method: str
    path_template: str
    base_path: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def path_params(self) -> dict[str, str]:
        return dict(self.params)


class Unmatched(NamedTuple):
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


def _origin_form(url: str) -> str | None:
    """`http://host/a/b` (as proxies log it) -> `/a/b`; anything else that is not a path -> None."""
    scheme, separator, rest = url.partition("://")
    if not separator or "/" in scheme:
        return None
    slash = rest.find("/")
    return rest[slash:] if slash >= 0 else "/"


def template_segments(template: str) -> list[str]:
    """`/a/{b}/c/` -> ['a', '{b}', 'c']"""
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
        self.operation_ids = tuple(sorted({op.operation_id for op in catalog.operations}))
        bases: set[str] = set()
        for operation in catalog.operations:
            self._insert(operation)
            bases.update(b for b in operation.base_paths if b)
        self._base_segments = [
            base.strip("/").split("/") for base in sorted(bases, key=len, reverse=True)
        ]
        self._cache: dict[str, dict[str, Match | Unmatched]] = {}
        self._has_patterns = any(node.patterns for node in self._nodes())

    def _nodes(self) -> Iterator[_Node]:
        """Every node of the trie (the shape checks below read it whole)."""
        nodes = [self._root]
        while nodes:
            node = nodes.pop()
            yield node
            nodes.extend(node.literal.values())
            nodes.extend(child for _, child in node.patterns)
            if node.wildcard is not None:
                nodes.append(node.wildcard)

    def match(self, method: str, url: str) -> Match | Unmatched:
        """(method, raw URL from a log) -> the operation and its path parameters, or why not."""
        path = url.partition("?")[0]
        cache = self._cache.get(method)
        if cache is None:
            cache = self._cache[method] = {}
        result = cache.get(path)
        if result is None:
            result = self._match_uncached(method, path)
            if len(cache) < _CACHE_SIZE:  # past the bound, new paths are matched, not kept
                cache[path] = result
        return result

    @property
    def decides_by_shape(self) -> bool:
        """True when a lookup depends only on which segments are literals of the catalog (no
        `{name}.{ext}`-style segment patterns, which look inside values): then every path of the
        same shape (`literal_segments` kept, other segments blanked) has the same operation."""
        return not self._has_patterns

    def literal_segments(self) -> frozenset[str]:
        """Every literal segment of every template and server base path."""
        literals: set[str] = {segment for base in self._base_segments for segment in base}
        for node in self._nodes():
            literals.update(node.literal)
        return frozenset(literals)

    def match_many(self, requests: Iterable[tuple[str, str]]) -> list[Match | Unmatched]:
        """`match` over many (method, url) pairs, with the cyclic GC paused (`gcpause`): every
        new path adds small tuples to a growing cache the collector would keep rescanning."""
        with paused_gc():
            match = self.match
            return [match(method, url) for method, url in requests]

    def _insert(self, operation: Operation) -> None:
        node = self._root
        names: list[str] = []
        for segment in template_segments(operation.path):
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
        path = raw_path if raw_path.startswith("/") else _origin_form(raw_path)
        if path is None:
            return Unmatched("not an origin-form path", raw_path)
        if "#" in path:
            path = path.partition("#")[0]
        segments = path[1:].split("/")
        if "%" in path:
            segments = [unquote(s) for s in segments]
        if segments[-1] == "":
            segments.pop()  # trailing slash, or the root path itself
        method = method.upper()
        allowed_elsewhere: tuple[str, ...] = ()
        for skipped in self._candidate_bases(segments) if self._base_segments else (0,):
            leaf, values, node = self._find(segments, skipped, method)
            if leaf is not None:
                return Match(
                    leaf.operation_id,
                    method,
                    leaf.template,
                    "/" + "/".join(segments[:skipped]) if skipped else "",
                    tuple(zip(leaf.param_names, values, strict=True)),
                )
            if node is not None and not allowed_elsewhere:
                allowed_elsewhere = tuple(sorted(node.leaves))
        if allowed_elsewhere:
            return Unmatched(
                f"method {method} is not documented for this path "
                f"(documented: {', '.join(allowed_elsewhere)})",
                raw_path,
            )
        return Unmatched("no operation's path matches", raw_path)

    def _candidate_bases(self, segments: list[str]) -> list[int]:
        """How many leading segments to skip: each matching base path, longest first, then none."""
        skips = [len(base) for base in self._base_segments if segments[: len(base)] == base]
        skips.append(0)
        return skips

    def _find(
        self, segments: list[str], start: int, method: str
    ) -> tuple[_Leaf | None, tuple[str, ...], _Node | None]:
        """Depth-first over the trie, literal before pattern before wildcard at each segment.

        Returns the first leaf for `method` with its captured values; failing that, the first
        node the path reached (to explain which methods it does have).
        """
        leaf, values = self._descend_greedily(segments, start, method)
        if leaf is not None:
            return leaf, values, None
        end = len(segments)
        stack: list[tuple[_Node, int, tuple[str, ...]]] = [(self._root, start, ())]
        first_reached: _Node | None = None
        while stack:
            node, index, values = stack.pop()
            if index == end:
                if node.leaves:
                    leaf = node.leaves.get(method)
                    if leaf is None and method == "HEAD":
                        leaf = node.leaves.get("GET")
                    if leaf is not None:
                        return leaf, values, node
                    first_reached = first_reached or node
                continue
            segment = segments[index]
            # pushed in reverse order of precedence: the literal child is explored first
            if node.wildcard is not None and segment:
                stack.append((node.wildcard, index + 1, (*values, segment)))
            if node.patterns:
                for pattern, child in reversed(node.patterns):
                    found = pattern.match(segment)
                    if found:
                        stack.append((child, index + 1, values + found.groups()))
            literal = node.literal.get(segment)
            if literal is not None:
                stack.append((literal, index + 1, values))
        return None, (), first_reached

    def _descend_greedily(
        self, segments: list[str], start: int, method: str
    ) -> tuple[_Leaf | None, tuple[str, ...]]:
        """The depth-first search's first branch, without its bookkeeping.

        Most paths match on the branch that takes the literal child whenever there is one;
        following it with no stack makes the common lookup several times cheaper. Any dead end
        returns None and the full search runs.
        """
        node = self._root
        values: list[str] = []
        for index in range(start, len(segments)):
            segment = segments[index]
            child = node.literal.get(segment)
            if child is None:
                if node.patterns or node.wildcard is None or not segment:
                    return None, ()
                child = node.wildcard
                values.append(segment)
            node = child
        leaf = node.leaves.get(method)
        return leaf, tuple(values)
