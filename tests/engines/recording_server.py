"""A throwaway HTTP server on 127.0.0.1 (or another loopback address) that records what it
receives and answers JSON (200, or what `status_for(method, path)` says; `{"ok": true}`, or what
`document_for(method, path)` says; with the headers `headers_for(method, path)` adds)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType


@dataclass(frozen=True, slots=True)
class Received:
    method: str
    path: str
    authorization: str | None
    body: bytes
    content_type: str | None = None
    user_agent: str | None = None
    at: float = 0.0  # time.monotonic() when it came
    headers: tuple[tuple[str, str], ...] = ()  # every header, as sent


class RecordingServer:
    """`with RecordingServer() as server:` then point an engine at `server.base_url`.
    `received`: each request's method, path, Authorization header, body, Content-Type,
    User-Agent and all its headers."""

    def __init__(
        self,
        status_for: Callable[[str, str], int] | None = None,
        document_for: Callable[[str, str], object] | None = None,
        headers_for: Callable[[str, str], dict[str, str]] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.received: list[Received] = []
        answer = status_for or (lambda _method, _path: 200)
        document = document_for or (lambda _method, _path: {"ok": True})
        extra_headers = headers_for or (lambda _method, _path: {})
        lock = threading.Lock()
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else b""
                with lock:
                    received.append(
                        Received(
                            self.command,
                            self.path,
                            self.headers.get("Authorization"),
                            sent,
                            self.headers.get("Content-Type"),
                            self.headers.get("User-Agent"),
                            time.monotonic(),
                            tuple(self.headers.items()),
                        )
                    )
                status = answer(self.command, self.path)
                body = (
                    b"" if status == 204 else json.dumps(document(self.command, self.path)).encode()
                )
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in extra_headers(self.command, self.path).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            # CONNECT too: as a proxy, it records what a client would tunnel elsewhere
            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_CONNECT = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer((host, 0), Handler)  # a loopback address
        self._server.daemon_threads = True
        self.base_url = f"http://{host}:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[tuple[str, str]]:
        """(method, path) of each request, in arrival order."""
        return [(request.method, request.path) for request in self.received]

    def __enter__(self) -> RecordingServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
