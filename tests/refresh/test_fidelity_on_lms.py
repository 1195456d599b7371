"""`inferload compare` scores a generated test as faithful to production and a naive one
(every endpoint once, fixed sleep) as unrealistic, both run for real against the sample service."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import FIXTURES
from tests.lms_server import RunningService, lms_service, seeded_database

pytestmark = pytest.mark.engines
LMS = FIXTURES / "lms"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    database = seeded_database(tmp_path_factory.mktemp("db"))
    with lms_service(tmp_path_factory.mktemp("svc"), database) as running:
        yield running


def run_sessions(loadtest: Path, service: RunningService, results: Path, users: Path) -> None:
    result = CliRunner().invoke(main, [
        "run", str(loadtest), "--base-url", service.base_url, "-o", str(results), "--tag-sessions",
        "--think-scale", "0.01", "--env", "SESSIONS=200", "--users-csv", str(users),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr


def compare(results: Path, workload: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(main, [
        "compare", str(results), "--logs", str(LMS / "access.log.gz"), "--spec", str(LMS / "openapi.yaml"),
        "--workload", str(workload), "--json",
    ])  # fmt: skip
    assert result.exit_code in (0, 1), result.output + result.stderr
    return result.exit_code, json.loads(result.stdout)


def test_generated_test_is_faithful_and_naive_one_is_not(
    lms_generated: Path, lms_workload_file: Path, service: RunningService, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("persona,username,password\n*,user1@lms.example,lms-demo-password\n")
    run_sessions(lms_generated, service, tmp_path / "generated", users)
    request_points = [
        point["data"]
        for point in map(json.loads, (tmp_path / "generated" / "k6-points.json").open())
        if point["type"] == "Point" and point["metric"] == "http_req_duration"
    ]
    assert request_points
    for data in request_points:  # per session (vu, iter); per endpoint, never per URL
        assert {"name", "group", "status", "expected_response"} <= data["tags"].keys()
        assert not {"url", "proto", "tls_version"} & data["tags"].keys()
        assert {"vu", "iter"} <= data["metadata"].keys()
    naive = tmp_path / "naive"
    (naive / "k6").mkdir(parents=True)
    shutil.copy(FIXTURES / "naive" / "script.js", naive / "k6" / "script.js")
    shutil.copy(lms_generated / "k6" / "plan.json", naive / "k6" / "plan.json")
    run_sessions(naive, service, tmp_path / "naive-results", users)

    code, generated = compare(tmp_path / "generated", lms_workload_file)
    assert generated["verdict"] == "faithful", generated
    assert code == 0 and generated["test_sessions"] >= 190
    assert generated["operation_mix_tv"] < 0.1 and generated["think_time_ks"] < 0.15

    code, naive_score = compare(tmp_path / "naive-results", lms_workload_file)
    assert naive_score["verdict"] == "unrealistic" and code == 1
    assert naive_score["operation_mix_tv"] > 0.3 and naive_score["think_time_ks"] > 0.3
    assert naive_score["session_length_ks"] > 0.5
