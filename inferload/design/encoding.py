"""Request bodies as the wire carries them.

JSON bodies stay values in the plan: the scripts serialise them, and fill a login's credentials
in by path. Form bodies (`application/x-www-form-urlencoded`: Stripe's whole API, OAuth2 token
endpoints) and multipart bodies are encoded here, once, into the exact text each request sends;
sent as JSON under a form content type, no server could read them.

Form fields follow the spec's `encoding` where it sets a style, else OpenAPI's default (`form`,
exploded): an array repeats its key (`tag=a&tag=b`), or joins its items with commas when not
exploded. `deepObject` writes nested keys in brackets (`metadata[plan]=pro`, `expand[0]=customer`),
as Stripe asks. A nested object with no style written gets brackets too: OpenAPI defines no
other form for it, and web frameworks (Rails, PHP, Express's `qs`) read brackets.

Markers (`{{unique}}`, `{{callback}}` and a login's credential markers) pass through
unescaped: the scripts replace them, with values that need no escaping or that they escape
themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal
from urllib.parse import quote

FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
BOUNDARY = "----FormBoundary7MA4YWxkTrZu0gW"
UNIQUE = "{{unique}}"  # in a body: replaced by a value unique per request
USERNAME = "{{username}}"
PASSWORD = "{{password}}"
CALLBACK = "{{callback}}"  # an address the server may call: replaced by CALLBACK_URL (`outbound`)
_MARKERS = re.compile(
    "(" + "|".join(re.escape(m) for m in (UNIQUE, USERNAME, PASSWORD, CALLBACK)) + ")"
)
Encoding = Literal["json", "form", "multipart", "text"]
Styles = dict[str, tuple[str, bool]]  # property -> (style, explode)


def encoding_of(media_type: str) -> Encoding:
    """How a body of `media_type` is written: by the type's essence (`application/vnd.x+json` is
    JSON; parameters such as `charset` do not matter)."""
    essence = media_type.split(";")[0].strip().lower()
    if essence == FORM:
        return "form"
    if essence == MULTIPART:
        return "multipart"
    if essence.endswith("/json") or essence.endswith("+json"):
        return "json"
    return "text"


def header_for(media_type: str) -> str:
    """The Content-Type header a body of `media_type` is sent with: multipart names its
    boundary (a multipart body without one cannot be split into its parts)."""
    return (
        f"{MULTIPART}; boundary={BOUNDARY}"
        if encoding_of(media_type) == "multipart"
        else media_type
    )


def encode(value: Any, media_type: str, styles: Styles, files: frozenset[str]) -> Any:
    """`value` as the body of `media_type`: form and multipart values become their text, others
    are returned as they are (`files`: multipart properties sent as file parts)."""
    kind = encoding_of(media_type)
    if kind == "form" and isinstance(value, dict):
        return form_text(value, styles)
    if kind == "multipart" and isinstance(value, dict):
        return multipart_text(value, files)
    return value


def form_text(value: dict[str, Any], styles: Styles) -> str:
    pairs: list[tuple[str, str]] = []
    for name, item in value.items():
        style, explode = styles.get(name, ("form", True))
        if style == "deepObject" or isinstance(item, dict):
            pairs += [(_joined(path), text) for path, text in _bracketed((name,), item)]
        elif isinstance(item, list) and not explode:
            delimiter = {"spaceDelimited": " ", "pipeDelimited": "|"}.get(style, ",")
            pairs.append((name, delimiter.join(scalar_text(x) for x in item if x is not None)))
        elif isinstance(item, list):
            pairs += [(name, scalar_text(x)) for x in item if x is not None]
        elif item is not None:
            pairs.append((name, scalar_text(item)))
    return "&".join(f"{_escape(key)}={_escape(text)}" for key, text in pairs)


def query_text(name: str, value: Any, style: str, explode: bool) -> str:
    """A query parameter's value as its `style` writes it, percent-encoded (markers kept): an
    array `tag=a&tag=b` (form, exploded) or `tag=a,b`, an object `color=red&size=3` (form,
    exploded), `filter=color,red,size,3` or `filter[color]=red` (deepObject); `json` for a
    parameter the spec gives as `content`. The delimiters stay literal, as OpenAPI writes them."""
    if style == "json":
        return f"{_escape(name)}={_escape(json.dumps(value))}"
    if style == "deepObject" and isinstance(value, dict):  # brackets literal, as OpenAPI writes
        return "&".join(
            _escape(path[0])
            + "".join(f"[{_escape(key)}]" for key in path[1:])
            + f"={_escape(text)}"
            for path, text in _bracketed((name,), value)
        )
    if isinstance(value, dict):
        pairs = [(str(key), item) for key, item in value.items() if item is not None]
        if explode and style == "form":
            return "&".join(f"{_escape(key)}={_escape(scalar_text(item))}" for key, item in pairs)
        items = [part for pair in pairs for part in (pair[0], scalar_text(pair[1]))]
    elif isinstance(value, list):
        items = [scalar_text(item) for item in value if item is not None]
        if explode:
            return "&".join(f"{_escape(name)}={_escape(item)}" for item in items)
    else:
        return f"{_escape(name)}={_escape(scalar_text(value))}"
    delimiter = _DELIMITERS.get(style, ",")
    return f"{_escape(name)}=" + delimiter.join(_escape(item) for item in items)


# between an array's items when not exploded (a space and a tab percent-encoded)
_DELIMITERS = {"form": ",", "spaceDelimited": "%20", "pipeDelimited": "|", "tabDelimited": "%09"}


def _bracketed(path: tuple[str, ...], value: Any) -> list[tuple[tuple[str, ...], str]]:
    """(key path, text) for each leaf of `value`: `metadata` -> (`metadata`, `plan`), `pro`;
    a form writes the path `metadata[plan]` and escapes it whole, a query keeps the brackets."""
    if isinstance(value, dict):
        return [pair for sub, item in value.items() for pair in _bracketed((*path, str(sub)), item)]
    if isinstance(value, list):
        return [pair for i, item in enumerate(value) for pair in _bracketed((*path, str(i)), item)]
    return [] if value is None else [(path, scalar_text(value))]


def _joined(path: tuple[str, ...]) -> str:
    """`('metadata', 'plan')` -> `metadata[plan]`."""
    return path[0] + "".join(f"[{key}]" for key in path[1:])


def multipart_text(value: dict[str, Any], files: frozenset[str]) -> str:
    """One part per property: files as `application/octet-stream` with a file name, objects
    and arrays as JSON (OpenAPI's default content type for them), the rest as text."""
    parts = []
    for name, item in value.items():
        if item is None:
            continue
        field = _quoted(name)
        if name in files:
            head = (
                f'Content-Disposition: form-data; name="{field}"; filename="{field}.bin"\r\n'
                "Content-Type: application/octet-stream"
            )
            text = scalar_text(item)
        elif isinstance(item, dict | list):
            head = (
                f'Content-Disposition: form-data; name="{field}"\r\nContent-Type: application/json'
            )
            text = json.dumps(item)
        else:
            head, text = f'Content-Disposition: form-data; name="{field}"', scalar_text(item)
        parts.append(f"--{BOUNDARY}\r\n{head}\r\n\r\n{text}\r\n")
    return "".join(parts) + f"--{BOUNDARY}--\r\n"


def as_written(value: Any, kind: Encoding) -> str:
    """One field's value as a body of `kind` writes it (markers kept)."""
    return _escape(scalar_text(value)) if kind == "form" else scalar_text(value)


def scalar_text(value: Any) -> str:
    """A value as a query, form or header writes it: `true`, not Python's `True`; objects and
    arrays as JSON."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _escape(text: str) -> str:
    """Percent-encoding as JavaScript's `encodeURIComponent` does it (the scripts encode the
    credentials they put in the same way), markers kept as they are."""
    return "".join(
        part if _MARKERS.fullmatch(part) else quote(part, safe="!*'()")
        for part in _MARKERS.split(text)
    )


def _quoted(name: str) -> str:
    """A part's name inside its quoted header value (no quote or line break can end it)."""
    return name.replace("\\", "\\\\").replace('"', '\\"').replace("\r", " ").replace("\n", " ")
