"""Generated scripts for Petstore v3 and Conduit (spec-only workloads) run with the real engines
against Stoplight Prism, which validates every request against the spec and answers 401/422 to
invalid ones: the error rate must be 0."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import engine_environment
from tests.conftest import ROOT, SPECS
from tests.engines.runs import run_artillery, run_k6
from tests.lms_server import free_port

pytestmark = pytest.mark.engines
PRISM = ROOT / "tools" / "node_modules" / ".bin" / "prism"
SPEC_FILES = {
    "petstore-v3": SPECS / "petstore-v3/openapi.yaml",
    "conduit": SPECS / "realworld-conduit/openapi.yml",
}


@pytest.fixture(scope="module", params=sorted(SPEC_FILES))
def mocked(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path]]:
    spec = SPEC_FILES[request.param]
    folder = tmp_path_factory.mktemp(request.param)
    runner = CliRunner()
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
    port = free_port()
    prism = subprocess.Popen(
        [str(PRISM), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=engine_environment(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        else:
            raise RuntimeError("prism did not start")
        yield f"http://127.0.0.1:{port}", folder / "out"
    finally:
        prism.terminate()
        prism.wait(timeout=10)


def test_k6_against_prism_has_no_errors(mocked: tuple[str, Path], tmp_path: Path) -> None:
    base_url, out = mocked
    summary = tmp_path / "summary.json"
    # Prism serves paths without the servers' base path; API_TOKEN for schemes with no login call
    completed = run_k6(
        out / "k6", BASE_URL=base_url, BASE_PATH="", THINK_SCALE="0", SESSIONS="100",
        API_TOKEN="test-token", SUMMARY_PATH=str(summary),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    metrics = json.loads(summary.read_text())["metrics"]
    assert metrics["http_reqs"]["values"]["count"] > 100
    assert metrics["http_req_failed"]["values"]["rate"] == 0
    assert metrics["checks"]["values"]["fails"] == 0


def test_artillery_against_prism_has_no_errors(mocked: tuple[str, Path], tmp_path: Path) -> None:
    base_url, out = mocked
    report = tmp_path / "report.json"
    completed = run_artillery(
        out / "artillery", 60, "--output", str(report), duration=3,
        BASE_URL=base_url, BASE_PATH="", THINK_SCALE="0", API_TOKEN="test-token",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    counters = json.loads(report.read_text())["aggregate"]["counters"]
    assert counters["http.requests"] > 60
    assert (
        counters.get("checks.unexpected_status", 0) == 0 and counters.get("vusers.failed", 0) == 0
    )
    assert not [k for k in counters if k.startswith("http.codes.4") or k.startswith("http.codes.5")]
