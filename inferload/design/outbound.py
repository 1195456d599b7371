"""Addresses a request hands the server: a subscription's callback URL, a webhook endpoint, an
image to fetch, a page to return to. The server may call them, at the test's rate: the spec's example
(`https://tonys-server.com`) would have the system under test send load to a host nobody
running the test owns. Each such value keeps its path, and its scheme and host become a marker
the scripts replace with `CALLBACK_URL` (a sink the team runs), else with a name under `.test`
that resolves nowhere (RFC 6761): the server's calls then fail at once, and go nowhere.
"""

from __future__ import annotations

import re
from typing import Any

from inferload.design.encoding import CALLBACK

# the scheme and authority of an absolute http(s) URL, the whole value being that URL
_ABSOLUTE = re.compile(r"(?i)^https?://[^/?#\s]*(?=[/?#]|$)(?=\S*$)")


def to_sink(value: Any, where: str, found: list[str]) -> Any:
    """`value` with each absolute http(s) URL in it (at any depth) pointed at the marker;
    `found` gets where each was, under `where` (`query.callbackUrl`, `body.webhook.url`,
    `body.hooks[0]`)."""
    if isinstance(value, str):
        head = _ABSOLUTE.match(value)
        if head is None:
            return value
        found.append(where)
        return CALLBACK + value[head.end() :]
    if isinstance(value, dict):
        return {key: to_sink(item, f"{where}.{key}", found) for key, item in value.items()}
    if isinstance(value, list):
        return [to_sink(item, f"{where}[{index}]", found) for index, item in enumerate(value)]
    return value
