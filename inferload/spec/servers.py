"""Server URLs -> the base paths that prefix operation paths in real traffic.

`https://api.example.com/v1` serves `/pets` at `/v1/pets`; logs show the latter. Server
variables take their default, except in the path part where each enum value is a base path of
its own (`/{version}` with enum [v1, v2] serves both).
"""

from __future__ import annotations

import itertools
import re
from typing import Any
from urllib.parse import urlsplit

from inferload.spec.model import Server

_VARIABLE = re.compile(r"\{([^{}]+)\}")
# A server URL written without its scheme (`localhost:8080/api`, `api.example.com/v1`): its
# first segment is a host, not part of the path. A bare word (`v1`, `TODO`) stays a path.
_SCHEMELESS_HOST = re.compile(
    r"(?:localhost|\d{1,3}(?:\.\d{1,3}){3}|(?:[a-z0-9-]+\.)+[a-z]{2,}|\[[0-9a-f:.]+\]|[a-z0-9.-]+(?=:\d))"
    r"(?::\d{1,5})?(?=/|$)",
    re.IGNORECASE,
)


def normalise_base_path(path: str) -> str:
    """`/api/v3/` -> `/api/v3`; the root is the empty string so it can prefix any path."""
    path = "/" + path.strip("/")
    return "" if path == "/" else path


def servers_from_openapi3(
    raw_servers: Any, problems: list[str] | None = None
) -> tuple[Server, ...]:
    """`problems`, when given, gets the URLs relative to where the document is served (`TODO`,
    `v1`: neither absolute, nor a path, nor a host without its scheme). inferload does not know
    that place: they are read as a path from the root, and said, since a placeholder left in a
    spec makes every request miss."""
    if not isinstance(raw_servers, list) or not raw_servers:
        return (Server(url="/", base_path=""),)
    servers: list[Server] = []
    for index, raw in enumerate(raw_servers):
        if not isinstance(raw, dict) or not isinstance(raw.get("url"), str):
            continue
        for url in _expand_variables(raw["url"], raw.get("variables") or {}):  # `{baseUrl}` too
            base_path = _base_path_of(url)
            servers.append(
                Server(url=url, base_path=base_path, description=str(raw.get("description", "")))
            )
            if problems is not None and _relative_to_document(url):
                problems.append(
                    f"servers.{index}.url {url!r} is relative to where the document is served: "
                    f"read as the base path {base_path or '/'} (BASE_PATH changes it in the scripts)"
                )
    return tuple(servers) or (Server(url="/", base_path=""),)


def _relative_to_document(url: str) -> bool:
    return (
        bool(url)
        and not url.startswith("/")
        and "://" not in url
        and not (_SCHEMELESS_HOST.match(url.split("?", 1)[0]))
    )


def servers_from_swagger2(document: dict[str, Any]) -> tuple[Server, ...]:
    base_path = str(document.get("basePath") or "/")
    host = document.get("host")
    schemes = document.get("schemes") or ["https"]
    if not host:
        return (Server(url=base_path, base_path=normalise_base_path(base_path)),)
    return tuple(
        Server(url=f"{scheme}://{host}{base_path}", base_path=normalise_base_path(base_path))
        for scheme in schemes
    )


def _base_path_of(url: str) -> str:
    if "://" in url or url.startswith("//"):
        return normalise_base_path(urlsplit(url).path)
    path = url.split("?", 1)[0]
    host = _SCHEMELESS_HOST.match(path)
    return normalise_base_path(path[host.end() :] if host else path)


def _expand_variables(url: str, variables: dict[str, Any]) -> list[str]:
    names = _VARIABLE.findall(url)
    if not names:
        return [url]
    path_start = _path_start(url)
    choices: list[list[str]] = []
    for match in _VARIABLE.finditer(url):
        spec = variables.get(match.group(1)) or {}
        default = str(spec.get("default", ""))
        enum = [str(v) for v in spec.get("enum") or []]
        in_path = match.start() >= path_start
        choices.append(enum if in_path and enum else [default])
    expanded: list[str] = []
    for values in itertools.product(*choices):
        pieces = _VARIABLE.split(url)  # literal, name, literal, name, ..., literal
        pieces[1::2] = values
        expanded.append("".join(pieces))
    return list(dict.fromkeys(expanded))


def _path_start(url: str) -> int:
    """Index where the path begins in a (possibly templated) URL."""
    scheme_end = url.find("://")
    if scheme_end < 0:
        return 0
    slash = url.find("/", scheme_end + 3)
    return slash if slash >= 0 else len(url)
