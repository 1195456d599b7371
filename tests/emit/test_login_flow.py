"""The login step of both engines' scripts, end to end: credentials go where the spec's login body
puts them (Conduit nests them: {"user": {"email", "password"}}), the token is found where the
response puts it (one level down: {"user": {"token"}}), and later requests carry it where the
security scheme says (Conduit: the Authorization header, as an apiKey)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import SPECS
from tests.engines.recording_server import Received, RecordingServer
from tests.engines.runs import run_sessions

pytestmark = pytest.mark.engines
USERNAME = "alice@example.test"
PASSWORD = 'p,w "1"'  # a comma and quotes: the body must still be valid JSON
TOKEN = "jwt.issued-by.the-test-server"


def conduit_answer(method: str, path: str) -> object:
    """The login answers with the token nested as Conduit does; everything else with `{}`."""
    return (
        {"user": {"email": USERNAME, "token": TOKEN, "username": "alice"}}
        if path.endswith("/users/login")
        else {}
    )


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
def server() -> Iterator[RecordingServer]:
    with RecordingServer(document_for=conduit_answer) as running:
        yield running


def assert_logged_in_flow(received: list[Received]) -> None:
    logins = [r.body for r in received if r.method == "POST" and r.path.endswith("/users/login")]
    assert len(logins) >= 10, [(r.method, r.path) for r in received[:20]]
    for body in logins:
        user = json.loads(body)["user"]
        assert (user["email"], user["password"]) == (USERNAME, PASSWORD)
    headers = {r.authorization for r in received if r.authorization is not None}
    assert headers == {TOKEN}, headers  # the token found one level down, and nothing else sent
    after_login = [r for r in received if not r.path.endswith("/users/login")]
    assert sum(1 for r in after_login if r.authorization == TOKEN) >= 10


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_the_engines_log_in_with_nested_credentials_and_send_the_nested_token(
    engine: str, generated: Path, server: RecordingServer
) -> None:
    completed = run_sessions(
        engine, generated, 40, BASE_URL=server.base_url, THINK_SCALE="0",
        LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert_logged_in_flow(server.received)
