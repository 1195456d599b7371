"""Optional query parameters are sent as often as production sent them: a search used by one
product listing in four is not sent with every listing, and a sort production never asked for
is not sent at all, whatever example the spec gives it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.fast_recording_server import FastRecordingServer
from tests.engines.runs import run_sessions
from tests.logs.builders import T0, combined, write_log

SPEC = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /products:
    get:
      parameters:
        - {name: search, in: query, schema: {type: string}, example: shoe}
        - {name: page, in: query, schema: {type: integer, minimum: 1}, example: 1}
        - {name: sort, in: query, schema: {type: string}, example: price}
        - {name: currency, in: query, required: true, schema: {type: string}, example: EUR}
        - {name: ref, in: query, schema: {type: string}, example: newsletter}
      responses: {"200": {description: ok}}
"""
LISTINGS = 800  # one per session: a quarter with a search, half with a page, none sorted


def listing(n: int) -> str:
    query = ["currency=EUR"]
    if n % 4 == 0:
        query.append(f"search=term{n % 7}")
    if n % 2 == 1:
        query.append(f"page={n % 5 + 1}")
    if n % 10 == 2:  # a campaign's tracking reference: too long to replay, so the spec's example
        query.append(f"ref={'campaign-' * 5}{n}")
    return "GET /products?" + "&".join(query)


def inferred_from(folder: Path, with_spec: bool) -> Path:
    (folder / "openapi.yaml").write_text(SPEC)
    lines = [
        combined(T0 + 4000 * n, listing(n), ip=f"198.51.{n // 250}.{n % 250}")
        for n in range(LISTINGS)
    ]
    log = write_log(folder / "access.log", lines)
    runner = CliRunner()
    spec = ["--spec", str(folder / "openapi.yaml")] if with_spec else []
    result = runner.invoke(main, ["infer", *spec, "--logs", str(log), "-o", str(folder / "w.yaml")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture(scope="module")
def inferred(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return inferred_from(tmp_path_factory.mktemp("shares"), with_spec=True)


@pytest.fixture(scope="module")
def inferred_from_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return inferred_from(tmp_path_factory.mktemp("shares-logs"), with_spec=False)


def test_the_model_counts_how_often_each_query_parameter_came(inferred: Path) -> None:
    workload = yaml.safe_load((inferred / "w.yaml").read_text())
    (operation,) = workload["operations"].values()
    assert operation["query_shares"] == {"currency": 1.0, "search": 0.25, "page": 0.5, "ref": 0.1}
    plan = json.loads((inferred / "out" / "k6" / "plan.json").read_text())
    (planned,) = plan["operations"].values()
    assert {name: q["share"] for name, q in planned["query"].items()} == {
        "currency": 1.0, "search": 0.25, "page": 0.5, "ref": 0.1,
    }  # fmt: skip
    assert "sort" not in planned["query"]  # production never sorted: the spec's example is unused
    assumptions = " ".join((inferred / "out" / "TEST-PLAN.md").read_text().split())
    assert "`ref` (in 10% of its requests) always the spec's example" in assumptions


def test_a_model_from_logs_alone_sends_the_query_parameters_production_sent(
    inferred_from_logs: Path,
) -> None:
    """Without a spec, the query's names come from the logs; production's values are replayed."""
    workload = yaml.safe_load((inferred_from_logs / "w.yaml").read_text())
    assert workload["source"]["spec_path"] is None
    operation = workload["operations"]["GET /products"]
    assert operation["query_shares"] == {"currency": 1.0, "search": 0.25, "page": 0.5, "ref": 0.1}
    plan = json.loads((inferred_from_logs / "out" / "k6" / "plan.json").read_text())
    query = plan["operations"]["GET /products"]["query"]
    assert {name: (q["share"], q["pool"]) for name, q in query.items()} == {
        "currency": (1.0, "query.currency"), "search": (0.25, "query.search"),
        "page": (0.5, "query.page"),
    }  # fmt: skip


def test_a_model_from_the_spec_alone_sends_every_parameter_it_has_a_value_for(
    tmp_path: Path,
) -> None:
    (tmp_path / "openapi.yaml").write_text(SPEC)
    runner = CliRunner()
    spec, workload = tmp_path / "openapi.yaml", tmp_path / "w.yaml"
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(workload)]).exit_code == 0
    (operation,) = yaml.safe_load(workload.read_text())["operations"].values()
    assert operation["query_shares"] is None  # nothing measured how often
    result = runner.invoke(main, ["generate", str(workload), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    (planned,) = json.loads((tmp_path / "out" / "k6" / "plan.json").read_text())[
        "operations"
    ].values()
    assert {name: q["share"] for name, q in planned["query"].items()} == dict.fromkeys(
        ("search", "page", "sort", "currency", "ref"), 1.0
    )


def test_a_share_outside_zero_to_one_is_refused(inferred: Path, tmp_path: Path) -> None:
    data = yaml.safe_load((inferred / "w.yaml").read_text())
    next(iter(data["operations"].values()))["query_shares"]["search"] = 25
    edited = tmp_path / "w.yaml"
    edited.write_text(yaml.safe_dump(data))
    result = CliRunner().invoke(main, ["validate", str(edited)])
    assert result.exit_code == 2
    assert "query_shares.search: 25 is not a share between 0 and 1" in result.stderr


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["k6", "artillery"])
@pytest.mark.parametrize("model", ["inferred", "inferred_from_logs"])
def test_the_engines_send_each_query_parameter_as_often_as_production(
    engine: str, model: str, request: pytest.FixtureRequest
) -> None:
    folder: Path = request.getfixturevalue(model)
    with FastRecordingServer() as server:
        completed = run_sessions(
            engine, folder / "out", 2000, BASE_URL=server.base_url, THINK_SCALE="0"
        )
        sent = [parse_qs(urlsplit(path).query) for _, path in server.requests]
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert len(sent) >= 2000
    assert all(query["currency"] == ["EUR"] for query in sent)  # required: every request
    assert not [query for query in sent if "sort" in query]
    # 2,000 requests: a share's standard error is at most 0.0112, so 0.05 is 4.5 of them (a
    # chance of 7e-6 that a right share lands outside)
    assert sum("search" in query for query in sent) / len(sent) == pytest.approx(0.25, abs=0.05)
    assert sum("page" in query for query in sent) / len(sent) == pytest.approx(0.5, abs=0.05)
    assert {value for query in sent for value in query.get("search", [])} <= {
        f"term{n}" for n in range(7)
    }
