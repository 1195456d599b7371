"""A fast loopback HTTP/1.1 server for high-volume runs (thousands of sessions): asyncio,
keep-alive, records (method, raw path) and answers JSON with the status `status_for` picks,
after the delay `delay_for` picks; counts the connections clients opened and the values of one
request header."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Callable
from types import TracebackType


class FastRecordingServer:
    def __init__(
        self,
        status_for: Callable[[str, str], int] | None = None,
        delay_for: Callable[[str, str], float] | None = None,
        count_header: str | None = None,
    ) -> None:
        self.requests: list[tuple[str, str]] = []
        self._count_header = (count_header or "").lower()
        self.header_values: Counter[str | None] = Counter()  # of `count_header`, per request
        self._delay_for = delay_for or (lambda _m, _p: 0.0)
        self.connections = 0
        self._status_for = status_for or (lambda _m, _p: 200)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.base_url = ""

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        self._server = server
        self._ready.set()
        self._loop.run_forever()
        server.close()
        self._loop.run_until_complete(server.wait_closed())

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = 0
                counted = None
                for line in lines[1:]:
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif self._count_header and name.lower() == self._count_header:
                        counted = value.strip()
                if self._count_header:
                    self.header_values[counted] += 1
                if length:
                    await reader.readexactly(length)
                self.requests.append((method, path))
                delay = self._delay_for(method, path)
                if delay:
                    await asyncio.sleep(delay)
                status = self._status_for(method, path)
                body = b"" if status == 204 else b'{"ok": true}'
                writer.write(
                    f"HTTP/1.1 {status} OK\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except (
            asyncio.IncompleteReadError,
            ConnectionError,
            asyncio.LimitOverrunError,
            ValueError,
        ):
            pass
        finally:
            writer.close()

    def __enter__(self) -> FastRecordingServer:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
