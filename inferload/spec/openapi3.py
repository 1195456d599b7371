"""Build the catalog's operations from an OpenAPI 3.0 / 3.1 / 3.2 document."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.spec.common import (
    check_path_parameters,
    example_values,
    merge_parameters,
    operation_fields,
    text,
)
from inferload.spec.documents import DocumentSet
from inferload.spec.model import (
    HTTP_METHODS,
    Link,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)
from inferload.spec.schemas import SchemaRegistry
from inferload.spec.servers import servers_from_openapi3

_LOCATIONS = {"path", "query", "header", "cookie"}


class OpenAPI3Builder:
    """Walks `paths`, following `$ref`s as each use needs them."""

    def __init__(self, documents: DocumentSet, registry: SchemaRegistry, problems: list[str]):
        self.documents = documents
        self.registry = registry
        self.problems = problems
        self.document: dict[str, Any] = documents.root_document
        self.root = documents.root

    def security_schemes(self) -> dict[str, SecurityScheme]:
        components = self.document.get("components") or {}
        raw_schemes = components.get("securitySchemes") or {}
        schemes: dict[str, SecurityScheme] = {}
        for key, raw in raw_schemes.items():
            node, _ = self.documents.follow(raw, self.root, f"components.securitySchemes.{key}")
            if not isinstance(node, dict):
                continue
            flows = node.get("flows") or {}
            token_url = next(
                (
                    f.get("tokenUrl")
                    for f in flows.values()
                    if isinstance(f, dict) and f.get("tokenUrl")
                ),
                None,
            )
            schemes[str(key)] = SecurityScheme(
                key=str(key),
                type=str(node.get("type", "")),
                scheme=(str(node["scheme"]).lower() if node.get("scheme") else None),
                bearer_format=node.get("bearerFormat"),
                location=node.get("in"),
                parameter_name=node.get("name"),
                flows=tuple(flows),
                token_url=token_url,
                description=text(node.get("description")),
            )
        return schemes

    def operations(self, schemes: dict[str, SecurityScheme]) -> list[Operation]:
        paths = self.document.get("paths") or {}
        if not isinstance(paths, dict):
            raise InferloadError(
                ErrorKind.INVALID,
                "`paths` must be a mapping of path templates to path items",
                location=Location(self.documents.display(self.root), field="paths"),
            )
        default_security = self.document.get("security", [])
        default_bases = tuple(
            s.base_path for s in servers_from_openapi3(self.document.get("servers"))
        )
        operations: list[Operation] = []
        for path, raw_item in paths.items():
            path = str(path)
            where = f"paths.{path}"
            item, item_file = self.documents.follow(raw_item, self.root, where)
            if not isinstance(item, dict):
                self.problems.append(f"{where}: path item is not a mapping, skipped")
                continue
            item_bases = self._bases(item, default_bases)
            item_params = self._parameters(item.get("parameters"), item_file, where)
            for method in HTTP_METHODS:
                raw_op = item.get(method)
                if not isinstance(raw_op, dict):
                    continue
                op_where = f"{where}.{method}"
                params = merge_parameters(
                    item_params, self._parameters(raw_op.get("parameters"), item_file, op_where)
                )
                operations.append(
                    Operation(
                        **operation_fields(
                            raw_op, method, path, default_security, schemes, op_where, self.problems
                        ),
                        base_paths=self._bases(raw_op, item_bases),
                        parameters=check_path_parameters(
                            method.upper(), path, params, self.problems
                        ),
                        request_body=self._request_body(
                            raw_op.get("requestBody"), item_file, op_where
                        ),
                        responses=self._responses(raw_op.get("responses"), item_file, op_where),
                    )
                )
        return operations

    def webhooks(self) -> tuple[str, ...]:
        return tuple(str(name) for name in self.document.get("webhooks") or {})

    def _bases(self, node: dict[str, Any], inherited: tuple[str, ...]) -> tuple[str, ...]:
        if node.get("servers"):
            return tuple(dict.fromkeys(s.base_path for s in servers_from_openapi3(node["servers"])))
        return tuple(dict.fromkeys(inherited))

    def _parameters(self, raw: Any, base: Path, where: str) -> list[Parameter]:
        params: list[Parameter] = []
        for index, raw_param in enumerate(raw or ()):
            param_where = f"{where}.parameters.{index}"
            node, node_file = self.documents.follow(raw_param, base, param_where)
            if not isinstance(node, dict) or node.get("in") not in _LOCATIONS or "name" not in node:
                self.problems.append(f"{param_where}: parameter without a valid name/in, skipped")
                continue
            schema = node.get("schema")
            style = str(node.get("style") or _DEFAULT_STYLE.get(node["in"], "form"))
            resolve = partial(self._example, base=node_file, where=param_where)
            examples = example_values(node, resolve)
            if schema is None and isinstance(node.get("content"), dict) and node["content"]:
                media = next(iter(node["content"].values()))
                media = media if isinstance(media, dict) else {}
                schema = media.get("schema")
                examples = examples or example_values(media, resolve)
                style = "json"  # the value serialised as its media type says (JSON in practice)
            params.append(
                Parameter(
                    name=str(node["name"]),
                    location=node["in"],
                    required=bool(node.get("required", node["in"] == "path")),
                    schema=self.registry.normalise(schema, node_file, f"{param_where}.schema")
                    if schema is not None
                    else None,
                    examples=examples,
                    deprecated=bool(node.get("deprecated", False)),
                    style=style,
                    explode=bool(node.get("explode", style == "form")),
                )
            )
        return params

    def _example(self, entry: Any, base: Path, where: str) -> Any:
        node, _ = self.documents.follow(entry, base, f"{where}.examples")
        return node

    def _content(self, raw: Any, base: Path, where: str) -> tuple[MediaType, ...]:
        if not isinstance(raw, dict):
            return ()
        media_types: list[MediaType] = []
        for media_type, node in raw.items():
            node = node if isinstance(node, dict) else {}
            schema = node.get("schema")
            media_types.append(
                MediaType(
                    media_type=str(media_type),
                    schema=self.registry.normalise(schema, base, f"{where}.{media_type}.schema")
                    if schema is not None
                    else None,
                    examples=example_values(node, partial(self._example, base=base, where=where)),
                    encoding=_encoding(node.get("encoding")),
                )
            )
        return tuple(media_types)

    def _request_body(self, raw: Any, base: Path, where: str) -> RequestBody | None:
        if raw is None:
            return None
        node, node_file = self.documents.follow(raw, base, f"{where}.requestBody")
        if not isinstance(node, dict):
            return None
        return RequestBody(
            required=bool(node.get("required", False)),
            content=self._content(node.get("content"), node_file, f"{where}.requestBody.content"),
        )

    def _responses(self, raw: Any, base: Path, where: str) -> tuple[Response, ...]:
        if not isinstance(raw, dict):
            self.problems.append(f"{where}: no responses documented")
            return ()
        responses: list[Response] = []
        for status, raw_response in raw.items():
            resp_where = f"{where}.responses.{status}"
            node, node_file = self.documents.follow(raw_response, base, resp_where)
            if not isinstance(node, dict):
                continue
            responses.append(
                Response(
                    status=str(status),
                    description=text(node.get("description")),
                    content=self._content(node.get("content"), node_file, f"{resp_where}.content"),
                    headers=tuple(str(h) for h in node.get("headers") or ()),
                    links=self._links(node.get("links"), node_file, resp_where),
                )
            )
        return tuple(responses)

    def _links(self, raw: Any, base: Path, where: str) -> tuple[Link, ...]:
        if not isinstance(raw, dict):
            return ()
        links: list[Link] = []
        for name, raw_link in raw.items():
            node, _ = self.documents.follow(raw_link, base, f"{where}.links.{name}")
            if not isinstance(node, dict):
                continue
            links.append(
                Link(
                    name=str(name),
                    operation_id=node.get("operationId"),
                    operation_ref=node.get("operationRef"),
                    parameters=dict(node.get("parameters") or {}),
                    request_body=node.get("requestBody"),
                )
            )
        return tuple(links)


# OpenAPI's default style by location (`explode` defaults to true for `form` only)
_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def _encoding(raw: Any) -> tuple[tuple[str, str, bool], ...]:
    """A media type's `encoding` map -> (property, style, explode) for the properties that set a
    style (form bodies: Stripe's spec asks for `deepObject`). OpenAPI's defaults: `form`, and
    `explode` true for `form` only."""
    if not isinstance(raw, dict):
        return ()
    found = []
    for name, node in raw.items():
        if isinstance(node, dict) and isinstance(node.get("style"), str):
            style = node["style"]
            found.append((str(name), style, bool(node.get("explode", style == "form"))))
    return tuple(found)
