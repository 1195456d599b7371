"""The plan shows what a session of the mean length does, not only the shortest journeys."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

from click.testing import CliRunner

from inferload.cli import main
from inferload.model.journeys import typical_journey
from inferload.model.workload import END, START
from tests.conftest import SPECS


def _probability(chain: dict[str, dict[str, float]], path: list[str]) -> float:
    probability = 1.0
    for source, target in zip([START, *path], [*path, END], strict=True):
        probability *= chain.get(source, {}).get(target, 0.0)
    return probability


def test_the_typical_journey_is_the_likeliest_of_its_length() -> None:
    rng = random.Random(7)
    states = ["a", "b", "c", "d"]
    for _ in range(20):  # random chains, checked against every path of the length
        chain: dict[str, dict[str, float]] = {}
        for source in [START, *states]:
            weights = {t: rng.random() for t in [*states, END] if source != START or t != END}
            total = sum(weights.values())
            chain[source] = {t: w / total for t, w in weights.items()}
        for steps in (1, 3, 5):
            found = typical_journey(chain, steps)
            assert found is not None and len(found) == steps
            best = max(
                _probability(chain, list(p)) for p in itertools.product(states, repeat=steps)
            )
            assert abs(_probability(chain, found) - best) < 1e-15


def test_a_chain_that_cannot_end_at_that_length_has_none() -> None:
    chain = {START: {"a": 1.0}, "a": {"b": 1.0}, "b": {END: 1.0}}
    assert typical_journey(chain, 2) == ["a", "b"]
    assert typical_journey(chain, 3) is None


def test_the_plan_shows_the_likeliest_session_of_the_mean_length(tmp_path: Path) -> None:
    """Conduit's sessions take nine steps, and its likeliest journeys are two-step ones."""
    spec = SPECS / "realworld-conduit/openapi.yml"
    runner = CliRunner()
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml")]).exit_code == 0  # fmt: skip
    assert runner.invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]).exit_code == 0  # fmt: skip
    plan = (tmp_path / "out" / "TEST-PLAN.md").read_text()
    line = plan.split("the likeliest of 9 steps: ", 1)[1].split("\n", 1)[0].rstrip(".")
    steps = line.split(" -> ")
    assert len(steps) == 9 and steps[0] == "Login"
    assert "GetArticle" in steps  # it reads an article, not only lists
