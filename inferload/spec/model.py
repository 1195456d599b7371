"""The operation catalog: what the rest of inferload knows about an API.

These are the stage's typed outputs. They are frozen; the JSON-like payloads they carry
(`schema`, example values) are plain dicts and lists that callers must treat as read-only.
Schemas keep `{"$ref": key}` nodes whose keys index `Catalog.schemas`, so recursive schemas stay
finite (see `documents.py` for the key format).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

ParameterLocation = Literal["path", "query", "header", "cookie"]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    location: ParameterLocation
    required: bool
    schema: dict[str, Any] | None
    examples: tuple[Any, ...] = ()
    deprecated: bool = False
    # how a value is written (OpenAPI's `style`/`explode`; Swagger 2.0's `collectionFormat`;
    # `json` for a parameter given as `content`): an array or object in a query string is
    # `tag=a&tag=b`, `tag=a,b` or `filter[color]=red`, as the server reads it
    style: str = "form"
    explode: bool = True


@dataclass(frozen=True, slots=True)
class MediaType:
    media_type: str
    schema: dict[str, Any] | None
    examples: tuple[Any, ...] = ()
    # form and multipart bodies: property -> (style, explode) from the media type's `encoding`
    encoding: tuple[tuple[str, str, bool], ...] = ()


@dataclass(frozen=True, slots=True)
class RequestBody:
    required: bool
    content: tuple[MediaType, ...]


@dataclass(frozen=True, slots=True)
class Link:
    """An OpenAPI link: values of this response that feed another operation's parameters."""

    name: str
    operation_id: str | None
    operation_ref: str | None
    parameters: dict[str, Any]
    request_body: Any = None


@dataclass(frozen=True, slots=True)
class Response:
    status: str
    description: str
    content: tuple[MediaType, ...] = ()
    headers: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()

    @property
    def is_success(self) -> bool:
        return self.status.startswith("2") or self.status.upper() == "2XX"


@dataclass(frozen=True, slots=True)
class SecurityScheme:
    """A securitySchemes entry, normalised across Swagger 2.0 and OpenAPI 3.

    `type` is one of apiKey, http, oauth2, openIdConnect, mutualTLS. For apiKey, `location` and
    `parameter_name` say where the key travels (header, query or cookie).
    """

    key: str
    type: str
    scheme: str | None = None
    bearer_format: str | None = None
    location: str | None = None
    parameter_name: str | None = None
    flows: tuple[str, ...] = ()
    token_url: str | None = None
    description: str = ""


@dataclass(frozen=True, slots=True)
class Operation:
    """One callable operation. `security` is effective (document default already applied):
    a tuple of alternatives, each mapping scheme keys to scopes; `()` means no auth, and an
    empty mapping among the alternatives means auth is optional."""

    operation_id: str
    method: str
    path: str
    base_paths: tuple[str, ...]
    summary: str = ""
    parameters: tuple[Parameter, ...] = ()
    request_body: RequestBody | None = None
    responses: tuple[Response, ...] = ()
    security: tuple[dict[str, tuple[str, ...]], ...] = ()
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    has_synthesized_id: bool = False

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def path_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.location == "path")

    @property
    def success_statuses(self) -> tuple[str, ...]:
        return tuple(r.status for r in self.responses if r.is_success)


@dataclass(frozen=True, slots=True)
class Server:
    url: str
    base_path: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: str
    sha256: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """Everything inferload uses from a spec. Build it with `inferload.spec.load_catalog`."""

    title: str
    api_version: str
    openapi_version: str
    servers: tuple[Server, ...]
    operations: tuple[Operation, ...]
    security_schemes: dict[str, SecurityScheme]
    schemas: dict[str, Any]
    webhooks: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()
    sources: tuple[SourceFile, ...] = ()
    _by_id: dict[str, Operation] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        self._by_id.update((op.operation_id, op) for op in self.operations)

    def operation(self, operation_id: str) -> Operation:
        return self._by_id[operation_id]

    def has_operation(self, operation_id: str) -> bool:
        return operation_id in self._by_id

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (used by `inferload spec --json`)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.init}
        return _jsonable(data)  # type: ignore[no-any-return]


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init
        }
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def resolve_schema(catalog: Catalog, schema: Any) -> Any:
    """`schema` with its `$ref`s followed to the registered schema they name (a chain as far as
    20 links; a missing target reads as `{}`)."""
    for _ in range(20):
        if isinstance(schema, dict) and "$ref" in schema:
            schema = catalog.schemas.get(schema["$ref"]) or {}
        else:
            break
    return schema
