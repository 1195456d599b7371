"""Inference recovers a known workload from 20,000 simulated sessions with noise around them.

Tolerances (issue: workload model): transition probabilities within total variation 0.05 per
state (visit-weighted), persona weights within 3 percentage points, think-time medians within 10%.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from inferload.logs import IngestOptions, LogIngest
from inferload.model import Workload, infer_from_logs
from inferload.model.workload import END, START, Persona
from inferload.spec import load_catalog
from tests.model.simulator import PERSONAS, REPORTER, SPEC, TruePersona, simulate

SESSIONS = 20_000


@pytest.fixture(scope="module")
def inferred(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workload, dict[str, int]]:
    folder = tmp_path_factory.mktemp("recovery")
    spec = folder / "shop.yaml"
    spec.write_text(SPEC)
    log = folder / "access.log"
    counts = simulate(log, SESSIONS)
    catalog = load_catalog(spec)
    workload = infer_from_logs(
        catalog,
        LogIngest([log], catalog, IngestOptions(salt=b"x", aggregate_operations=True)),
        spec_path=str(spec),
    )
    return workload, counts


def matched(workload: Workload, truth: TruePersona) -> Persona:
    """The inferred persona whose chain leaves `login` the way this true persona does."""
    first = max(truth.chain["login"], key=truth.chain["login"].get)  # type: ignore[arg-type]
    return max(workload.personas, key=lambda p: p.transitions.get("login", {}).get(first, 0))


def test_personas_and_weights(inferred: tuple[Workload, dict[str, int]]) -> None:
    workload, counts = inferred
    assert len(workload.personas) == len(PERSONAS)
    assert workload.source.requests == counts["requests"]
    assert {matched(workload, truth).id for truth in PERSONAS} == {p.id for p in workload.personas}
    for truth in PERSONAS:
        assert abs(matched(workload, truth).weight - truth.weight) <= 0.03, truth.name


def test_transitions_within_total_variation(inferred: tuple[Workload, dict[str, int]]) -> None:
    workload, _ = inferred
    for truth in PERSONAS:
        persona = matched(workload, truth)
        visits: Counter[str] = Counter()
        weighted_tv = 0.0
        for state, true_next in truth.chain.items():
            found = persona.transitions.get(state, {})
            visits[state] = 1
            targets = set(true_next) | set(found)
            tv = 0.5 * sum(abs(true_next.get(t, 0.0) - found.get(t, 0.0)) for t in targets)
            assert tv <= 0.05 + 0.05, (truth.name, state, tv)  # no single state far off
            weight = _visit_share(truth, state)
            weighted_tv += weight * tv
        assert weighted_tv <= 0.05, (truth.name, weighted_tv)


def _visit_share(truth: TruePersona, state: str) -> float:
    """Stationary-ish visit share of each state: expected visits per session, normalised."""
    visits = {s: 0.0 for s in truth.chain}
    visits[START] = 1.0
    for _ in range(200):  # power iteration on an absorbing chain
        nxt = {s: 0.0 for s in truth.chain}
        nxt[START] = 1.0
        for source, targets in truth.chain.items():
            for target, p in targets.items():
                if target != END:
                    nxt[target] += visits[source] * p
        visits = nxt
    return visits[state] / sum(visits.values())


def test_think_time_medians_within_ten_percent(inferred: tuple[Workload, dict[str, int]]) -> None:
    workload, _ = inferred
    checked = 0
    for truth in PERSONAS:
        persona = matched(workload, truth)
        for edge, median in truth.think_median_s.items():
            fitted = persona.think_times[edge]
            assert fitted.samples >= 20, edge
            assert abs(fitted.median_s - median) <= 0.1 * median, (
                truth.name,
                edge,
                fitted.median_s,
                median,
            )
            checked += 1
    assert checked == sum(len(t.think_median_s) for t in PERSONAS)


def test_guards_load_and_noise(inferred: tuple[Workload, dict[str, int]]) -> None:
    workload, counts = inferred
    shopper = matched(workload, PERSONAS[0])
    guards = {(g.kind, g.operation, g.requires) for g in shopper.guards}
    assert ("requires", "checkout", "addToCart") in guards
    assert ("ends_session", "logout", None) in guards
    assert ("requires", "getProduct", "login") in guards or (
        "requires",
        "search",
        "login",
    ) in guards
    load = workload.load
    # Poisson arrivals at 1/s: normal rate close to 1 session/s
    assert 0.9 <= load.normal_arrival_rate_per_s.value <= 1.1
    little = load.littles_law_concurrency.value
    assert 0.5 * little <= load.peak_concurrent_sessions.value <= 1.5 * little
    assert "health" not in workload.operations and "productId" in workload.data_pools
    assert workload.operations["login"].priority == "high"
    assert workload.correlations["getProduct"]["productId"].producer == "listProducts"
    assert counts["noise"] > 0


@pytest.mark.parametrize("server", ["nginx", "apache"])
def test_think_time_leaves_out_slow_responses_however_the_server_stamps_them(
    server: str, tmp_path: Path
) -> None:
    """Reports take seconds to answer. nginx stamps a request when its response is done, Apache
    when it came: either way the time between two lines holds a response time, and the think
    times fitted must leave it out (`login->getReport` is 8 s of thinking before a 3 s answer)."""
    spec = tmp_path / "shop.yaml"
    spec.write_text(SPEC)
    log = tmp_path / "access.log"
    simulate(log, 4000, seed=5, response_s={"getReport": 3.0, "exportReport": 5.0}, server=server)
    catalog = load_catalog(spec)
    workload = infer_from_logs(
        catalog,
        LogIngest([log], catalog, IngestOptions(salt=b"x", aggregate_operations=True)),
        spec_path=str(spec),
    )
    persona = matched(workload, REPORTER)
    for edge, median in REPORTER.think_median_s.items():
        fitted = persona.think_times[edge]
        assert abs(fitted.median_s - median) <= 0.1 * median, (edge, fitted.median_s, median)
