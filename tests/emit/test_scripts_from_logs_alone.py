"""A workload inferred from logs alone runs unedited: both engines call the inferred templates
with ids the logs showed, a status the logs served counts as success (2xx), and the ids of one
path go together as production combined them (a user's own order, not any user's and any
order)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_artillery, run_k6
from tests.logs.builders import T0, combined
from tests.model.test_logs_without_spec import SESSIONS, shop_log

pytestmark = pytest.mark.engines
SENT = re.compile(
    r"^(GET /catalog|GET /products/(\d+)|POST /products/(\d+)/orders|GET /users/(\d+)/orders/(\d+))$"
)
USERS = 30


def with_orders_of_users(log: Path) -> Path:
    """Each user looks at their own orders: order ids are the user's id x 1000 + 1..3."""
    with log.open("a") as handle:
        for user in range(1, USERS + 1):
            for order in range(1, 4):
                at = T0 + 700 + user * 5 + order
                request = f"GET /users/{user}/orders/{user * 1000 + order}"
                handle.write(combined(at, request, ip=f"192.0.2.{user}") + "\n")
    return log


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("logs-alone")
    runner = CliRunner()
    log = with_orders_of_users(shop_log(folder / "access.log"))
    inferred = runner.invoke(main, ["infer", "--logs", str(log), "-o", str(folder / "w.yaml")])
    assert inferred.exit_code == 0, inferred.output
    emitted = runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")])
    assert emitted.exit_code == 0, emitted.output
    return folder / "out"


def assert_logged_calls(server: RecordingServer) -> None:
    sent = [f"{r.method} {r.path}" for r in server.received]
    assert sent, "no request reached the server"
    for call in sent:
        found = SENT.match(call)
        assert found, call
        product, ordered, user, order = found.groups()[1:]
        for i in (product, ordered):
            assert i is None or 100 <= int(i) < 100 + SESSIONS, call  # from the logged ids
        if user is not None:  # a combination the logs showed
            assert int(order) // 1000 == int(user) and 1 <= int(order) % 1000 <= 3, call
    assert {call.split(" /")[0] for call in sent} == {"GET", "POST"}
    assert any("/users/" in call for call in sent)


def test_k6_script_from_logs_alone(generated: Path, tmp_path: Path) -> None:
    statuses = lambda method, _path: 201 if method == "POST" else 200  # noqa: E731
    with RecordingServer(status_for=statuses) as server:
        completed = run_k6(
            generated / "k6", BASE_URL=server.base_url, THINK_SCALE="0", SESSIONS="30",
            SUMMARY_PATH=str(tmp_path / "summary.json"),
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout + completed.stderr  # thresholds met
        assert_logged_calls(server)
    checks = json.loads((tmp_path / "summary.json").read_text())["metrics"]["checks"]["values"]
    assert checks["passes"] > 0 and checks["fails"] == 0  # 201 is a success the logs showed


def test_artillery_script_from_logs_alone(generated: Path, tmp_path: Path) -> None:
    statuses = lambda method, _path: 201 if method == "POST" else 200  # noqa: E731
    with RecordingServer(status_for=statuses) as server:
        completed = run_artillery(
            generated / "artillery",
            30,
            "--output",
            str(tmp_path / "report.json"),
            BASE_URL=server.base_url,
            THINK_SCALE="0",
        )
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        assert_logged_calls(server)
    counters = json.loads((tmp_path / "report.json").read_text())["aggregate"]["counters"]
    assert counters.get("checks.unexpected_status", 0) == 0, counters
