"""The plan carries each persona's journey graph compactly (edges by slot, targets and think-time
laws by index) and loses nothing: decoded, it is the workload's chain edge for edge."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from inferload.design.plan import design
from inferload.design.targets import Targets
from inferload.model.workload import Provenance, Workload, load_workload
from inferload.spec import load_catalog
from tests.conftest import FIXTURES


def decoded(plan: dict[str, Any], index: int) -> dict[str, dict[str, tuple[float, list[float]]]]:
    """state -> target -> (probability, [mu, sigma]), read back from the plan."""
    persona = plan["personas"][index]
    chain: dict[str, dict[str, tuple[float, list[float]]]] = {}
    for state, slot in persona["transitions"].items():
        edges = plan["transitions"][slot]
        chain[state] = {
            persona["targets"][to]: (p, persona["laws"][law])
            for to, p, law in zip(edges["to"], edges["p"], edges["law"], strict=True)
        }
    return chain


def expected(workload: Workload, index: int) -> dict[str, dict[str, tuple[float, list[float]]]]:
    persona = workload.personas[index]
    default = persona.default_think
    chain: dict[str, dict[str, tuple[float, list[float]]]] = {}
    for state, targets in persona.transitions.items():
        chain[state] = {}
        for target, p in targets.items():
            law = persona.think_times.get(f"{state}->{target}", default)
            chain[state][target] = (p, [law.mu, law.sigma])
    return chain


def test_the_plan_decodes_to_the_workloads_chains(lms_workload_file: Path) -> None:
    workload = load_workload(lms_workload_file)
    plan = design(workload, load_catalog(FIXTURES / "lms/openapi.yaml"), Targets())
    assert len(plan["personas"]) == len(workload.personas) > 1
    slots = [s for persona in plan["personas"] for s in persona["transitions"].values()]
    assert sorted(slots) == list(range(len(plan["transitions"])))  # one slot per state, no gap
    for index, persona in enumerate(plan["personas"]):
        assert decoded(plan, index) == expected(workload, index)
        laws = [tuple(law) for law in persona["laws"]]
        assert len(set(laws)) == len(laws)  # each law once
        default = workload.personas[index].default_think
        assert laws[0] == (default.mu, default.sigma)
    assert max(len(persona["laws"]) for persona in plan["personas"]) > 1  # laws per edge, too


def test_a_think_time_set_by_hand_is_drawn_from_its_median_and_p90(
    lms_workload_file: Path,
) -> None:
    """A fit's `median_s` and `p90_s` are the sample's, not the law's: editing them alone
    would change nothing the scripts draw. Set by hand (`provenance: user`), they define it."""
    workload = load_workload(lms_workload_file)
    persona = workload.personas[0]
    edge, fitted = next(iter(persona.think_times.items()))
    by_hand = fitted.model_copy(
        update={"median_s": 20.0, "p90_s": 60.0, "provenance": Provenance.USER}
    )
    default = persona.default_think.model_copy(
        update={"median_s": 4.0, "p90_s": 4.0, "provenance": Provenance.USER}
    )
    edited = persona.model_copy(
        update={"think_times": {**persona.think_times, edge: by_hand}, "default_think": default}
    )
    workload = workload.model_copy(update={"personas": [edited, *workload.personas[1:]]})
    plan = design(workload, load_catalog(FIXTURES / "lms/openapi.yaml"), Targets())
    source, target = edge.split("->")
    mu, sigma = decoded(plan, 0)[source][target][1]
    assert math.exp(mu) == pytest.approx(20.0)  # the median
    assert math.exp(mu + 1.2816 * sigma) == pytest.approx(60.0, rel=1e-4)  # the 90th percentile
    assert plan["personas"][0]["laws"][0] == [pytest.approx(math.log(4.0)), 0.0]  # a constant 4 s
    assert (mu, sigma) != (fitted.mu, fitted.sigma)
