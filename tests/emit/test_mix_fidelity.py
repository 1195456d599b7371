"""Run a bounded number of sessions of the generated k6 script against a recording server: the
share of each operation must match workload.yaml within total variation 0.05."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.model import load_workload
from inferload.run.engines import engine_environment, find_k6
from tests.conftest import FIXTURES
from tests.engines.fast_recording_server import FastRecordingServer

pytestmark = pytest.mark.engines
LMS = FIXTURES / "lms"


def operation_of(
    method: str, path: str, templates: dict[str, tuple[str, re.Pattern[str]]]
) -> str | None:
    for operation_id, (op_method, pattern) in templates.items():
        if op_method == method and pattern.fullmatch(unquote(path.split("?", 1)[0])):
            return operation_id
    return None


def test_k6_sessions_reproduce_the_operation_mix(tmp_path: Path) -> None:
    runner = CliRunner()
    workload_path = tmp_path / "workload.yaml"
    assert (
        runner.invoke(
            main,
            [
                "infer",
                "--spec",
                str(LMS / "openapi.yaml"),
                "--logs",
                str(LMS / "access.log.gz"),
                "-o",
                str(workload_path),
            ],
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(main, ["generate", str(workload_path), "-o", str(tmp_path / "out")]).exit_code
        == 0
    )
    workload = load_workload(workload_path)
    templates = {
        op_id: (op.method, re.compile(re.sub(r"\\\{[^{}]+\\\}", "[^/]+", re.escape(op.path))))
        for op_id, op in workload.operations.items()
    }

    def documented_status(method: str, path: str) -> int:
        operation = operation_of(method, path, templates)
        statuses = workload.operations[operation].success_statuses if operation else []
        return int(statuses[0]) if statuses else 200

    with FastRecordingServer(documented_status) as server:
        completed = subprocess.run(
            [str(find_k6()), "run", "--quiet", "--no-usage-report", "script.js"],
            cwd=tmp_path / "out" / "k6",
            env=engine_environment(BASE_URL=server.base_url, SESSIONS="2000", THINK_SCALE="0",
                                   SUMMARY_PATH=str(tmp_path / "summary.json")),  # fmt: skip
            capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    sent = Counter(operation_of(method, path, templates) for method, path in server.requests)
    assert None not in sent
    logins = sent["login"]
    assert 1900 <= logins <= 2100  # one login per session: 2,000 sessions ran
    total = sum(sent.values())
    expected = {op_id: op.share for op_id, op in workload.operations.items()}
    distance = 0.5 * sum(
        abs(sent[op] / total - expected.get(op, 0.0)) for op in set(sent) | set(expected)
    )
    assert distance <= 0.05, (distance, sent, expected)
