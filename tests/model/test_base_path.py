"""The scripts' base path follows what production's requests carried, and the plan says which.

Petstore v3's only server is `/api/v3`; a service behind a gateway that strips it logs `/pet/1`.
A script sending `/api/v3/pet/1` there would meet only 404s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import SPECS
from tests.logs.builders import T0, combined, write_log
from tests.spec.builders import get, openapi3, write_spec

PETSTORE = SPECS / "petstore-v3" / "openapi.yaml"


def petstore_log(path: Path, prefixed: int, bare: int, prefixed_calls: int = 4) -> Path:
    """Sessions of one client each: `prefixed` of them call /api/v3 paths (their first
    `prefixed_calls` requests), `bare` the bare ones (4 requests of 4 path shapes)."""
    lines = []
    for index in range(prefixed + bare):
        base = "/api/v3" if index < prefixed else ""
        at = T0 + 3600 * index
        ip = f"203.0.113.{index + 1}"
        session = [
            combined(at, f"GET {base}/pet/{index + 1}", ip=ip),
            combined(at + 5, f"GET {base}/pet/findByStatus?status=sold", ip=ip),
            combined(at + 9, f"GET {base}/store/inventory", ip=ip),
            combined(at + 14, f"GET {base}/store/order/{index + 7}", ip=ip),
        ]
        lines += session[:prefixed_calls] if base else session
    return write_log(path, sorted(lines, key=lambda line: line.split("[")[1]))


def infer(tmp_path: Path, log: Path) -> dict:  # type: ignore[type-arg]
    out = tmp_path / "workload.yaml"
    result = CliRunner().invoke(
        main, ["infer", "--spec", str(PETSTORE), "--logs", str(log), "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    return yaml.safe_load(out.read_text())  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("prefixed", "bare", "prefixed_calls", "expected"),
    [
        (0, 3, 4, ""),
        (3, 0, 4, "/api/v3"),
        (3, 1, 2, ""),  # more requests with the prefix, but of fewer path shapes
        (1, 2, 4, "/api/v3"),  # as many shapes each way: the spec's servers decide
    ],
)
def test_the_base_path_is_the_one_most_logged_path_shapes_carried(
    tmp_path: Path, prefixed: int, bare: int, prefixed_calls: int, expected: str
) -> None:
    """Path shapes, not requests, are counted: the matcher sees each shape once (counting
    requests would add work per line), and logs carry one base path or the other throughout."""
    log = petstore_log(tmp_path / "access.log", prefixed, bare, prefixed_calls)
    assert infer(tmp_path, log)["api"]["base_path"] == expected


def test_the_logs_report_counts_path_shapes_by_base_path(tmp_path: Path) -> None:
    log = petstore_log(tmp_path / "access.log", prefixed=1, bare=2)
    runner = CliRunner()
    report = runner.invoke(main, ["logs", str(log), "--spec", str(PETSTORE), "--json"])
    assert report.exit_code == 0, report.output
    # each base path's distinct shapes: /pet/?, /pet/findByStatus, /store/inventory, /store/order/?
    assert json.loads(report.output)["base_paths"] == {"/api/v3": 4, "": 4}
    text = runner.invoke(main, ["logs", str(log), "--spec", str(PETSTORE)])
    assert "Base paths of the matched path shapes: (none) (4), /api/v3 (4)" in " ".join(
        text.output.split()
    )


@pytest.mark.parametrize(("prefixed", "bare"), [(0, 3), (3, 0)])
def test_the_run_instructions_name_the_base_path_and_where_it_came_from(
    tmp_path: Path, prefixed: int, bare: int
) -> None:
    infer(tmp_path, petstore_log(tmp_path / "access.log", prefixed, bare))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "workload.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    for document in ("README.md", "TEST-PLAN.md"):
        text = " ".join((out / document).read_text().split())
        if prefixed:
            assert "followed by `/api/v3` (the base path production's requests carried)" in text
            assert "`BASE_PATH=` for a server that serves the bare paths" in text
        else:
            assert "(production's requests carried no base path)" in text
            assert "`BASE_PATH=/prefix` puts a prefix before every path" in text


def test_without_logs_the_run_instructions_name_the_spec_server(tmp_path: Path) -> None:
    out = tmp_path / "workload.yaml"
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--spec", str(PETSTORE), "-o", str(out)]).exit_code == 0
    assert yaml.safe_load(out.read_text())["api"]["base_path"] == "/api/v3"
    assert runner.invoke(main, ["generate", str(out), "-o", str(tmp_path / "out")]).exit_code == 0
    readme = " ".join((tmp_path / "out" / "README.md").read_text().split())
    assert "followed by `/api/v3` (the spec's first server)" in readme


def test_an_operations_own_server_does_not_become_every_operations_base_path(
    tmp_path: Path,
) -> None:
    """`/internal` serves two operations only (their own `servers`); most logged shapes carry
    it, but the scripts put one base path before every operation: the document's `/v1`."""
    internal = {"servers": [{"url": "/internal"}]}
    spec = write_spec(
        tmp_path,
        openapi3(
            {
                "/items": {"get": get("listItems")},
                "/jobs": {**internal, "get": get("listJobs")},
                "/queues": {**internal, "get": get("listQueues")},
            },
            servers=[{"url": "https://api.example.com/v1"}],
        ),
    )
    log = write_log(
        tmp_path / "access.log",
        [combined(T0 + 60 * i, f"GET {path}") for i, path in
         enumerate(["/v1/items", "/internal/jobs", "/internal/queues"] * 3)],
    )  # fmt: skip
    out = tmp_path / "workload.yaml"
    result = CliRunner().invoke(main, ["infer", "--spec", str(spec), "--logs", str(log), "-o", str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert yaml.safe_load(out.read_text())["api"]["base_path"] == "/v1"
