"""A cookie-session API, end to end with both engines: Overseerr signs in at `POST /auth/local`
(email and password), answers with a `connect.sid` cookie, and accepts nothing secured
without it. Each session must sign in first, carry the cookie its own login set (never
another session's), and send nothing more after signing out."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import SPECS
from tests.engines.runs import run_sessions

pytestmark = pytest.mark.engines
OVERSEERR = SPECS / "overseerr-cookie-auth" / "overseerr-api.yml"
EMAIL, PASSWORD = "admin@overseerr.test", "s3cret pass"
PREFIX = "/api/v1"


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    sid: str | None  # the connect.sid cookie it carried
    status: int


class CookieSessionServer:
    """Signs in at POST /auth/local with the right credentials (a fresh session id per login,
    set as a cookie), signs out at POST /auth/logout (the id is dropped), and answers 401 to
    anything else without a live session id."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.live: set[str] = set()
        lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                sent = self.rfile.read(length) if length else b""
                jar = SimpleCookie(self.headers.get("Cookie") or "")
                sid = jar["connect.sid"].value if "connect.sid" in jar else None
                path = self.path.split("?", 1)[0].removeprefix(PREFIX)
                cookie = None
                with lock:
                    if self.command == "POST" and path == "/auth/local":
                        body = json.loads(sent or b"{}")
                        status = 200 if (body.get("email"), body.get("password")) == (EMAIL, PASSWORD) else 401  # fmt: skip
                        if status == 200:
                            cookie = f"connect.sid={uuid.uuid4().hex}; Path=/; HttpOnly"
                            server.live.add(cookie.split(";")[0].split("=")[1])
                    elif sid not in server.live:
                        status = 401
                    else:
                        status = 200
                        if path == "/auth/logout":
                            server.live.discard(sid)
                    server.calls.append(Call(self.command, path, sid, status))
                payload = json.dumps({"id": 1, "email": EMAIL} if status == 200 else {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                if cookie:
                    self.send_header("Set-Cookie", cookie)
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> CookieSessionServer:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("overseerr")
    runner = CliRunner()
    inferred = runner.invoke(main, ["infer", "--spec", str(OVERSEERR), "-o", str(folder / "w.yaml")])  # fmt: skip
    assert inferred.exit_code == 0, inferred.output
    emitted = runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")])
    assert emitted.exit_code == 0, emitted.output
    return folder / "out"


@pytest.fixture
def server() -> Iterator[CookieSessionServer]:
    with CookieSessionServer() as running:
        yield running


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_each_session_signs_in_and_carries_its_own_cookie(
    engine: str, generated: Path, server: CookieSessionServer
) -> None:
    completed = run_sessions(
        engine, generated, 20, BASE_URL=server.base_url, THINK_SCALE="0",
        LOGIN_USERNAME=EMAIL, LOGIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    calls = server.calls
    logins = [c for c in calls if c.path == "/auth/local"]
    assert len(logins) == 20 and all(c.status == 200 for c in logins)
    assert not [c for c in calls if c.status != 200]  # no call without its session's cookie
    secured = [c for c in calls if c.path != "/auth/local"]
    assert len(secured) >= 40  # sessions browse on after signing in
    assert len({c.sid for c in secured}) <= 20  # one cookie per session, never another's
    by_session: dict[str | None, list[str]] = {}
    for call in secured:
        by_session.setdefault(call.sid, []).append(call.path)
    for paths in by_session.values():  # signing out is the last thing a session does
        assert "/auth/logout" not in paths[:-1], paths
