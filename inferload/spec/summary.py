"""What `inferload spec` reports about a catalog, as data (the CLI does the formatting)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from inferload.spec.model import Catalog


@dataclass(frozen=True, slots=True)
class LinkEdge:
    """`source` response `status` feeds `target` through the OpenAPI link `name`."""

    source: str
    status: str
    name: str
    target: str


@dataclass(frozen=True, slots=True)
class SpecSummary:
    title: str
    api_version: str
    openapi_version: str
    files: int
    operations: int
    by_method: dict[str, int]
    by_tag: dict[str, int]
    secured_operations: int
    deprecated_operations: int
    servers: tuple[tuple[str, str], ...]
    security_schemes: tuple[tuple[str, str], ...]
    links: tuple[LinkEdge, ...]
    webhooks: tuple[str, ...]
    problems: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "api_version": self.api_version,
            "openapi_version": self.openapi_version,
            "files": self.files,
            "operations": self.operations,
            "by_method": self.by_method,
            "by_tag": self.by_tag,
            "secured_operations": self.secured_operations,
            "deprecated_operations": self.deprecated_operations,
            "servers": [{"url": url, "base_path": base} for url, base in self.servers],
            "security_schemes": [{"key": k, "kind": kind} for k, kind in self.security_schemes],
            "links": [
                {"source": e.source, "status": e.status, "name": e.name, "target": e.target}
                for e in self.links
            ],
            "webhooks": list(self.webhooks),
            "problems": list(self.problems),
        }


def summarise(catalog: Catalog) -> SpecSummary:
    methods = Counter(op.method for op in catalog.operations)
    tags = Counter(tag for op in catalog.operations for tag in (op.tags or ("(untagged)",)))
    links = tuple(
        LinkEdge(
            op.operation_id,
            response.status,
            link.name,
            link.operation_id or link.operation_ref or "?",
        )
        for op in catalog.operations
        for response in op.responses
        for link in response.links
    )
    return SpecSummary(
        title=catalog.title,
        api_version=catalog.api_version,
        openapi_version=catalog.openapi_version,
        files=len(catalog.sources),
        operations=len(catalog.operations),
        by_method=dict(sorted(methods.items())),
        by_tag=dict(tags.most_common()),
        secured_operations=sum(1 for op in catalog.operations if any(op.security)),
        deprecated_operations=sum(1 for op in catalog.operations if op.deprecated),
        servers=tuple((s.url, s.base_path or "/") for s in catalog.servers),
        security_schemes=tuple(
            (key, _describe_scheme(s.type, s.scheme, s.location, s.parameter_name))
            for key, s in catalog.security_schemes.items()
        ),
        links=links,
        webhooks=catalog.webhooks,
        problems=catalog.problems,
    )


def _describe_scheme(kind: str, scheme: str | None, location: str | None, name: str | None) -> str:
    if kind == "http":
        return f"http {scheme or ''}".strip()
    if kind == "apiKey":
        return f"apiKey in {location} {name!r}"
    return kind
