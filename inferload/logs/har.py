"""HAR 1.2 files (browser or proxy recordings) -> canonical records.

A HAR is one client's recording, so all its entries share the file's client key. A browser
records every host a page calls (fonts, analytics, CDNs): only the API's host is kept, the one
the spec's servers name, else the one the recording calls most; the rest are dropped and
counted. Entries without `startedDateTime` (hand-written HARs) are placed one second apart, in
file order, next to the timed entries around them, and the report notes it.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import polars as pl

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.logs.parse import OTHER_HOST, RECORD_SCHEMA


def read_har(
    path: Path, source: int, api_hosts: frozenset[str] = frozenset(), name: str | None = None
) -> tuple[pl.DataFrame, list[str]]:
    """The records of a HAR file and notes about what had to be assumed. `api_hosts`: the
    hosts (lower case, no port) the spec's servers name; empty, the busiest host is the API's.
    `name`: the input as the user gave it, for messages (a spooled pipe's copy has another)."""
    name = name or str(path)
    try:
        document = json.loads(path.read_bytes())
    except json.JSONDecodeError as exc:
        raise InferloadError(
            ErrorKind.SYNTAX,
            f"invalid HAR JSON: {exc.msg}",
            location=Location(name, exc.lineno),
        ) from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise InferloadError(
            ErrorKind.INVALID, "not a HAR file (no log.entries)", location=Location(name)
        )
    rows = [_row(entry, index, source, name) for index, entry in enumerate(entries)]
    hosts = [_host(entry) for entry in entries]
    notes = _keep_api_host(rows, hosts, name, api_hosts) + _place_untimed(rows, name)
    return pl.DataFrame(rows, schema=RECORD_SCHEMA, orient="row"), notes


def _keep_api_host(
    rows: list[dict[str, Any]], hosts: list[str], name: str, api_hosts: frozenset[str]
) -> list[str]:
    """Entries to other hosts than the API's are marked (then dropped and counted as such)."""
    readable = [
        (row, host) for row, host in zip(rows, hosts, strict=True) if row["malformed"] is None
    ]
    called = Counter(host for _, host in readable)
    if len(called) <= 1 and not api_hosts:
        return []
    named_hosts = sorted(host for host in called if host) or [""]  # an entry naming none: last
    kept = api_hosts or {max(named_hosts, key=lambda host: called[host])}
    others = {host: count for host, count in called.items() if host not in kept}
    for row, host in readable:
        if host not in kept:
            row["malformed"] = OTHER_HOST
    if not others:
        return []
    named = ", ".join(f"{host or '(none)'} {count}" for host, count in sorted(others.items()))
    why = "the spec's servers" if api_hosts else "the busiest"
    hosts_kept = ", ".join(host or "(none)" for host in sorted(kept))
    return [f"{name}: kept the calls to {hosts_kept} ({why}); dropped {named}"]


def _place_untimed(rows: list[dict[str, Any]], name: str) -> list[str]:
    """Entries without a time go 1 s after the entry before them, those before the first timed
    entry 1 s apart up to it: the recording stays one session in its own time (leading
    untimed entries used to land in 1970, a session of their own)."""
    untimed = [row for row in rows if row["ts"] is None and row["malformed"] is None]
    if not untimed:
        return []
    first_timed = next((i for i, row in enumerate(rows) if row["ts"] is not None), None)
    clock = 0.0
    if first_timed is not None:
        leading = sum(1 for row in rows[:first_timed] if row["malformed"] is None)
        clock = rows[first_timed]["ts"] - leading - 1.0
    for row in rows:
        if row["ts"] is None and row["malformed"] is None:
            row["ts"] = clock = clock + 1.0
        elif row["ts"] is not None:
            clock = row["ts"]
    return [f"{name}: entries without startedDateTime placed 1 s apart"]


def _row(entry: Any, index: int, source: int, name: str) -> dict[str, Any]:
    request = entry.get("request") if isinstance(entry, dict) else None
    if not isinstance(request, dict) or "url" not in request or "method" not in request:
        return {**_empty(source, index), "malformed": "HAR entry without request method and url"}
    headers = {
        str(h.get("name", "")).lower(): str(h.get("value", ""))
        for h in request.get("headers") or ()
        if isinstance(h, dict)
    }
    url = str(request["url"])
    parts = urlsplit(url)
    response = entry.get("response") or {}
    status = response.get("status")
    return {
        **_empty(source, index),
        "ts": _timestamp(entry.get("startedDateTime")),
        "client_ip": f"har:{name}",
        "identity": f"har:{name}",  # one recording, one client, whatever headers it carried
        "user_agent": headers.get("user-agent"),
        "method": str(request["method"]).upper(),
        "path": parts.path or "/",
        # as a log line's: "" for a bare `?`, null for none (a `?` after `#` is the fragment's)
        "query": parts.query if "?" in url.partition("#")[0] else None,
        "status": int(status) if isinstance(status, int) and status > 0 else 200,
        "request_time_ms": float(entry["time"])
        if isinstance(entry.get("time"), int | float)
        else None,
        "authorization": headers.get("authorization"),
        "cookie": headers.get("cookie"),
    }


def _empty(source: int, index: int) -> dict[str, Any]:
    return {column: None for column in RECORD_SCHEMA} | {"source": source, "line_no": index + 1}


def _host(entry: Any) -> str:
    """The host an entry called, lower case ("" when it names none)."""
    request = entry.get("request") if isinstance(entry, dict) else None
    url = request.get("url") if isinstance(request, dict) else None
    return (urlsplit(str(url)).hostname or "").lower() if url is not None else ""


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
