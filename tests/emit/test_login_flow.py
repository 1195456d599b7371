"""The login step of both engines' scripts, end to end: credentials go where the spec's login body
puts them (Conduit nests them: {"user": {"email", "password"}}), the token is found where the
response puts it (one level down: {"user": {"token"}}), and later requests carry it where the
security scheme says (Conduit: the Authorization header, as an apiKey)."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import engine_environment, find_artillery, find_k6
from tests.conftest import SPECS

pytestmark = pytest.mark.engines
USERNAME = "alice@example.test"
PASSWORD = 'p,w "1"'  # a comma and quotes: the body must still be valid JSON
TOKEN = "jwt.issued-by.the-test-server"


class ConduitDouble:
    """Answers the login with a nested token and everything else with `{}`; records each
    request's method, path, Authorization header and body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str | None, bytes]] = []
        recorded, lock = self.requests, threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with lock:
                    recorded.append(
                        (self.command, self.path, self.headers.get("Authorization"), body)
                    )
                login = self.path.endswith("/users/login")
                document = (
                    {"user": {"email": USERNAME, "token": TOKEN, "username": "alice"}}
                    if login
                    else {}
                )
                answer = json.dumps(document).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_GET = do_POST = do_PUT = do_DELETE = _answer

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ConduitDouble:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("conduit")
    runner = CliRunner()
    spec = SPECS / "realworld-conduit/openapi.yml"
    assert (
        runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(folder / "w.yaml")]).exit_code
        == 0
    )
    assert (
        runner.invoke(
            main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")]
        ).exit_code
        == 0
    )
    return folder / "out"


@pytest.fixture
def server() -> Iterator[ConduitDouble]:
    with ConduitDouble() as running:
        yield running


def assert_logged_in_flow(requests: list[tuple[str, str, str | None, bytes]]) -> None:
    logins = [
        body
        for method, path, _, body in requests
        if method == "POST" and path.endswith("/users/login")
    ]
    assert len(logins) >= 10, [r[:2] for r in requests[:20]]
    for body in logins:
        user = json.loads(body)["user"]
        assert (user["email"], user["password"]) == (USERNAME, PASSWORD)
    headers = {authorization for *_, authorization, _ in requests if authorization is not None}
    assert headers == {TOKEN}, headers  # the token found one level down, and nothing else sent
    after_login = [r for r in requests if not r[1].endswith("/users/login")]
    assert sum(1 for r in after_login if r[2] == TOKEN) >= 10


def test_k6_logs_in_with_nested_credentials_and_sends_the_nested_token(
    generated: Path, server: ConduitDouble
) -> None:
    completed = subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", "--no-thresholds", "script.js"],
        cwd=generated / "k6",
        env=engine_environment(BASE_URL=server.base_url, THINK_SCALE="0", SESSIONS="40",
                               LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD, SUMMARY_PATH="/dev/null"),
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert_logged_in_flow(server.requests)


def test_artillery_logs_in_with_nested_credentials_and_sends_the_nested_token(
    generated: Path, server: ConduitDouble
) -> None:
    completed = subprocess.run(
        [str(find_artillery()), "run",
         "--overrides", json.dumps({"config": {"phases": [{"duration": 2, "arrivalCount": 40}], "ensure": {}}}),
         "script.yml"],
        cwd=generated / "artillery",
        env=engine_environment(BASE_URL=server.base_url, THINK_SCALE="0",
                               LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD),
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert_logged_in_flow(server.requests)
