"""Schemas with references kept as keys, so recursion and sharing cost nothing.

A schema met anywhere in the spec is copied with each `$ref` rewritten to the canonical key of
its target, and every target is registered once in `SchemaRegistry.schemas`. Stripe's 4 MB spec
thus becomes ~1,000 registered schemas instead of an exponential inlined tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferload.spec.documents import DocumentSet

# Keywords whose values are data, not schemas: a `$ref` key inside them is a literal.
_DATA_KEYWORDS = frozenset({"example", "examples", "default", "enum", "const"})


class SchemaRegistry:
    """Collects the schemas reachable from the operations, keyed by canonical `$ref`."""

    def __init__(self, documents: DocumentSet, problems: list[str]) -> None:
        self._documents = documents
        self._problems = problems
        self.schemas: dict[str, Any] = {}

    def normalise(self, node: Any, base: Path, where: str) -> Any:
        """Copy `node`, rewriting `$ref`s to canonical keys and registering their targets."""
        if isinstance(node, dict):
            copy: dict[str, Any] = {}
            for key, value in node.items():
                key = str(key)
                if key == "$ref":
                    if isinstance(value, str):
                        copy[key] = self._register(value, base, where)
                    else:
                        self._problems.append(
                            f"{where}: $ref is {value!r}, not a reference string (an unquoted `#` "
                            "in YAML starts a comment); ignored"
                        )
                elif key in _DATA_KEYWORDS or key.startswith("x-"):
                    copy[key] = value
                else:
                    copy[key] = self.normalise(value, base, f"{where}/{key}")
            return copy
        if isinstance(node, list):
            return [self.normalise(item, base, f"{where}/{i}") for i, item in enumerate(node)]
        return node

    def _register(self, ref: str, base: Path, where: str) -> str:
        target, target_file, key = self._documents.resolve(ref, base, where)
        if key not in self.schemas:
            self.schemas[key] = None  # placeholder: a recursive ref back to here stops
            self.schemas[key] = self.normalise(target, target_file, key)
        return key
