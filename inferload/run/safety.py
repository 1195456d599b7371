"""Where load may go: loopback always, other hosts only when the team lists them.

A load test aimed at production by mistake is an outage. Staging hosts are allowed one by one
(`--allow-host` or `allow_hosts` in targets.yaml); everything else is refused before the engine
starts, with the reason.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from inferload.errors import ErrorKind, InferloadError, Location

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_target(url: str, allow_hosts: Iterable[str], *, option: str = "--base-url") -> str:
    """The URL's host if load may go there; otherwise a clear refusal (exit 2). A URL with
    credentials (`http://user:secret@host`) is refused too: the URL is written to the results'
    manifest, the report and the console, and no secret may land there."""
    authority = url.split("://", 1)[-1].split("/", 1)[0]  # with or without a scheme
    if "@" in authority:
        raise InferloadError(
            ErrorKind.INVALID,
            "the URL holds credentials (user:password@), which would be written to the results "
            "and the report",
            location=Location(option),
            hint="pass them as --env LOGIN_USERNAME=... --env LOGIN_PASSWORD=..., which the "
            "scripts' basic auth and login step read"
            if option == "--base-url"
            else "give the URL without them",
        )
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InferloadError(
            ErrorKind.INVALID,
            f"{url!r} is not an http(s) URL",
            location=Location(option),
            hint="for example http://127.0.0.1:8800",
        )
    host = parts.hostname
    allowed = {name.strip().lower() for name in allow_hosts}
    if is_loopback(host) or host.lower() in allowed:
        return host
    raise InferloadError(
        ErrorKind.INVALID,
        f"refusing to send load to {host}: it is not a loopback address",
        location=Location(option),
        hint=f"load tests belong on staging, never production; if {host} is a test environment, "
        f"pass --allow-host {host} or list it under allow_hosts in targets.yaml",
    )
