"""Drift between simulated samples: every injected change is reported, and samples drawn from
the same workload with different seeds report nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from inferload.logs import IngestOptions, LogIngest
from inferload.model import Workload, infer_from_logs
from inferload.model.workload import Provenance
from inferload.refresh.drift import Drift, Tolerance, diff_workloads
from inferload.spec import load_catalog
from tests.model.simulator import PERSONAS, REPORTER, SHOPPER, SPEC, TRACKER, TruePersona, simulate

SESSIONS = 4000


@pytest.fixture(scope="module")
def infer(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Workload]:
    folder = tmp_path_factory.mktemp("drift")
    spec = folder / "shop.yaml"
    spec.write_text(SPEC)
    catalog = load_catalog(spec)
    made: dict[str, Workload] = {}

    def sample(name: str, seed: int, personas: tuple[TruePersona, ...] = PERSONAS, arrivals_per_s: float = 1.0,
               sessions: int = SESSIONS) -> Workload:  # fmt: skip
        if name not in made:
            log = folder / f"{name}.log"
            simulate(log, sessions, seed=seed, personas=personas, arrivals_per_s=arrivals_per_s)
            ingest = LogIngest([log], catalog, IngestOptions(salt=b"x", aggregate_operations=True))
            made[name] = infer_from_logs(catalog, ingest, spec_path=str(spec))
        return made[name]

    return sample


def kinds(drift: Drift) -> set[str]:
    return {change.kind for change in drift.changes if change.drift}


@pytest.mark.parametrize("seed", [2, 3])
def test_same_workload_different_seed_reports_nothing(
    infer: Callable[..., Workload], seed: int
) -> None:
    drift = diff_workloads(infer("base", 1), infer(f"same-{seed}", seed))
    assert drift.changes == [], [c.detail for c in drift.changes]
    assert not drift.drifted and drift.tests > 20


def test_a_new_endpoint_is_reported_as_uncovered(infer: Callable[..., Workload]) -> None:
    chain = {state: dict(targets) for state, targets in SHOPPER.chain.items()}
    chain["getProduct"] = {
        "getReviews": 0.25,
        "addToCart": 0.25,
        "listProducts": 0.2,
        "search": 0.15,
        "$end": 0.15,
    }
    chain["getReviews"] = {"addToCart": 0.5, "getProduct": 0.2, "$end": 0.3}
    reviewer = dataclasses.replace(SHOPPER, chain=chain)
    drift = diff_workloads(
        infer("base", 1), infer("reviews", 4, personas=(reviewer, TRACKER, REPORTER))
    )
    new = [c for c in drift.changes if c.kind == "operation-new"]
    assert len(new) == 1 and new[0].drift
    assert new[0].subject == "GET /api/products/{productId}/reviews"
    assert "not covered by any scenario" in new[0].detail
    assert any(
        c.kind == "transition" and "getProduct -> getReviews" in c.subject for c in drift.changes
    )


def test_a_persona_shift_is_reported(infer: Callable[..., Workload]) -> None:
    shifted = (
        dataclasses.replace(SHOPPER, weight=0.35),
        TRACKER,
        dataclasses.replace(REPORTER, weight=0.35),
    )
    drift = diff_workloads(infer("base", 1), infer("shift", 5, personas=shifted))
    weights = {
        c.subject: (c.old, c.new) for c in drift.changes if c.kind == "persona-weight" and c.drift
    }
    assert len(weights) == 2
    moves = sorted(new - old for old, new in weights.values())  # type: ignore[operator]
    assert moves[0] == pytest.approx(-0.20, abs=0.03) and moves[1] == pytest.approx(0.20, abs=0.03)
    assert "operation-share" in kinds(drift)  # the reports' share of requests moved with them


def test_slower_think_times_are_reported(infer: Callable[..., Workload]) -> None:
    slower = tuple(
        dataclasses.replace(p, think_median_s={k: 1.5 * v for k, v in p.think_median_s.items()})
        for p in PERSONAS
    )
    drift = diff_workloads(infer("base", 1), infer("slow", 6, personas=slower))
    think = [c for c in drift.changes if c.kind == "think-time" and c.drift]
    assert len(think) >= 8
    assert all(c.new / c.old == pytest.approx(1.5, rel=0.15) for c in think if c.old and c.new)  # type: ignore[operator]
    assert kinds(drift) <= {
        "think-time",
        "load",
    }  # nothing else moved (longer sessions overlap more)


def test_doubled_arrivals_are_reported(infer: Callable[..., Workload]) -> None:
    # the same observation window with twice the traffic
    drift = diff_workloads(
        infer("base", 1), infer("busy", 7, arrivals_per_s=2.0, sessions=2 * SESSIONS)
    )
    load = {c.subject: c for c in drift.changes if c.kind == "load" and c.drift}
    assert "peak_arrival_rate_per_s" in load
    assert load["peak_arrival_rate_per_s"].new / load[
        "peak_arrival_rate_per_s"
    ].old == pytest.approx(2.0, rel=0.2)  # type: ignore[operator]
    assert kinds(drift) == {"load"}


def test_models_without_samples_list_only_what_changed() -> None:
    """Two models from the spec alone have no samples to judge by: every value they share is
    the same default, and only the values that differ are changes to review."""
    from inferload.model import infer_from_spec
    from tests.conftest import SPECS

    spec = SPECS / "petstore-v3/openapi.yaml"
    model = infer_from_spec(load_catalog(spec), str(spec))
    assert diff_workloads(model, model).changes == []
    (persona,) = model.personas
    edge = sorted(persona.think_times)[0]
    slower = persona.think_times[edge].model_copy(update={"median_s": 9.0, "mu": 2.197225})
    edited = model.model_copy(
        update={
            "personas": [
                persona.model_copy(update={"think_times": {**persona.think_times, edge: slower}})
            ]
        }
    )
    (change,) = diff_workloads(model, edited).changes
    assert (change.kind, change.subject, change.new) == (
        "think-time", f"{persona.id}: {edge}", 9.0
    )  # fmt: skip
    assert change.drift  # no samples: beyond the tolerance is drift


def test_a_spec_only_model_refreshed_from_logs(lms_workload_file: Path) -> None:
    """The first logs after a model from the spec alone: its placeholders are no counts to test
    (900 concurrent sessions by default against 132 measured is no z of -24), and the new
    personas take numbers no kept persona has (not a second "p1-")."""
    from inferload.model import infer_from_spec, load_workload
    from inferload.refresh.refresh import merge_refresh
    from tests.conftest import FIXTURES

    spec = FIXTURES / "lms/openapi.yaml"
    placeholder = infer_from_spec(load_catalog(spec), str(spec))
    measured = load_workload(lms_workload_file)
    drift = diff_workloads(placeholder, measured)
    load = [change for change in drift.changes if change.kind == "load"]
    assert load and all(
        change.z is None and "(default -> logs)" in change.detail for change in load
    )
    merged = merge_refresh(placeholder, measured).workload
    numbers = [persona.id.split("-", 1)[0] for persona in merged.personas]
    assert len(numbers) == len(set(numbers)) == len(merged.personas), numbers
    assert any(persona.id == "p1-spec-explorer" for persona in merged.personas)


def test_a_query_parameter_taken_up_or_dropped_is_reported(infer: Callable[..., Workload]) -> None:
    """Production's pages stop being asked for by page number in most listings: the scripts'
    `page` would now be sent far more often than production sends it."""
    base = infer("base", 1)
    listing = next(op_id for op_id, op in base.operations.items() if op.path == "/products")
    assert base.operations[listing].query_shares == {"page": 1.0}
    operation = base.operations[listing].model_copy(
        update={"query_shares": {"page": 0.4, "sort": 0.3}}
    )
    changed = base.model_copy(update={"operations": {**base.operations, listing: operation}})
    drift = diff_workloads(base, changed)
    queries = {c.subject: c for c in drift.changes if c.kind == "query-share"}
    assert set(queries) == {"GET /api/products ?page", "GET /api/products ?sort"}
    assert all(change.drift for change in queries.values())
    assert (
        "query `page` in 100% -> 40% of its requests" in queries["GET /api/products ?page"].detail
    )
    tolerant = diff_workloads(base, changed, dataclasses.replace(Tolerance(), query_points=80))
    assert not [c for c in tolerant.changes if c.kind == "query-share" and c.drift]
    by_hand = operation.model_copy(update={"provenance": Provenance.USER})
    edited = base.model_copy(update={"operations": {**base.operations, listing: by_hand}})
    compared = [c for c in diff_workloads(base, edited).changes if c.kind == "query-share"]
    assert compared and all(c.z is None and c.drift for c in compared)  # no sample: not tested


def test_a_think_time_set_by_hand_is_compared_by_its_law(infer: Callable[..., Workload]) -> None:
    """Set by hand, a think time is its median and p90 (see `ThinkTime.law`): the drift reads
    those, without a z-test (no sample stands behind them)."""
    base = infer("base", 1)
    persona = base.personas[0]
    slower = persona.default_think.model_copy(
        update={"median_s": 3 * persona.default_think.median_s,
                "p90_s": 3 * persona.default_think.p90_s, "provenance": Provenance.USER}
    )  # fmt: skip
    edited = base.model_copy(
        update={
            "personas": [persona.model_copy(update={"default_think": slower}), *base.personas[1:]]
        }
    )
    (change,) = [c for c in diff_workloads(base, edited).changes if c.kind == "think-time"]
    assert change.z is None and change.drift
    assert "(+" in change.detail and change.new == pytest.approx(3 * change.old)
