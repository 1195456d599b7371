"""Small inline specs for unit tests: write a dict as YAML/JSON and return its path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml


def write_spec(folder: Path, document: dict[str, Any], name: str = "openapi.yaml") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if name.endswith(".json"):
        path.write_text(json.dumps(document))
    else:
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def openapi3(paths: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Test API", "version": "1"},
        "paths": paths,
        **top,
    }


def get(operation_id: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "responses": {"200": {"description": "ok"}}, **extra}


def path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
