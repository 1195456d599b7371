"""Sessions start at random, as production's users arrive (a Poisson stream), not at the even
pace of the engines' arrival-rate executors: the starts of one-request sessions, received by a
server, have exponential-like gaps (coefficient of variation near 1; an even pace gives near 0)
at the profile's rate."""

from __future__ import annotations

import statistics
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_artillery, run_k6
from tests.logs.builders import T0, combined, write_log

SPEC = """
openapi: 3.0.3
info: {title: Items, version: "1"}
paths:
  /items:
    get:
      responses: {"200": {description: ok}}
"""
RATE = 20  # sessions per second
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


def hold_gaps(server: RecordingServer, start: float, end: float) -> list[float]:
    """Gaps between the requests received within [start, end] of the run's span."""
    times = sorted(r.at for r in server.received)
    first, span = times[0], times[-1] - times[0]
    held = [t for t in times if first + start * span <= t <= first + end * span]
    return [b - a for a, b in zip(held, held[1:], strict=False)]


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_sessions_start_at_random_at_the_profiles_rate(engine: str, generated: Path) -> None:
    with RecordingServer() as server:
        if engine == "k6":
            completed = run_k6(generated / "k6", "--no-thresholds", BASE_URL=server.base_url,
                               PROFILE="load", DURATION_SCALE=str(SCALE), SUMMARY_PATH="/dev/null")  # fmt: skip
        else:
            completed = run_artillery(generated / "artillery", RATE * 18, duration=18,
                                      BASE_URL=server.base_url, ARTILLERY_DISABLE_ENSURE="1")  # fmt: skip
        assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
        gaps = hold_gaps(server, 0.3, 0.7) if engine == "k6" else hold_gaps(server, 0.2, 0.8)
    assert len(gaps) > 100, len(gaps)
    mean = statistics.fmean(gaps)
    assert 0.8 / RATE < mean < 1.25 / RATE, mean  # the profile's rate, kept
    variation = statistics.pstdev(gaps) / mean
    assert 0.75 < variation < 1.3, variation  # Poisson's: 1; an even pace: near 0
