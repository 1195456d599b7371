"""The login step of both engines' scripts, end to end: credentials go where the spec's login body
puts them (Conduit nests them: {"user": {"email", "password"}}), the token is found where the
response puts it (one level down: {"user": {"token"}}), and later requests carry it where the
security scheme says (Conduit: the Authorization header, as an apiKey). A session whose login
fails goes no further, as its user could not."""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.spec import load_catalog
from inferload.spec.matcher import Match, Router
from tests.conftest import SPECS
from tests.engines.recording_server import Received, RecordingServer
from tests.engines.runs import run_k6, run_sessions, script_start

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


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_a_session_whose_login_fails_sends_nothing_that_needs_it(
    engine: str, generated: Path
) -> None:
    """Old scripts went on after a 401 to the login, sending every secured request without a
    token: 401s no user sends, which inflate the error rate and trip the kill switch."""
    catalog = load_catalog(SPECS / "realworld-conduit/openapi.yml")
    secured = {
        op.operation_id for op in catalog.operations if op.security and {} not in op.security
    }
    router = Router(catalog)
    refused = lambda method, path: 401 if path.endswith("/users/login") else 200  # noqa: E731
    with RecordingServer(status_for=refused, document_for=conduit_answer) as server:
        completed = run_sessions(
            engine, generated, 40, BASE_URL=server.base_url, THINK_SCALE="0",
            LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD,
        )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stdout[-2000:] + completed.stderr[-2000:]
    matched = [router.match(r.method, r.path) for r in server.received]
    operations = [m.operation_id for m in matched if isinstance(m, Match)]
    logins = [r for r in server.received if r.path.endswith("/users/login")]
    assert len(logins) >= 10, operations[:20]  # sessions that went for a secured step
    assert not [op for op in operations if op in secured], operations


def test_a_k6_session_ends_at_a_request_that_gets_no_answer(
    generated: Path, tmp_path: Path
) -> None:
    """As Artillery stops a virtual user whose request fails outright (refused, reset, timed
    out): each session sends its first request to a port nobody listens on, and no more."""
    with socket.socket() as probe:  # a free loopback port, closed again: connections refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    summary = tmp_path / "summary.json"
    completed = run_k6(
        generated / "k6", "--no-thresholds", SESSIONS="12", SUMMARY_PATH=str(summary),
        BASE_URL=f"http://127.0.0.1:{port}", THINK_SCALE="0",
        LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert completed.returncode in (0, 1), completed.stdout[-2000:] + completed.stderr[-2000:]
    metrics = json.loads(summary.read_text())["metrics"]
    assert metrics["iterations"]["values"]["count"] == 12
    assert metrics["http_reqs"]["values"]["count"] == 12  # one request per session


@pytest.fixture(scope="module")
def basic_generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Museum API: every operation takes http basic credentials, and no call logs in."""
    folder = tmp_path_factory.mktemp("museum")
    spec = SPECS / "redocly-museum-3.1/openapi.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(folder / "w.yaml")]).exit_code == 0  # fmt: skip
    assert runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")]).exit_code == 0  # fmt: skip
    return folder / "out"


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_basic_credentials_go_on_every_request_without_a_token(
    engine: str, basic_generated: Path, server: RecordingServer
) -> None:
    """Basic auth needs no token: the scripts sent its header only when API_TOKEN happened to
    be set, so a basic-auth API got every request unauthenticated (Prism: 401 on all)."""
    completed = run_sessions(
        engine, basic_generated, 20, BASE_URL=server.base_url, BASE_PATH="", THINK_SCALE="0",
        LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    assert len(server.received) >= 20
    assert {r.authorization for r in server.received} == {expected}


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_basic_credentials_are_the_personas_accounts_from_the_users_file(
    engine: str, basic_generated: Path, server: RecordingServer, tmp_path: Path
) -> None:
    """USERS_CSV gives accounts per persona for a login step, and so for basic auth: the header
    was built from LOGIN_USERNAME/LOGIN_PASSWORD alone (`Basic Og==` with only a users file)."""
    users = tmp_path / "users.csv"
    users.write_text('persona,username,password\n*,bob,"s,ecret"\n*,carol,pw2\n')
    completed = run_sessions(
        engine, basic_generated, 30, BASE_URL=server.base_url, BASE_PATH="", THINK_SCALE="0",
        USERS_CSV=str(users),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    expected = {
        "Basic " + base64.b64encode(account.encode()).decode()
        for account in ("bob:s,ecret", "carol:pw2")
    }
    assert len(server.received) >= 30
    assert {r.authorization for r in server.received} == expected


@pytest.fixture(scope="module")
def token_generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """RMI's credential service: two operations take a bearer token, and no call logs in (its
    `login` exchanges that token for a cookie)."""
    folder = tmp_path_factory.mktemp("rmi")
    spec = SPECS / "rmi-cookie-auth/user.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(folder / "w.yaml")]).exit_code == 0  # fmt: skip
    assert runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")]).exit_code == 0  # fmt: skip
    return folder / "out"


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_scripts_refuse_to_start_without_the_credentials_the_api_needs(
    engine: str, basic_generated: Path, token_generated: Path, generated: Path
) -> None:
    """Without them every secured request is refused: a run of nothing but 401s (the RMI
    credential service's spec against Prism: 95% errors). Said before the first request."""
    target = {"BASE_URL": "http://127.0.0.1:9"}
    said = script_start(engine, basic_generated, **target)
    assert "needs http basic credentials for" in said
    assert "set LOGIN_USERNAME and LOGIN_PASSWORD, or USERS_CSV" in said
    assert script_start(engine, basic_generated, LOGIN_USERNAME="ann", **target) == ""
    said = script_start(engine, token_generated, **target)
    assert "needs a token for" in said and "set API_TOKEN" in said
    assert script_start(engine, token_generated, API_TOKEN="t", **target) == ""
    # Conduit logs in for its token: no credentials needed up front (the spec's example login
    # serves a mock; a real service's refusal ends each session at its login)
    assert script_start(engine, generated, **target) == ""
