"""An ASGI middleware writing an nginx-style access log: combined format plus $request_time.

$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
"$http_referer" "$http_user_agent" $request_time
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def clf_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return (
        f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def _quoted(value: str) -> str:
    """nginx escapes quotes and control bytes as \\xHH inside quoted fields."""
    return "".join(c if c >= " " and c not in '"\\' else f"\\x{ord(c):02X}" for c in value) or "-"


class AccessLog:
    def __init__(self, app: Any, path: Path) -> None:
        self.app = app
        self._file = path.open("a", buffering=1, encoding="utf-8")
        self._lock = threading.Lock()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.time()
        started = time.perf_counter()
        state = {"status": 500, "bytes": 0}

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                state["status"] = message["status"]
            elif message["type"] == "http.response.body":
                state["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            target = scope.get("raw_path", scope["path"].encode()).decode("latin-1")
            if scope.get("query_string"):
                target += "?" + scope["query_string"].decode("latin-1")
            client = scope.get("client") or ("-", 0)
            line = (
                f"{client[0]} - - [{clf_time(began)}] "
                f'"{scope["method"]} {_quoted(target)} HTTP/{scope.get("http_version", "1.1")}" '
                f'{state["status"]} {state["bytes"]} "{_quoted(headers.get("referer", ""))}" '
                f'"{_quoted(headers.get("user-agent", ""))}" {time.perf_counter() - started:.3f}\n'
            )
            with self._lock:
                self._file.write(line)

    def close(self) -> None:
        self._file.close()
