"""The login is found however the API names it, and a logout ends the session.

Overseerr signs in at `POST /auth/local` ("Sign in using a local account": no "login" in its
path or id) and logs out at `POST /auth/logout`. Its spec-only model had no login at all, and
its users logged out mid-session and browsed on (the most frequent request of a run)."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.logs import IngestOptions, LogIngest
from inferload.model.infer import infer_from_logs
from inferload.model.login import login_rank, logs_out
from inferload.model.spec_only import infer_from_spec
from inferload.model.workload import END, dump_workload
from inferload.spec import load_catalog
from tests.conftest import SPECS
from tests.logs.builders import T0, combined, write_log
from tests.spec.builders import get, openapi3, write_spec

OVERSEERR = SPECS / "overseerr-cookie-auth" / "overseerr-api.yml"


def test_overseerrs_sign_in_is_its_login_and_its_logout_ends_the_session() -> None:
    catalog = load_catalog(OVERSEERR)
    workload = infer_from_spec(catalog, str(OVERSEERR))
    (persona,) = workload.personas
    assert workload.auth.login_operation == "POST /auth/local"  # email + password, not Plex's
    assert persona.transitions["$start"] == {"POST /auth/local": 1.0}
    assert persona.transitions["POST /auth/logout"] == {END: 1.0}
    assert workload.operations["POST /auth/logout"].reasons == ["authentication"]  # no data written
    # most users just leave: a few sessions in twenty sign out (it was 82% of them, and the
    # most frequent request of a run)
    signing_out = workload.operations["POST /auth/logout"].share * persona.session_length_steps
    assert 0.05 <= signing_out <= 0.2


@pytest.mark.parametrize(
    ("operation_id", "method", "path", "summary", "rank"),
    [
        ("loginUser", "GET", "/user/login", "Logs user into the system", 0),
        ("Login", "POST", "/users/login", "", 0),
        ("POST /auth/local", "POST", "/auth/local", "Sign in using a local account", 1),
        ("createSession", "POST", "/sessions", "", 2),
        ("POST /oauth/token", "POST", "/oauth/token", "", 2),
        ("POST /auth/logout", "POST", "/auth/logout", "Sign out and clear session cookie", None),
        ("signOut", "POST", "/auth/sign-out", "", None),
        ("POST /auth/reset-password", "POST", "/auth/reset-password", "", None),
        ("register", "POST", "/auth/register", "Sign up", None),
        ("refreshToken", "POST", "/auth/token/refresh", "", None),
        ("changePassword", "PUT", "/users/{id}/password", "", None),
        ("listTokens", "GET", "/tokens", "", None),
        ("createUser", "POST", "/user", "Create user", None),
    ],
)
def test_what_is_a_login(
    operation_id: str, method: str, path: str, summary: str, rank: int | None
) -> None:
    assert login_rank(operation_id, method, path, summary) == rank


def _auth_spec() -> dict[str, Any]:
    secured: dict[str, Any] = {"security": [{"session": []}]}
    credentials = {
        "content": {"application/json": {"schema": {"type": "object", "properties": {
            "username": {"type": "string"}, "password": {"type": "string"}}}}},
    }  # fmt: skip
    return openapi3(
        {
            "/auth/local": {"post": {**get("signIn"), "summary": "Sign in", "security": [],
                                     "requestBody": credentials}},
            "/auth/logout": {"post": {**get("signOut"), **secured}},
            "/items": {"get": {**get("listItems"), **secured}},
        },
        components={"securitySchemes": {"session": {"type": "apiKey", "in": "cookie",
                                                    "name": "sid"}}},
    )  # fmt: skip


def test_from_logs_the_login_is_not_the_logout_called_more_often(tmp_path: Path) -> None:
    """Users logged out more often than in (their sessions outlived a login): the login is
    still the sign-in, not the most called `POST /auth/...`."""
    spec = write_spec(tmp_path, _auth_spec())
    lines = []
    for index in range(30):
        at, ip = T0 + 3600 * index, f"203.0.113.{index + 1}"
        session = ["GET /items", "GET /items", "POST /auth/logout", "POST /auth/logout"]
        if index % 3 == 0:
            session.insert(0, "POST /auth/local")
        lines += [combined(at + 7 * step, request, ip=ip) for step, request in enumerate(session)]
    log = write_log(tmp_path / "access.log", lines)
    catalog = load_catalog(spec)
    ingest = LogIngest([log], catalog, IngestOptions(salt=b"x", aggregate_operations=True))
    workload = infer_from_logs(catalog, ingest, spec_path=str(spec))
    assert workload.operations["signOut"].requests > workload.operations["signIn"].requests
    assert workload.auth.login_operation == "signIn"


@pytest.mark.parametrize(
    "relative",
    ["petstore-v3/openapi.yaml", "realworld-conduit/openapi.yml",
     "overseerr-cookie-auth/overseerr-api.yml"],
)  # fmt: skip
def test_a_spec_only_session_logs_in_once_and_browses_on(relative: str) -> None:
    """Sessions were 2-3 steps: one in three requests was a login (a costly call, at a share
    no production sees), and a session ended two pages after signing in. A user now leaves
    after eight steps on average, and goes back to what can be read, never to signing up
    again: the creates among the entries are where a session starts or a collection leads."""
    spec = SPECS / relative
    catalog = load_catalog(spec)
    workload = infer_from_spec(catalog, str(spec))
    (persona,) = workload.personas
    login = workload.auth.login_operation
    assert login is not None
    assert 6 <= persona.session_length_steps <= 12
    assert workload.operations[login].share <= 0.15
    creates = [
        op.operation_id for op in catalog.operations
        if op.method == "POST" and not op.path_parameters and op.operation_id != login
        and op.operation_id in persona.transitions and not logs_out(op.operation_id, op.path)
    ]  # fmt: skip
    assert creates
    for create in creates:
        sources = {source for source, targets in persona.transitions.items() if create in targets}
        leading = {
            source for source in sources
            if source not in ("$start", login)
            and catalog.operation(source).path.rstrip("/") != catalog.operation(create).path.rstrip("/")
        }  # fmt: skip
        assert not leading, (create, leading)


def test_infer_names_the_login_it_found_or_says_none_was(tmp_path: Path) -> None:
    runner = CliRunner()
    shown = runner.invoke(main, ["infer", "--spec", str(OVERSEERR), "-o", str(tmp_path / "a.yaml")])
    assert shown.exit_code == 0, shown.output
    assert "Login: POST /auth/local" in shown.output
    machine = runner.invoke(
        main, ["infer", "--spec", str(OVERSEERR), "-o", str(tmp_path / "b.yaml"), "--json"]
    )
    assert json.loads(machine.output)["summary"]["login_operation"] == "POST /auth/local"
    spec = _auth_spec()
    del spec["paths"]["/auth/local"]
    none = runner.invoke(
        main, ["infer", "--spec", str(write_spec(tmp_path, spec)), "-o", str(tmp_path / "c.yaml")]
    )
    assert none.exit_code == 0, none.output
    assert "Login: none found (schemes: session)" in " ".join(none.output.split())


def test_a_spec_only_session_lasts_what_its_journeys_take(tmp_path: Path) -> None:
    """The duration was a flat 5 minutes (so 900 sessions in flight at peak) whatever the
    journeys: Little's law sized for sessions eight times longer than the scripts run. It is
    what walking the chain takes, thinking between steps, checked here by walking it."""
    spec = SPECS / "petstore-v3/openapi.yaml"
    workload = infer_from_spec(load_catalog(spec), str(spec))
    (persona,) = workload.personas
    rng = random.Random(3)
    walked = []
    for _ in range(4000):
        state, total = "$start", 0.0
        while True:
            targets = persona.transitions[state]
            target = rng.choices(list(targets), weights=list(targets.values()))[0]
            if target == END:
                break
            if state != "$start":
                law = persona.think_times.get(f"{state}->{target}", persona.default_think)
                total += rng.lognormvariate(law.mu, law.sigma)
            state = target
        walked.append(total)
    load = workload.load
    mean = sum(walked) / len(walked)
    assert load.session_duration_s.value == pytest.approx(mean, rel=0.06)
    p90 = sorted(walked)[int(0.9 * len(walked))]
    assert load.session_duration_p90_s.value == pytest.approx(p90, rel=0.1)
    peak = load.peak_arrival_rate_per_s.value
    assert load.littles_law_concurrency.value == pytest.approx(peak * mean, rel=0.06)
    requests = load.requests_per_s_mean.value / load.normal_arrival_rate_per_s.value
    assert requests == pytest.approx(persona.session_length_steps, rel=0.01)
    plan = tmp_path / "out"
    runner = CliRunner()
    (tmp_path / "w.yaml").write_text(dump_workload(workload))
    assert runner.invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(plan)]).exit_code == 0  # fmt: skip
    text = (plan / "TEST-PLAN.md").read_text()
    assert f"A session lasts {load.session_duration_s.value:.0f} s on average" in text


def test_a_spec_only_persona_is_named_after_what_its_journeys_do(tmp_path: Path) -> None:
    """Every spec-only persona was "browses collections, reads and updates items": an API of
    three POSTs (RMI's key exchange) too. The name now says what the journeys run."""
    rmi = SPECS / "rmi-cookie-auth" / "user.yaml"
    petstore = SPECS / "petstore-v3" / "openapi.yaml"
    names = {
        spec.parent.name: infer_from_spec(load_catalog(spec), str(spec)).personas[0].name
        for spec in (rmi, petstore)
    }
    assert names == {
        "rmi-cookie-auth": "creates items; signs out",
        "petstore-v3": "logs in; browses collections; reads items; "
        "creates, updates and deletes items; signs out",
    }
    reads = write_spec(tmp_path, openapi3({"/things": {"get": get("listThings")}}))
    assert (
        infer_from_spec(load_catalog(reads), str(reads)).personas[0].name == "browses collections"
    )
