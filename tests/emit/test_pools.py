"""Data pools become CSV files: safe names inside pools/, values that read back exactly, and
an engineer's own file (values alone, or a bad weight) handled as the user guide says."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from inferload.emit.pools import pool_files
from inferload.run.engines import find_k6
from tests.engines.fast_recording_server import FastRecordingServer
from tests.engines.runs import run_k6
from tests.lms_server import course_ids_sent

HOSTILE = {
    "../../etc/passwd": ["a,b", 'say "hi"', "line\nbreak"],
    "": ["x"],
    "名前": ["ünï", "=1+2"],
    "query.page": ["1", "2"],
    "query/page": ["3"],
}


def plan_with(pools: dict[str, list[str]]) -> dict[str, object]:
    return {
        "other": "kept",
        "pools": {
            name: {
                "values": values,
                "weights": [1 / len(values)] * len(values),
                "columns": ["value"],
            }
            for name, values in pools.items()
        },
    }


def test_pool_files_are_safe_unique_names_under_pools() -> None:
    plan, files = pool_files(plan_with(HOSTILE))
    assert plan["other"] == "kept"
    paths = [pool["file"] for pool in plan["pools"].values()]
    assert sorted(paths) == sorted(files)
    assert len(set(paths)) == len(HOSTILE)  # "query.page" and "query/page" do not collide
    assert all(re.fullmatch(r"pools/\d\d-[A-Za-z0-9_-]+\.csv", path) for path in paths), paths
    # the CSV holds the data; the plan, how many value columns precede the weight
    assert all(pool == {"file": pool["file"], "columns": 1} for pool in plan["pools"].values())


def test_pool_values_read_back_exactly_with_their_weights() -> None:
    plan, files = pool_files(plan_with(HOSTILE))
    for name, values in HOSTILE.items():
        rows = list(csv.reader(io.StringIO(files[plan["pools"][name]["file"]])))
        assert rows[0] == ["value", "weight"]
        assert [row[0] for row in rows[1:]] == values
        assert sum(float(row[1]) for row in rows[1:]) == pytest.approx(1, abs=1e-5)


def test_a_joint_pool_has_a_column_per_parameter_then_the_weight() -> None:
    rows_in = [["7", "a,b"], ["8", 'say "hi"']]
    plan, files = pool_files(
        {
            "pools": {
                "GET /u/{userId}/o/{orderId}": {
                    "values": rows_in,
                    "weights": [0.75, 0.25],
                    "columns": ["userId", "orderId"],
                }
            }
        }  # fmt: skip
    )
    pool = plan["pools"]["GET /u/{userId}/o/{orderId}"]
    assert pool["columns"] == 2
    rows = list(csv.reader(io.StringIO(files[pool["file"]])))
    assert rows == [
        ["userId", "orderId", "weight"],
        ["7", "a,b", "0.75"],
        ["8", 'say "hi"', "0.25"],
    ]


@pytest.fixture
def k6_folder(lms_generated: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the LMS k6 test and its course_id pool file, to edit."""
    shutil.copytree(lms_generated / "k6", tmp_path / "k6")
    plan = json.loads((tmp_path / "k6" / "plan.json").read_text())
    return tmp_path / "k6", tmp_path / "k6" / plan["pools"]["course_id"]["file"]


@pytest.mark.engines
def test_k6_pool_of_values_alone_counts_each_once(k6_folder: tuple[Path, Path]) -> None:
    folder, pool = k6_folder
    pool.write_text("value\n101\n102\n")  # an engineer's own ids, no weights
    with FastRecordingServer() as server:
        completed = run_k6(
            folder, timeout=120, BASE_URL=server.base_url, SESSIONS="100", THINK_SCALE="0",
            SUMMARY_PATH=str(folder / "summary.json"),
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    ids = course_ids_sent(server.requests)
    assert set(ids) == {"101", "102"} and min(ids.values()) > 0.3 * sum(ids.values()), ids


@pytest.mark.engines
def test_k6_stops_on_a_weight_that_is_no_number(k6_folder: tuple[Path, Path]) -> None:
    folder, pool = k6_folder
    pool.write_text("value,weight\n101,1\n102,lots\n")
    inspect = subprocess.run(
        [str(find_k6()), "inspect", "-e", "BASE_URL=http://127.0.0.1:9", "script.js"],
        cwd=folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert inspect.returncode != 0
    message = (inspect.stdout + inspect.stderr).replace('\\"', '"')  # k6 logs quotes escaped
    assert f'{pool.relative_to(folder)}, row 3: the weight "lots" is not a number' in message


def test_a_path_parameter_limited_to_a_list_draws_from_its_own_operations_list(
    tmp_path: Path,
) -> None:
    """Overseerr's `/issue/{issueId}/{status}` (open, resolved) and
    `/request/{requestId}/{status}` (approve, decline): one pool per parameter name mixed the
    two lists, and `status` was "captured" from the issue's response (a comment's id), so the
    scripts sent `/issue/1/1` (Prism: 422). Each operation draws from its own list."""
    from click.testing import CliRunner

    from inferload.cli import main
    from tests.spec.builders import get, openapi3, path_param, write_spec

    def status_of(*values: str) -> dict[str, object]:
        return {"name": "status", "in": "path", "required": True,
                "schema": {"type": "string", "enum": list(values)}}  # fmt: skip

    id_schema = {"type": "object", "properties": {"id": {"type": "integer"}}}
    listed = {"200": {"description": "ok", "content": {"application/json": {"schema": {
        "type": "array", "items": id_schema}}}}}  # fmt: skip
    paths = {
        "/issue": {"get": get("listIssues", responses=listed)},
        "/issue/{issueId}": {"get": get("getIssue", parameters=[path_param("issueId")])},
        "/issue/{issueId}/{status}": {
            "post": get(
                "setIssueStatus", parameters=[path_param("issueId"), status_of("open", "resolved")]
            )
        },  # fmt: skip
        "/request": {"get": get("listRequests", responses=listed)},
        "/request/{requestId}": {"get": get("getRequest", parameters=[path_param("requestId")])},
        "/request/{requestId}/{status}": {
            "post": get(
                "setRequestStatus",
                parameters=[path_param("requestId"), status_of("approve", "decline")],
            )
        },  # fmt: skip
    }
    spec = write_spec(tmp_path, openapi3(paths))
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml")]).exit_code == 0  # fmt: skip
    assert runner.invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]).exit_code == 0  # fmt: skip
    with FastRecordingServer() as server:
        done = run_k6(tmp_path / "out" / "k6", timeout=120, BASE_URL=server.base_url, SESSIONS="300", THINK_SCALE="0")  # fmt: skip
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        sent = [path for method, path in server.requests if method == "POST"]
    issues = {path.rsplit("/", 1)[1] for path in sent if path.startswith("/issue/")}
    requests = {path.rsplit("/", 1)[1] for path in sent if path.startswith("/request/")}
    assert issues == {"open", "resolved"} and requests == {"approve", "decline"}, sent
