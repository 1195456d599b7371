"""Pieces shared by the Swagger 2.0 and OpenAPI 3.x builders."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from inferload.spec.model import Operation, Parameter, SecurityScheme

_TEMPLATE_NAMES = re.compile(r"\{([^{}/]+)\}")


def synthesized_id(method: str, path: str) -> str:
    """A stable id for operations without operationId: what an engineer would write."""
    return f"{method.upper()} {path}"


def unique_operation_ids(operations: list[Operation], problems: list[str]) -> list[Operation]:
    """Duplicate operationIds break every later stage; keep the first, suffix the rest."""
    seen: dict[str, int] = {}
    result: list[Operation] = []
    for op in operations:
        count = seen.get(op.operation_id, 0)
        seen[op.operation_id] = count + 1
        if count:
            new_id = f"{op.operation_id}_{count + 1}"
            problems.append(
                f"{op.method} {op.path}: duplicate operationId {op.operation_id!r}, "
                f"using {new_id!r}"
            )
            op = replace(op, operation_id=new_id)
        result.append(op)
    return result


def check_path_parameters(
    method: str, path: str, parameters: Iterable[Parameter], problems: list[str]
) -> tuple[Parameter, ...]:
    """Every `{name}` in the template needs a path parameter; add the missing ones as strings."""
    params = list(parameters)
    declared = {p.name for p in params if p.location == "path"}
    in_template = _TEMPLATE_NAMES.findall(path)
    for name in in_template:
        if name not in declared:
            problems.append(f"{method} {path}: path parameter {{{name}}} is not declared")
            params.append(
                Parameter(name=name, location="path", required=True, schema={"type": "string"})
            )
    for name in declared - set(in_template):
        problems.append(f"{method} {path}: declares path parameter {name!r} absent from the path")
    return tuple(params)


def merge_parameters(path_level: list[Parameter], op_level: list[Parameter]) -> list[Parameter]:
    """Operation parameters override path-item parameters with the same name and location."""
    merged = {(p.name, p.location): p for p in path_level}
    merged.update({(p.name, p.location): p for p in op_level})
    return list(merged.values())


def security_requirements(
    raw: Any, schemes: dict[str, SecurityScheme], where: str, problems: list[str]
) -> tuple[dict[str, tuple[str, ...]], ...]:
    if not isinstance(raw, list):
        return ()
    requirements: list[dict[str, tuple[str, ...]]] = []
    for alternative in raw:
        if not isinstance(alternative, dict):
            continue
        requirement: dict[str, tuple[str, ...]] = {}
        for key, scopes in alternative.items():
            if key not in schemes:
                problems.append(f"{where}: security requirement names unknown scheme {key!r}")
            requirement[str(key)] = tuple(str(s) for s in scopes or ())
        requirements.append(requirement)
    return tuple(requirements)


def example_values(node: dict[str, Any], resolve_example: Any) -> tuple[Any, ...]:
    """`example` plus every `examples` entry's value (following `$ref`s via `resolve_example`)."""
    values: list[Any] = []
    if "example" in node:
        values.append(node["example"])
    examples = node.get("examples")
    if isinstance(examples, dict):
        for entry in examples.values():
            entry = resolve_example(entry)
            if isinstance(entry, dict) and "value" in entry:
                values.append(entry["value"])
    elif isinstance(examples, list):  # JSON Schema 2020-12 style, allowed in 3.1 schemas
        values.extend(examples)
    return tuple(values)


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def operation_fields(
    raw_op: dict[str, Any],
    method: str,
    path: str,
    default_security: Any,
    schemes: dict[str, SecurityScheme],
    where: str,
    problems: list[str],
) -> dict[str, Any]:
    """The `Operation` fields Swagger 2.0 and OpenAPI 3 express alike."""
    operation_id = raw_op.get("operationId")
    return {
        "operation_id": str(operation_id) if operation_id else synthesized_id(method, path),
        "method": method.upper(),
        "path": path,
        "summary": text(raw_op.get("summary")),
        "security": security_requirements(
            raw_op.get("security", default_security), schemes, where, problems
        ),
        "tags": tuple(str(t) for t in raw_op.get("tags") or ()),
        "deprecated": bool(raw_op.get("deprecated", False)),
        "has_synthesized_id": not operation_id,
    }
