"""Run a bounded number of sessions (2,000, no think time) of each generated script against a
recording server: the share of each operation must match workload.yaml within total
variation 0.05, each session logs in once and opens its own connections. A data pool's CSV file, edited as an engineer
would, decides the ids sent, in its weights."""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from urllib.parse import unquote

import pytest

from inferload.model import load_workload
from inferload.model.workload import Workload
from tests.engines.fast_recording_server import FastRecordingServer
from tests.engines.runs import run_artillery, run_k6
from tests.lms_server import course_ids_sent

pytestmark = pytest.mark.engines
SESSIONS = 2000
ENCODING = "Accept-Encoding"
Templates = dict[str, tuple[str, re.Pattern[str]]]


# the course ids an engineer put in the pool's CSV (one with a comma: quoted in the file)
EDITED_POOL = {"course,1": 0.25, "c2": 0.75}
EDITED_POOL_CSV = 'value,weight\n"course,1",1\nc2,3\n'  # weights need not sum to 1


@pytest.fixture(scope="module")
def generated(
    lms_workload_file: Path, lms_generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Workload, Path]:
    out = tmp_path_factory.mktemp("edited-pool") / "out"
    shutil.copytree(lms_generated, out)
    for tool in ("k6", "artillery"):
        plan = json.loads((out / tool / "plan.json").read_text())
        (out / tool / plan["pools"]["course_id"]["file"]).write_text(EDITED_POOL_CSV)
    return load_workload(lms_workload_file), out


def templates_of(workload: Workload) -> Templates:
    return {
        op_id: (op.method, re.compile(re.sub(r"\\\{[^{}]+\\\}", "[^/]+", re.escape(op.path))))
        for op_id, op in workload.operations.items()
    }


def operation_of(method: str, path: str, templates: Templates) -> str | None:
    for operation_id, (op_method, pattern) in templates.items():
        if op_method == method and pattern.fullmatch(unquote(path.split("?", 1)[0])):
            return operation_id
    return None


def documented_statuses(workload: Workload, templates: Templates) -> Callable[[str, str], int]:
    """The recording server answers what the spec documents, as the real service would."""

    def status(method: str, path: str) -> int:
        operation = operation_of(method, path, templates)
        statuses = workload.operations[operation].success_statuses if operation else []
        return int(statuses[0]) if statuses else 200

    return status


def assert_mix(workload: Workload, templates: Templates, requests: list[tuple[str, str]]) -> None:
    sent = Counter(operation_of(method, path, templates) for method, path in requests)
    assert None not in sent
    assert 0.95 * SESSIONS <= sent["login"] <= 1.05 * SESSIONS  # one login per session
    total = sum(sent.values())
    expected = {op_id: op.share for op_id, op in workload.operations.items()}
    distance = 0.5 * sum(
        abs(sent[op] / total - expected.get(op, 0.0)) for op in set(sent) | set(expected)
    )
    assert distance <= 0.05, (distance, sent, expected)


def assert_pool(requests: list[tuple[str, str]]) -> None:
    """The course ids sent (getCourse, recordProgress: drawn from the pool, no correlation
    pointer) are the edited pool's, in its weights."""
    sent = course_ids_sent(requests)
    assert set(sent) == set(EDITED_POOL), sent
    total = sum(sent.values())
    assert total > 500
    assert abs(sent["course,1"] / total - EDITED_POOL["course,1"]) < 0.05, sent


def test_k6_sessions_reproduce_the_operation_mix(
    generated: tuple[Workload, Path], tmp_path: Path
) -> None:
    workload, out = generated
    templates = templates_of(workload)
    with FastRecordingServer(
        documented_statuses(workload, templates), count_header=ENCODING
    ) as server:
        completed = run_k6(
            out / "k6", timeout=300, BASE_URL=server.base_url, SESSIONS=str(SESSIONS),
            THINK_SCALE="0", SUMMARY_PATH=str(tmp_path / "summary.json"),
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert_mix(workload, templates, server.requests)
    assert_pool(server.requests)
    assert server.connections >= SESSIONS  # each session a new visitor, on its own connections
    assert server.header_values == {"gzip, deflate, br": len(server.requests)}  # as Artillery asks


def test_artillery_sessions_reproduce_the_operation_mix(generated: tuple[Workload, Path]) -> None:
    workload, out = generated
    templates = templates_of(workload)
    with FastRecordingServer(
        documented_statuses(workload, templates), count_header=ENCODING
    ) as server:
        completed = run_artillery(
            out / "artillery", SESSIONS, duration=20, timeout=300,
            BASE_URL=server.base_url, THINK_SCALE="0",
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert_mix(workload, templates, server.requests)
    assert_pool(server.requests)
    assert server.connections >= SESSIONS
    assert server.header_values == {"gzip, deflate, br": len(server.requests)}
