"""The sample LMS service: endpoints, auth and roles, its spec, its access log, its knee."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples.lms.__main__ import render_spec
from examples.lms.probe import login, probe
from inferload.logs import IngestOptions, LogIngest
from inferload.spec import load_catalog
from tests.conftest import FIXTURES, ROOT
from tests.lms_server import RunningService, lms_service, seeded_database

SPEC = FIXTURES / "lms/openapi.yaml"
PASSWORD = "lms-demo-password"


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_database(tmp_path_factory.mktemp("lms-db"))


@pytest.fixture(scope="module")
def service(database: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    with lms_service(tmp_path_factory.mktemp("lms"), database) as running:
        yield running


def call(
    service: RunningService, method: str, path: str, token: str | None = None, body: Any = None,
    raw: bytes | None = None,
) -> tuple[int, Any]:  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    data = raw
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    elif raw is not None:
        headers["Content-Type"] = "application/octet-stream"
    request = urllib.request.Request(
        service.base_url + path, data=data, method=method, headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
            status = response.status
            kind = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as failure:
        payload, status, kind = (
            failure.read(),
            failure.code,
            failure.headers.get("Content-Type", ""),
        )
    if "json" in kind:
        return status, json.loads(payload)
    return status, payload.decode()


def test_spec_fixture_is_in_sync_with_the_service() -> None:
    assert SPEC.read_text() == render_spec(), (
        "run: python -m examples.lms export-spec --out fixtures/lms/openapi.yaml"
    )
    catalog = load_catalog(SPEC)
    assert len(catalog.operations) == 18
    open_operations = {op.operation_id for op in catalog.operations if not op.security}
    assert open_operations == {"login", "signup", "resetPassword", "health"}


def test_auth_roles_and_every_endpoint(service: RunningService) -> None:
    learner = login(service.base_url, "user100@lms.example", PASSWORD)
    admin = login(service.base_url, "user1@lms.example", PASSWORD)
    assert (
        call(
            service,
            "POST",
            "/api/auth/login",
            body={"email": "user100@lms.example", "password": "wrong"},
        )[0]
        == 401
    )
    assert call(service, "GET", "/api/dashboard")[0] == 401
    status, bad = call(service, "GET", "/api/dashboard", token="nonsense")
    assert status == 401 and bad["error"]["code"] == "invalid_token"

    status, dashboard = call(service, "GET", "/api/dashboard", learner)
    assert status == 200 and dashboard["role"] == "learner"
    assert call(service, "GET", "/api/dashboard", admin)[1]["totals"]["users"] == 5000
    status, courses = call(service, "GET", "/api/courses?page=2&page_size=5", learner)
    assert status == 200 and len(courses["items"]) == 5
    assert call(service, "GET", "/api/courses?all=true", learner)[0] == 403
    assert call(service, "GET", "/api/courses?all=true", admin)[0] == 200
    status, course = call(service, "GET", "/api/courses/7", learner)
    assert status == 200 and len(course["lessons"]) == 8 and course["quiz_id"] == 7
    assert call(service, "GET", "/api/courses/99999", learner)[0] == 404
    status, created = call(
        service, "POST", "/api/courses", admin, {"title": "Fire safety", "category": "Safety"}
    )
    assert status == 201 and created["published"] == 0
    assert (
        call(service, "POST", "/api/courses", learner, {"title": "Nope", "category": "Safety"})[0]
        == 403
    )
    status, progress = call(
        service, "POST", "/api/courses/7/progress", learner, {"lesson_id": 50, "percent": 40}
    )
    assert status == 200 and progress["percent"] == 40
    assert (
        call(
            service, "POST", "/api/courses/7/progress", learner, {"lesson_id": 50, "percent": 140}
        )[0]
        == 422
    )
    status, quiz = call(
        service, "POST", "/api/quiz/submit", learner, {"quiz_id": 7, "answers": [0, 1, 2, 3, 0]}
    )
    assert status == 200 and 0 <= quiz["score"] <= 1
    assert (
        call(service, "POST", "/api/quiz/submit", learner, {"quiz_id": 7, "answers": [1]})[0] == 422
    )
    assert call(service, "GET", "/api/enrollments", learner)[0] == 200
    status, enrolled = call(
        service, "POST", "/api/enrollments", admin, {"course_id": 3, "user_id": 4000}
    )
    assert status == 201 and enrolled["user_id"] == 4000
    assert (
        call(service, "POST", "/api/enrollments", learner, {"course_id": 3, "user_id": 4000})[0]
        == 403
    )
    assert call(service, "GET", "/api/users?q=user12", admin)[0] == 200
    assert call(service, "GET", "/api/users", learner)[0] == 403
    status, overview = call(service, "GET", "/api/reports/overview?days=7", admin)
    assert status == 200 and len(overview["courses"]) == 20
    status, export = call(service, "GET", "/api/reports/export", admin)
    assert status == 200 and export.startswith("course_id,lesson_id,updates,best_percent")
    assert call(service, "GET", "/api/reports/overview", learner)[0] == 403
    status, upload = call(
        service, "POST", "/api/files/upload?name=notes.txt", learner, raw=b"x" * 1000
    )
    assert status == 201 and upload["size"] == 1000
    assert call(service, "GET", "/api/certificates/1", admin)[0] == 200
    assert call(service, "GET", "/api/certificates/999999", admin)[0] == 404
    status, signup = call(
        service,
        "POST",
        "/api/auth/signup",
        body={"email": "new@lms.example", "name": "New", "password": "long-enough"},
    )
    assert status == 201 and signup["role"] == "learner"
    assert (
        call(
            service,
            "POST",
            "/api/auth/signup",
            body={"email": "new@lms.example", "name": "New", "password": "long-enough"},
        )[0]
        == 409
    )
    assert (
        call(service, "POST", "/api/auth/reset-password", body={"email": "nobody@lms.example"})[0]
        == 202
    )
    assert call(service, "GET", "/api/health")[1] == {"status": "ok"}
    assert call(service, "POST", "/api/auth/logout", learner)[0] == 204
    assert call(service, "GET", "/api/dashboard", learner)[0] == 401
    status, metrics = call(service, "GET", "/metrics")
    assert (
        status == 200
        and "lms_db_pool_size 4" in metrics
        and "process_resident_memory_bytes" in metrics
    )


def test_access_log_reads_as_combined_with_request_time(service: RunningService) -> None:
    for user in ("user100@lms.example", "user1@lms.example"):  # its own requests to read
        login(service.base_url, user, PASSWORD)
    call(service, "GET", "/api/health")
    ingest = LogIngest([service.access_log], load_catalog(SPEC), IngestOptions())
    list(ingest)
    report = ingest.report
    assert report is not None and report.malformed == 0
    assert report.sources[0].format == "combined_rt"
    assert report.operations.get("login", 0) >= 2


def test_the_knee_exists_and_the_index_knob_moves_it(database: Path, tmp_path: Path) -> None:
    levels = (1, 4, 16)
    with lms_service(tmp_path / "plain", database) as plain:
        token = login(plain.base_url, "user1@lms.example", PASSWORD)
        without = probe(
            plain.base_url, "/api/reports/overview", token, levels, seconds_per_level=1.5
        )
    with lms_service(tmp_path / "indexed", database, report_index=True) as indexed:
        token = login(indexed.base_url, "user1@lms.example", PASSWORD)
        with_index = probe(
            indexed.base_url, "/api/reports/overview", token, levels, seconds_per_level=1.5
        )
    with lms_service(tmp_path / "one-connection", database, pool_size=1) as narrow:
        token = login(narrow.base_url, "user1@lms.example", PASSWORD)
        (one_connection,) = probe(
            narrow.base_url, "/api/reports/overview", token, (4,), seconds_per_level=1.5
        )
    one, four, sixteen = without
    assert all(level.errors == 0 for level in without + with_index)
    assert sixteen.throughput_per_s < 1.5 * four.throughput_per_s, without  # throughput flattens
    assert sixteen.p95_ms > 3 * one.p95_ms, without  # while latency climbs
    assert with_index[1].throughput_per_s > 1.8 * four.throughput_per_s, (without, with_index)
    assert one_connection.throughput_per_s < 0.8 * four.throughput_per_s, (without, one_connection)


def test_sigterm_stops_the_service_cleanly(database: Path, tmp_path: Path) -> None:
    """uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says so."""
    with lms_service(tmp_path, database) as running:
        running.process.send_signal(signal.SIGTERM)
        assert running.process.wait(timeout=10) in (0, -signal.SIGTERM)
        out, err = running.process.communicate(timeout=5)
        assert b"LMS API stopped: connections closed" in out
        assert b"Traceback" not in err


def test_seed_enrollments_sets_the_reports_table_size(tmp_path: Path) -> None:
    """A bigger tenant for the knee test: six progress rows per enrollment, and a count no
    learner-course pairing can reach is refused (the seed would never finish)."""
    database = seeded_database(tmp_path, enrollments=2_000)
    with sqlite3.connect(database) as connection:
        counts = [connection.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("enrollments", "progress")]  # fmt: skip
    assert counts == [2_000, 12_000]
    refused = subprocess.run(
        [sys.executable, "-m", "examples.lms", "seed", "--db", str(tmp_path / "x.sqlite3"), "--enrollments", "1485001"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "1485001 is not between 1 and 1,485,000" in refused.stderr
    assert not (tmp_path / "x.sqlite3").exists()
