"""The generated k6 script runs unedited, with the real k6, against the real sample service."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import engine_environment, find_artillery, find_k6
from tests.conftest import FIXTURES
from tests.lms_server import RunningService, lms_service, seeded_database

pytestmark = pytest.mark.engines
LMS = FIXTURES / "lms"


@pytest.fixture(scope="module")
def generated(lms_generated: Path) -> Path:
    return lms_generated


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    database = seeded_database(tmp_path_factory.mktemp("db"))
    with lms_service(tmp_path_factory.mktemp("svc"), database) as running:
        yield running


def test_generate_refuses_a_non_empty_folder(generated: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", str(generated.parent / "workload.yaml"), "-o", str(generated)]
    )
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr


def test_k6_smoke_runs_every_persona_without_errors(
    generated: Path, service: RunningService, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    # quoted fields and CRLF line ends, as spreadsheets write CSV: the script must unquote them
    users.write_text('persona,username,password\r\n*,"user1@lms.example","lms-demo-password"\r\n')
    summary = tmp_path / "summary.json"
    completed = subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", "script.js"],
        cwd=generated / "k6",
        env=engine_environment(
            BASE_URL=service.base_url,
            PROFILE="smoke",
            THINK_SCALE="0.01",
            DURATION_SCALE="0.1",
            USERS_CSV=str(users),
            SUMMARY_PATH=str(summary),
        ),  # fmt: skip
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    data = json.loads(summary.read_text())
    requests = data["metrics"]["http_reqs"]["values"]["count"]
    assert requests > 100
    assert data["metrics"]["http_req_failed"]["values"]["rate"] == 0
    assert data["metrics"]["checks"]["values"]["fails"] == 0
    assert data["metrics"]["iterations"]["values"]["count"] > 10  # sessions ran
    log = service.access_log.read_text()
    assert '"POST /api/auth/login' in log and "/api/courses/" in log


def test_k6_fails_fast_without_base_url(generated: Path) -> None:
    completed = subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", "script.js"],
        cwd=generated / "k6", env=engine_environment(BASE_URL=""), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode != 0
    assert "BASE_URL is required" in completed.stdout + completed.stderr


def test_artillery_smoke_runs_every_persona_without_unexpected_statuses(
    generated: Path, service: RunningService, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("persona,username,password\n*,user1@lms.example,lms-demo-password\n")
    report = tmp_path / "artillery.json"
    completed = subprocess.run(
        [str(find_artillery()), "run", "--output", str(report),
         "--overrides", json.dumps({"config": {"phases": [{"duration": 5, "arrivalRate": 4}]}}), "script.yml"],
        cwd=generated / "artillery",
        env=engine_environment(BASE_URL=service.base_url, THINK_SCALE="0.01", USERS_CSV=str(users)),
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    counters = json.loads(report.read_text())["aggregate"]["counters"]
    assert counters["http.requests"] > 50
    assert counters.get("vusers.failed", 0) == 0
    assert counters.get("inferload.unexpected_status", 0) == 0
    assert counters.get("inferload.unexpected_content_type", 0) == 0
    assert set(k for k in counters if k.startswith("http.codes.")) <= {
        "http.codes.200",
        "http.codes.201",
        "http.codes.204",
    }
    assert any(k.startswith("plugins.metrics-by-endpoint.POST /api/auth/login") for k in counters)
