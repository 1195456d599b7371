"""Sessions start at random, as production's users arrive (a Poisson stream), not at the even
pace of the engines' arrival-rate executors: the starts of one-request sessions, received by a
server, have exponential-like gaps (coefficient of variation near 1; an even pace gives near 0)
at the profile's rate. A session waiting for its start is not in flight: the results count
only sessions begun, as the target sees them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.analyse.readers import read_run
from inferload.cli import main
from tests.engines.recording_server import Received, RecordingServer
from tests.logs.builders import T0, combined, write_log

SPEC = """
openapi: 3.0.3
info: {title: Items, version: "1"}
paths:
  /items:
    get:
      responses: {"200": {description: ok}}
"""
# Sessions per second. Each waits up to 20 arrival intervals, capped at 30 s x SCALE = 0.3 s:
# at 40/s that is 12 intervals, whose shifted starts have gaps of coefficient of variation 0.92
# on average (simulated; 1% of runs below 0.83). At 20/s, 6 intervals: 0.86, and 1% below 0.75.
RATE = 40
SCALE = 0.01  # the load profile's 300 s ramp, 1,800 s hold and 120 s ramp down: 3 s, 18 s, 1 s


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("arrivals")
    (folder / "openapi.yaml").write_text(SPEC)
    lines = [
        combined(T0 + 3 * n, "GET /items", ip=f"198.51.{n // 250}.{n % 250 + 1}")
        for n in range(300)
    ]
    log = write_log(folder / "access.log", lines)
    (folder / "targets.yaml").write_text(f"normal_arrival_rate_per_s: {RATE}\n")
    runner = CliRunner()
    result = runner.invoke(main, ["infer", "--spec", str(folder / "openapi.yaml"), "--logs", str(log),
                                  "-o", str(folder / "workload.yaml")])  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["generate", str(folder / "workload.yaml"), "--targets",
                                  str(folder / "targets.yaml"), "-o", str(folder / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    return folder / "out"


@dataclass(frozen=True)
class Run:
    received: list[Received]
    results: Path


@pytest.fixture(scope="module", params=["k6", "artillery"])
def run(
    request: pytest.FixtureRequest, generated: Path, tmp_path_factory: pytest.TempPathFactory
) -> Run:
    """The load profile, compressed, run by `inferload run` against a recording server."""
    results = tmp_path_factory.mktemp("results") / request.param
    with RecordingServer() as server:
        result = CliRunner().invoke(main, [
            "run", str(generated), "--tool", request.param, "--profile", "load", "--base-url", server.base_url,
            "-o", str(results), "--duration-scale", str(SCALE),
        ])  # fmt: skip
        assert result.exit_code == 0, result.output + (result.stderr or "")
        return Run(list(server.received), results)


def hold_gaps(received: list[Received], start: float, end: float) -> list[float]:
    """Gaps between the requests received within [start, end] of the run's span."""
    times = sorted(r.at for r in received)
    first, span = times[0], times[-1] - times[0]
    held = [t for t in times if first + start * span <= t <= first + end * span]
    return [b - a for a, b in zip(held, held[1:], strict=False)]


@pytest.mark.engines
def test_sessions_start_at_random_at_the_profiles_rate(run: Run) -> None:
    gaps = hold_gaps(run.received, 0.3, 0.7)
    assert len(gaps) > 100, len(gaps)
    mean = statistics.fmean(gaps)
    assert 0.8 / RATE < mean < 1.25 / RATE, mean  # the profile's rate, kept
    variation = statistics.pstdev(gaps) / mean
    assert 0.75 < variation < 1.3, variation  # Poisson's: 1; an even pace: near 0


@pytest.mark.engines
def test_sessions_waiting_for_their_start_are_not_in_flight(run: Run) -> None:
    """One quick request a session at 40 sessions/s: about a tenth of a session in flight on
    average (Little's law), while about six wait for their random start at any moment (up to
    0.3 s each, at this scale). The engines' own counts hold those too."""
    users = read_run(run.results).users
    assert users.height >= 2
    assert users.get_column("users").mean() < 1.0, users
