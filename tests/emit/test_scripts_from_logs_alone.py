"""A workload inferred from logs alone runs unedited: both engines call the inferred templates
with ids the logs showed, and a status the logs served counts as success (2xx)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import engine_environment, find_artillery, find_k6
from tests.engines.recording_server import RecordingServer
from tests.model.test_logs_without_spec import SESSIONS, shop_log

pytestmark = pytest.mark.engines
SENT = re.compile(r"^(GET /catalog|GET /products/(\d+)|POST /products/(\d+)/orders)$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("logs-alone")
    runner = CliRunner()
    log = shop_log(folder / "access.log")
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
        ids = [int(i) for i in found.groups()[1:] if i]
        assert all(100 <= i < 100 + SESSIONS for i in ids), call  # from the logged ids
    assert {call.split(" /")[0] for call in sent} == {"GET", "POST"}


def test_k6_script_from_logs_alone(generated: Path, tmp_path: Path) -> None:
    statuses = lambda method, _path: 201 if method == "POST" else 200  # noqa: E731
    with RecordingServer(status_for=statuses) as server:
        completed = subprocess.run(
            [str(find_k6()), "run", "--quiet", "--no-usage-report", "script.js"],
            cwd=generated / "k6",
            env=engine_environment(BASE_URL=server.base_url, THINK_SCALE="0", SESSIONS="30",
                                   SUMMARY_PATH=str(tmp_path / "summary.json")),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout + completed.stderr  # thresholds met
        assert_logged_calls(server)
    checks = json.loads((tmp_path / "summary.json").read_text())["metrics"]["checks"]["values"]
    assert checks["passes"] > 0 and checks["fails"] == 0  # 201 is a success the logs showed


def test_artillery_script_from_logs_alone(generated: Path, tmp_path: Path) -> None:
    statuses = lambda method, _path: 201 if method == "POST" else 200  # noqa: E731
    with RecordingServer(status_for=statuses) as server:
        completed = subprocess.run(
            [str(find_artillery()), "run",
             "--overrides", json.dumps({"config": {"phases": [{"duration": 2, "arrivalCount": 30}]}}),
             "--output", str(tmp_path / "report.json"), "script.yml"],
            cwd=generated / "artillery",
            env=engine_environment(BASE_URL=server.base_url, THINK_SCALE="0"),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        assert_logged_calls(server)
    counters = json.loads((tmp_path / "report.json").read_text())["aggregate"]["counters"]
    assert counters.get("checks.unexpected_status", 0) == 0, counters
