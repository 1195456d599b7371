"""Build the catalog's operations from a Swagger 2.0 document, in OpenAPI 3 terms.

Body parameters become request bodies (one media type per `consumes`), formData parameters
become a form body with an object schema, and `produces` gives each response its media types.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferload.spec.common import (
    check_path_parameters,
    merge_parameters,
    operation_fields,
    text,
)
from inferload.spec.documents import DocumentSet
from inferload.spec.model import (
    HTTP_METHODS,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    SecurityScheme,
)
from inferload.spec.schemas import SchemaRegistry
from inferload.spec.servers import servers_from_swagger2

# Parameter fields that describe the value, i.e. the schema of a non-body parameter.
_VALUE_FIELDS = (
    "type",
    "format",
    "items",
    "enum",
    "default",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "multipleOf",
)
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# Swagger 2.0's `collectionFormat` -> OpenAPI 3's (style, explode); `csv` is the default
_STYLES = {
    "csv": ("form", False),
    "multi": ("form", True),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "tsv": ("tabDelimited", False),
}


class Swagger2Builder:
    def __init__(self, documents: DocumentSet, registry: SchemaRegistry, problems: list[str]):
        self.documents = documents
        self.registry = registry
        self.problems = problems
        self.document: dict[str, Any] = documents.root_document
        self.root = documents.root

    def security_schemes(self) -> dict[str, SecurityScheme]:
        schemes: dict[str, SecurityScheme] = {}
        for key, node in (self.document.get("securityDefinitions") or {}).items():
            if not isinstance(node, dict):
                continue
            kind = node.get("type")
            flow = node.get("flow")
            schemes[str(key)] = SecurityScheme(
                key=str(key),
                type="http" if kind == "basic" else str(kind),
                scheme="basic" if kind == "basic" else None,
                location=node.get("in"),
                parameter_name=node.get("name"),
                flows=(str(flow),) if flow else (),
                token_url=node.get("tokenUrl"),
                description=text(node.get("description")),
            )
        return schemes

    def operations(self, schemes: dict[str, SecurityScheme]) -> list[Operation]:
        bases = tuple(dict.fromkeys(s.base_path for s in servers_from_swagger2(self.document)))
        consumes = self.document.get("consumes") or ["application/json"]
        produces = self.document.get("produces") or ["application/json"]
        default_security = self.document.get("security", [])
        operations: list[Operation] = []
        for path, raw_item in (self.document.get("paths") or {}).items():
            path = str(path)
            where = f"paths.{path}"
            item, item_file = self.documents.follow(raw_item, self.root, where)
            if not isinstance(item, dict):
                continue
            item_raw_params = self._raw_parameters(item.get("parameters"), item_file, where)
            for method in HTTP_METHODS:
                raw_op = item.get(method)
                if not isinstance(raw_op, dict):
                    continue
                op_where = f"{where}.{method}"
                raw_params = self._raw_parameters(raw_op.get("parameters"), item_file, op_where)
                merged = {(p["name"], p["in"]): p for p in item_raw_params + raw_params}
                op_consumes = raw_op.get("consumes") or consumes
                params = merge_parameters(
                    [],
                    [
                        self._parameter(p, item_file)
                        for p in merged.values()
                        if p["in"] not in ("body", "formData")
                    ],
                )
                operations.append(
                    Operation(
                        **operation_fields(
                            raw_op, method, path, default_security, schemes, op_where, self.problems
                        ),
                        base_paths=bases,
                        parameters=check_path_parameters(
                            method.upper(), path, params, self.problems
                        ),
                        request_body=self._request_body(
                            list(merged.values()), op_consumes, item_file, op_where
                        ),
                        responses=self._responses(
                            raw_op.get("responses"),
                            raw_op.get("produces") or produces,
                            item_file,
                            op_where,
                        ),
                    )
                )
        return operations

    def _raw_parameters(self, raw: Any, base: Path, where: str) -> list[dict[str, Any]]:
        params: list[dict[str, Any]] = []
        for index, raw_param in enumerate(raw or ()):
            node, _ = self.documents.follow(raw_param, base, f"{where}.parameters.{index}")
            if isinstance(node, dict) and "name" in node and "in" in node:
                params.append(node)
            else:
                self.problems.append(
                    f"{where}.parameters.{index}: parameter without name/in, skipped"
                )
        return params

    def _parameter(self, node: dict[str, Any], base: Path) -> Parameter:
        schema = {k: node[k] for k in _VALUE_FIELDS if k in node}
        examples = (node["x-example"],) if "x-example" in node else ()
        style, explode = _STYLES.get(str(node.get("collectionFormat", "csv")), _STYLES["csv"])
        return Parameter(
            name=str(node["name"]),
            location=node["in"],
            required=bool(node.get("required", node["in"] == "path")),
            schema=self.registry.normalise(schema, base, f"parameters.{node['name']}")
            if schema
            else None,
            examples=examples,
            style=style,
            explode=explode,
        )

    def _request_body(
        self, params: list[dict[str, Any]], consumes: list[str], base: Path, where: str
    ) -> RequestBody | None:
        body = next((p for p in params if p["in"] == "body"), None)
        if body is not None:
            schema = self.registry.normalise(body.get("schema"), base, f"{where}.body.schema")
            return RequestBody(
                required=bool(body.get("required", False)),
                content=tuple(MediaType(media_type=str(mt), schema=schema) for mt in consumes),
            )
        form = [p for p in params if p["in"] == "formData"]
        if not form:
            return None
        has_file = any(p.get("type") == "file" for p in form)
        form_types = [mt for mt in consumes if mt in _FORM_TYPES] or [
            "multipart/form-data" if has_file else "application/x-www-form-urlencoded"
        ]
        schema = {
            "type": "object",
            "properties": {p["name"]: {k: p[k] for k in _VALUE_FIELDS if k in p} for p in form},
            "required": [p["name"] for p in form if p.get("required")],
        }
        return RequestBody(
            required=bool(schema["required"]),
            content=tuple(MediaType(media_type=mt, schema=schema) for mt in form_types),
        )

    def _responses(
        self, raw: Any, produces: list[str], base: Path, where: str
    ) -> tuple[Response, ...]:
        if not isinstance(raw, dict):
            self.problems.append(f"{where}: no responses documented")
            return ()
        responses: list[Response] = []
        for status, raw_response in raw.items():
            resp_where = f"{where}.responses.{status}"
            node, node_file = self.documents.follow(raw_response, base, resp_where)
            if not isinstance(node, dict):
                continue
            content: tuple[MediaType, ...] = ()
            if node.get("schema") is not None:
                schema = self.registry.normalise(node["schema"], node_file, f"{resp_where}.schema")
                examples = node.get("examples") or {}
                content = tuple(
                    MediaType(
                        media_type=str(mt),
                        schema=schema,
                        examples=(examples[mt],) if mt in examples else (),
                    )
                    for mt in produces
                )
            responses.append(
                Response(
                    status=str(status),
                    description=text(node.get("description")),
                    content=content,
                    headers=tuple(str(h) for h in node.get("headers") or ()),
                )
            )
        return tuple(responses)
