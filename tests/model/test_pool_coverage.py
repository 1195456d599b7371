"""Data pools say how much of production they stand for: requests that carried the parameter,
its distinct values (a HyperLogLog sketch) and the share of requests the pool's values cover;
the test plan warns when a pool holds only production's hot values."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from inferload.logs import aggregates as aggregates_module
from inferload.logs.aggregates import SKETCHED_QUERY_NAMES, OperationAggregates
from inferload.logs.cardinality import Sketches
from inferload.logs.model import encode_params
from inferload.model.pools import POOL_MAX
from tests.engines.fast_recording_server import FastRecordingServer
from tests.engines.runs import run_sessions
from tests.logs.builders import T0, combined, write_log

SPEC = """
openapi: 3.0.3
info: {title: Shop, version: "1"}
paths:
  /products/{productId}:
    get:
      parameters:
        - {name: productId, in: path, required: true, schema: {type: integer}}
        - {name: page, in: query, schema: {type: integer}}
      responses: {"200": {description: ok}}
  /users/{userId}/orders/{orderId}:
    get:
      parameters:
        - {name: userId, in: path, required: true, schema: {type: integer}}
        - {name: orderId, in: path, required: true, schema: {type: integer}}
      responses: {"200": {description: ok}}
"""
HOT_IDS, HOT_HITS, COLD_IDS = 50, 20, 2000  # 1,000 requests for 50 ids, 2,000 for 2,000 more


def sketched(sketches: Sketches[str], key: str, values: list[str]) -> None:
    hashes = pl.Series(values).hash(seed=0).to_numpy()
    rows = np.full(len(values), sketches.row(key))
    sketches.add(rows, hashes, np.ones(len(values), dtype=np.int64))


@pytest.mark.parametrize("distinct", [1, 7, 300, 5_000, 200_000])
def test_the_sketch_counts_distinct_values_within_a_few_percent(distinct: int) -> None:
    sketches: Sketches[str] = Sketches()
    sketched(sketches, "other", [f"w{n}" for n in range(10_000)])  # a row of its own
    sketched(sketches, "v", [f"v{n % distinct}" for n in range(max(distinct * 2, 1_000))])
    estimate = sketches.estimate(["v"])
    assert estimate is not None and abs(estimate - distinct) <= max(1, 0.04 * distinct), estimate
    assert sketches.estimate(["unseen"]) is None
    assert (
        sketches.requests(["v"]) == max(distinct * 2, 1_000) and sketches.requests(["unseen"]) == 0
    )


def test_sketches_of_several_keys_count_the_union() -> None:
    sketches: Sketches[str] = Sketches()
    for n in range(20):  # rows grow past their first allocation
        sketched(sketches, f"k{n}", [f"id{n}"])
    sketched(sketches, "left", [f"id{n}" for n in range(0, 30_000)])
    sketched(sketches, "right", [f"id{n}" for n in range(20_000, 50_000)])  # 10,000 in both
    union = sketches.estimate(["left", "right"])
    assert union is not None and abs(union - 50_000) <= 0.04 * 50_000
    assert sketches.estimate([f"k{n}" for n in range(20)]) == 20


def chunk(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "operation_id": [op for op, _, _ in rows],
            "params": [params for _, params, _ in rows],
            "query": [query for _, _, query in rows],
            "status": [200] * len(rows),
            "request_time_ms": [None] * len(rows),
        },
        schema_overrides={"request_time_ms": pl.Float64},
    )


def test_aggregates_count_each_parameter_across_chunks() -> None:
    aggregates = OperationAggregates()
    rng = np.random.default_rng(7)
    ids = rng.integers(0, 3_000, size=40_000)
    for part in np.array_split(ids, 4):  # the same values recur from chunk to chunk
        aggregates.add_chunk(
            chunk(
                [
                    (
                        "getOrder",
                        encode_params([("u", str(i % 40)), ("o", str(i))]),
                        f"page={i % 3}&x",
                    )
                    for i in part
                ]
            )  # fmt: skip
        )
    sketches = aggregates.parameters
    assert sketches.requests([("getOrder", "path", "u")]) == 40_000
    assert sketches.requests([("getOrder", "path", "o")]) == 40_000
    assert sketches.requests([("getOrder", "query", "page")]) == 40_000
    assert ("getOrder", "query", "x") not in sketches  # `?x` is a value, not a parameter
    true_orders = len(set(ids.tolist()))
    assert sketches.estimate([("getOrder", "path", "o")]) == pytest.approx(true_orders, rel=0.04)
    assert sketches.estimate([("getOrder", "path", "u")]) == 40
    assert sketches.estimate([("getOrder", "path", "")]) == pytest.approx(true_orders, rel=0.04)
    assert sketches.estimate([("getOrder", "query", "page")]) == 3


def test_a_scanner_s_query_names_get_a_bounded_number_of_sketches() -> None:
    aggregates = OperationAggregates()
    names = [f"probe{n}" for n in range(500)]
    aggregates.add_chunk(chunk([("search", "", f"{name}=1") for name in names]))
    sketched = [key for key in aggregates.parameters if key[1] == "query"]
    assert len(sketched) == SKETCHED_QUERY_NAMES


def test_sketches_stop_at_their_bound_in_all(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of inferred templates, each with query names: 4 KB per sketch, so a bound."""
    monkeypatch.setattr(aggregates_module, "SKETCHES", 50)
    aggregates = OperationAggregates()
    rows = [(f"op{n}", encode_params([("id", str(n))]), f"page={n}&q=x") for n in range(40)]
    aggregates.add_chunk(chunk(rows))
    assert len(aggregates.parameters) == 50  # 40 operations' rows, then 10 query names
    assert aggregates.parameters.requests([("op39", "path", "")]) == 1


def shop(tmp_path: Path, hot_only: bool) -> Path:
    """Product views: 50 hot ids viewed 20 times each and, unless `hot_only`, 2,000 ids viewed
    once; order views whose (user, order) rows all recur."""
    rng = random.Random(3)
    requests = [f"/products/{n}?page={n % 3}" for n in range(HOT_IDS) for _ in range(HOT_HITS)]
    requests += [] if hot_only else [f"/products/{10_000 + n}" for n in range(COLD_IDS)]
    requests += [f"/users/{n % 5}/orders/{n}" for n in range(40) for _ in range(3)]
    rng.shuffle(requests)
    lines = [
        combined(T0 + index, f"GET {path}", ip=f"198.51.100.{index % 200}")
        for index, path in enumerate(requests)
    ]
    return write_log(tmp_path / "access.log", lines)


def infer(tmp_path: Path, log: Path | None) -> dict:
    (tmp_path / "openapi.yaml").write_text(SPEC)
    logs = ["--logs", str(log)] if log else []
    args = [
        "infer",
        "--spec",
        str(tmp_path / "openapi.yaml"),
        *logs,
        "-o",
        str(tmp_path / "w.yaml"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return yaml.safe_load((tmp_path / "w.yaml").read_text())


def anti_pattern_row(tmp_path: Path) -> str:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = (out / "TEST-PLAN.md").read_text().splitlines()
    return next(row for row in rows if row.startswith("| hot data only |"))


def test_a_pool_of_the_hot_values_says_how_little_of_production_it_covers(tmp_path: Path) -> None:
    pools = infer(tmp_path, shop(tmp_path, hot_only=False))["data_pools"]
    product = pools["productId"]
    assert product["requests"] == HOT_IDS * HOT_HITS + COLD_IDS
    assert abs(product["distinct_values"] - (HOT_IDS + COLD_IDS)) <= 0.04 * (HOT_IDS + COLD_IDS)
    kept = HOT_IDS * HOT_HITS + (POOL_MAX - HOT_IDS)  # the hot ids, then cold ones up to the cap
    assert len(product["values"]) == POOL_MAX
    assert product["coverage"] == pytest.approx(kept / product["requests"], abs=1e-6)
    assert pools["query.page"]["coverage"] == 1.0 and pools["query.page"]["distinct_values"] == 3
    joint = pools["GET /users/{userId}/orders/{orderId}"]  # rows: (user, order) as requested
    assert (joint["requests"], joint["distinct_values"], joint["coverage"]) == (120, 40, 1.0)
    row = anti_pattern_row(tmp_path)
    assert "WARN" in row and "`productId` 500 of about 2," in row and "48% of its requests" in row
    assert "pools/" in row and "orderId" not in row


def test_pools_that_cover_production_pass_the_check(tmp_path: Path) -> None:
    pools = infer(tmp_path, shop(tmp_path, hot_only=True))["data_pools"]
    assert pools["productId"]["coverage"] == 1.0
    assert pools["productId"]["distinct_values"] == HOT_IDS
    assert anti_pattern_row(tmp_path).startswith("| hot data only | ok: ")


def test_a_pool_keeps_values_until_they_cover_most_requests(tmp_path: Path) -> None:
    """A catalogue of 300 products, their views Zipf-like: the pool keeps the most viewed until
    they stand for 95% of the views, more than the first hundred and fewer than all."""
    views = {n: max(1, 600 // (n + 1)) for n in range(300)}
    paths = [f"/products/{n}" for n, count in views.items() for _ in range(count)]
    random.Random(5).shuffle(paths)
    lines = [
        combined(T0 + i, f"GET {path}", ip=f"198.51.100.{i % 200}") for i, path in enumerate(paths)
    ]
    pools = infer(tmp_path, write_log(tmp_path / "access.log", lines))["data_pools"]
    product = pools["productId"]
    assert product["requests"] == len(paths) and 100 < len(product["values"]) < 300
    assert 0.95 <= product["coverage"] < 0.96
    kept = {int(v["value"]) for v in product["values"]}
    assert min(views[n] for n in kept) >= max(views[n] for n in views if n not in kept)


def test_a_workload_from_the_spec_alone_has_no_coverage_to_check(tmp_path: Path) -> None:
    pools = infer(tmp_path, None)["data_pools"]
    assert all(pool.get("coverage") is None for pool in pools.values())
    assert "| hot data only | n/a: " in anti_pattern_row(tmp_path)


def test_pools_hold_no_scrubbed_marker_nor_route_placeholder(tmp_path: Path) -> None:
    """A path value scrubbed to `<email>` and one logged as its route's `{orderId}` (API
    Gateway's $context.resourcePath) are no values a script could send: a pool of them made
    half the test's requests 404s."""
    lines = []
    for n in range(60):
        order = "{orderId}" if n % 2 else str(1000 + n % 7)
        lines += [
            combined(T0 + 10 * n, f"GET /products/{n % 5}", ip=f"198.51.100.{n}"),
            combined(T0 + 10 * n + 2, f"GET /users/ann{n}@example.com/orders/{order}", ip=f"198.51.100.{n}"),
        ]  # fmt: skip
    log = write_log(tmp_path / "access.log", lines)
    (tmp_path / "openapi.yaml").write_text(SPEC)
    args = [
        "infer",
        "--spec",
        str(tmp_path / "openapi.yaml"),
        "--logs",
        str(log),
        "-o",
        str(tmp_path / "w.yaml"),
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "route templates (a segment {orderId}" in result.output
    pools = yaml.safe_load((tmp_path / "w.yaml").read_text())["data_pools"]
    assert {v["value"] for v in pools["orderId"]["values"]} == {str(1000 + n) for n in range(7)}
    # every user id was an email: the pool says so and holds nothing to replay
    user = pools["userId"]
    # (the 30 requests logged with the route's `{orderId}` carried no values at all)
    assert (user["values"], user["requests"], user["coverage"]) == ([], 30, 0.0)
    assert user["distinct_values"] is None  # the sketch saw one `<email>`, not 60 addresses
    assert "GET /users/{userId}/orders/{orderId}" not in pools  # no row without a marker
    assert pools["productId"]["coverage"] == 1.0


def test_a_parameter_whose_values_were_all_personal_data_is_named_in_the_plan(
    tmp_path: Path,
) -> None:
    """Emails in a path or a query are scrubbed at ingest: the test then sends the spec's one
    example for every such request, where production spread them over many users' records.
    The plan says so, in its anti-pattern check and its checklist; the scripts have no pool
    for the parameter, and the spec's example stands in."""
    lines = []
    for n in range(40):
        lines += [
            combined(T0 + 10 * n, f"GET /products/{n % 5}?page=1", ip=f"198.51.100.{n}"),
            combined(T0 + 10 * n + 2, f"GET /users/ann{n}@example.com/orders/{n % 3}", ip=f"198.51.100.{n}"),
            combined(T0 + 10 * n + 4, f"GET /products/{n % 5}?page=2&email=ann{n}%40example.com", ip=f"198.51.100.{n}"),
        ]  # fmt: skip
    pools = infer(tmp_path, write_log(tmp_path / "access.log", lines))["data_pools"]
    assert pools["userId"]["values"] == [] and pools["userId"]["requests"] == 40
    assert pools["query.email"]["values"] == [] and pools["query.email"]["operations"]
    assert len(pools["orderId"]["values"]) == 3
    row = anti_pattern_row(tmp_path)
    assert "WARN" in row and "`userId` kept none of its values" in row and "40 requests" in row
    assert "`query.email` kept none" in row and "productId" not in row
    plan_text = (tmp_path / "out" / "TEST-PLAN.md").read_text()
    assert (
        "- [ ] Test values for `query.email`, `userId`: production's were personal data"
        in plan_text
    )
    for engine in ("k6", "artillery"):
        plan = json.loads((tmp_path / "out" / engine / "plan.json").read_text())
        assert "userId" not in plan["pools"] and "query.email" not in plan["pools"]
        assert "orderId" in plan["pools"]
    assert "@example.com" not in plan_text + (tmp_path / "w.yaml").read_text()


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_the_scripts_send_the_specs_example_for_a_parameter_of_personal_values(
    engine: str, tmp_path: Path
) -> None:
    """The pool of no values reaches no script: each request for a user's orders names the one
    value the spec gives (an integer, as the schema says), never a scrubbed marker."""
    lines = []
    for n in range(40):
        lines += [
            combined(T0 + 10 * n, f"GET /products/{n % 5}", ip=f"198.51.100.{n}"),
            combined(T0 + 10 * n + 2, f"GET /users/ann{n}@example.com/orders/{n % 3}", ip=f"198.51.100.{n}"),
        ]  # fmt: skip
    infer(tmp_path, write_log(tmp_path / "access.log", lines))
    anti_pattern_row(tmp_path)  # generates tmp_path / "out"
    with FastRecordingServer() as server:
        completed = run_sessions(
            engine, tmp_path / "out", 30, BASE_URL=server.base_url, THINK_SCALE="0"
        )
        sent = list(server.requests)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    users = {path.split("/")[2] for _, path in sent if path.startswith("/users/")}
    assert len(users) == 1 and users.pop().isdigit(), sent[:10]
    orders = {path.split("/")[4] for _, path in sent if path.startswith("/users/")}
    assert orders <= {"0", "1", "2"} and len(orders) > 1  # the orders' pool, drawn
