"""`inferload run` drives the real engines against the sample service, with monitoring, and
stops cleanly on Ctrl-C keeping what was measured."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import ROOT
from tests.engines.fast_recording_server import FastRecordingServer
from tests.lms_server import RunningService, lms_service, seeded_database

pytestmark = pytest.mark.engines


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    database = seeded_database(tmp_path_factory.mktemp("db"))
    with lms_service(tmp_path_factory.mktemp("svc"), database) as running:
        yield running


@pytest.fixture(scope="module")
def users_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.csv"
    path.write_text("persona,username,password\n*,user1@lms.example,lms-demo-password\n")
    return path


def test_artillery_run_is_monitored_and_reported(
    lms_generated: Path, service: RunningService, users_csv: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    result = CliRunner().invoke(main, [
        "run", str(lms_generated), "--tool", "artillery", "--profile", "smoke", "--base-url", service.base_url,
        "-o", str(results), "--think-scale", "0.01", "--duration-scale", "0.2", "--users-csv", str(users_csv),
        "--target-pid", str(service.process.pid), "--metrics-url", f"{service.base_url}/metrics",
    ])  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["tool"] == "artillery" and manifest["outcome"] == "completed"
    assert manifest["files"]["report"] == "artillery-report.json"
    assert not (results / "artillery-periods.jsonl").exists()  # the report has them all
    assert manifest["engine_version"].startswith("artillery 2.")
    assert len(manifest["script_sha256"]) == 64 and manifest["stages"][0]["end_s"] == 12
    # Artillery's smoke sends a session a second, not the plan's rate (the levels' "offered")
    assert (manifest["stages"][0]["from_per_s"], manifest["stages"][0]["to_per_s"]) == (1, 1)
    scaled = yaml.safe_load((results / "artillery-script.yml").read_text())
    assert scaled["config"]["environments"]["smoke"]["phases"][0]["duration"] == 12
    samples = [json.loads(line) for line in (results / "resources.jsonl").read_text().splitlines()]
    assert {"cpu_percent", "lms_db_pool_in_use"} <= {s["metric"] for s in samples}
    # the load generator's own CPU, always sampled: Artillery's process tree and the machine
    assert {"process", "prometheus", "generator", "host"} == {s["source"] for s in samples}
    engine = [s["value"] for s in samples if s["source"] == "generator"]
    machine = [s["value"] for s in samples if s["source"] == "host"]
    assert max(engine) > 1 and all(0 <= v <= 100 for v in machine) and max(machine) > 0
    assert manifest["host_cpus"] == psutil.cpu_count()
    report = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "report")])
    assert report.exit_code == 0, report.output + report.stderr
    figures = json.loads((tmp_path / "report" / "report.json").read_text())
    assert figures["overall"]["requests"] > 20 and figures["overall"]["errors"] == 0
    assert figures["levels"][0]["machine_cpu_percent"] is not None


def test_ctrl_c_stops_the_engine_and_keeps_partial_results(
    lms_generated: Path, service: RunningService, users_csv: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    # stress starts at the normal rate: a ramp from zero at this log's quiet 0.2 sessions/s
    # sends its first session after a minute
    command = [
        sys.executable, "-m", "inferload", "run", str(lms_generated), "--profile", "stress",
        "--base-url", service.base_url, "-o", str(results), "--think-scale", "0.01", "--users-csv", str(users_csv),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True
    )
    points = results / "k6-points.json"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and b'"http_req_duration","type":"Point"' not in _read(
        points
    ):
        time.sleep(1)
    assert process.poll() is None, process.communicate()
    os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does to the foreground group
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 130, stderr
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["outcome"] == "interrupted"
    assert manifest["ended_at"] > manifest["started_at"]
    engines = [
        p
        for p in psutil.process_iter(["cmdline"])
        if str(points) in " ".join(p.info["cmdline"] or [])
    ]
    assert engines == [], "the engine is still running"
    report = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "report")])
    assert report.exit_code in (0, 1), report.output + report.stderr
    assert "ended as interrupted" in (tmp_path / "report" / "REPORT.md").read_text()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def test_artillery_fails_its_ensure_checks_when_every_request_fails(
    lms_generated: Path, tmp_path: Path
) -> None:
    """Nothing listens on the port: every request fails, and the run must say so (exit 1,
    thresholds crossed) through Artillery's own `ensure` checks, the error rate among them."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    results = tmp_path / "results"
    result = CliRunner().invoke(main, [
        "run", str(lms_generated), "--tool", "artillery", "--profile", "smoke", "--base-url", closed,
        "-o", str(results), "--think-scale", "0.01", "--duration-scale", "0.05",
    ])  # fmt: skip
    assert result.exit_code == 1, result.output + result.stderr
    assert json.loads((results / "manifest.json").read_text())["outcome"] == "thresholds-crossed"
    log = (results / "engine.log").read_text()
    assert "fail: (checks.failed_responses + vusers.failed) / http.requests < 0.01" in log


@pytest.mark.parametrize("tool", ["k6", "artillery"])
def test_the_kill_switch_stops_a_run_whose_requests_fail(
    lms_generated: Path, tmp_path: Path, tool: str
) -> None:
    """Every request answered 500: the run stops after the kill switch's 10 s, not at the end
    of its 60 s profile. k6 aborts itself (`abortOnFail`); Artillery is stopped by the runner,
    which watches its reports, and says why in the engine log."""
    results = tmp_path / "results"
    with FastRecordingServer(status_for=lambda _method, _path: 500) as failing:
        began = time.monotonic()
        result = CliRunner().invoke(main, [
            "run", str(lms_generated), "--tool", tool, "--profile", "smoke", "--base-url", failing.base_url,
            "-o", str(results), "--think-scale", "0.01",
        ])  # fmt: skip
        took = time.monotonic() - began
        sent = len(failing.requests)
    assert result.exit_code == 1, result.output + result.stderr
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["outcome"] == "thresholds-crossed"
    assert sent > 0 and took < 45, f"{tool} ran {took:.0f} s"
    if tool == "artillery":
        assert "stopped by the kill switch" in (results / "engine.log").read_text()
        # stopped, Artillery wrote no report: the periods it reported until then are read
        assert manifest["files"]["report"] == "artillery-periods.jsonl"
    report = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "report")])
    assert report.exit_code == 1, report.output + report.stderr  # the error rate FAILs
    assert "ended as thresholds-crossed" in (tmp_path / "report" / "REPORT.md").read_text()


@pytest.mark.parametrize("tool", ["k6", "artillery"])
def test_a_script_that_refuses_to_start_is_reported_by_its_own_words(
    tool: str, tmp_path: Path
) -> None:
    """The engine's failure was its log's last lines: for Artillery, Node's stack frames of the
    processor's loading, not the message saying which variable to set."""
    runner = CliRunner()
    spec = ROOT / "fixtures" / "specs" / "rmi-cookie-auth" / "user.yaml"  # bearer, no login call
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml")]).exit_code == 0  # fmt: skip
    assert runner.invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]).exit_code == 0  # fmt: skip
    env = {name: value for name, value in os.environ.items() if name != "API_TOKEN"}
    result = runner.invoke(
        main,
        ["run", str(tmp_path / "out"), "--tool", tool, "--base-url", "http://127.0.0.1:9",
         "-o", str(tmp_path / "results")],
        env=env,
    )  # fmt: skip
    assert result.exit_code == 2
    said = " ".join(result.stderr.split())
    assert f"{tool} stopped with exit code" in said
    assert "this API needs a token for createAPIKey, login: set API_TOKEN" in said
    assert " at " not in said.split("(the whole engine log")[0]  # no stack frames
