"""Think times as the scripts draw them, in k6 itself: the journey code's `thinkSeconds` follows the
edge's log-normal law (its mu and sigma, times THINK_SCALE) truncated at the session timeout,
successive draws are independent, and a scale of 0 draws nothing."""

from __future__ import annotations

import json
import math
import statistics
import subprocess
from pathlib import Path

import pytest
from scipy import stats

from inferload.run.engines import engine_environment, find_k6
from inferload.templating import environment

DRAWS = 20_000
EDGE = {"mu": math.log(8.0), "sigma": 0.7}  # a median of 8 s, as a browsing step might have

# The journey code needs a plan and a few engine values; an empty plan compiles to nothing.
HARNESS = """
const PLAN = { correlations: {}, auth: {}, pools: {}, operations: {}, personas: [], think_cap_s: Number(__ENV.CAP), allow_hosts: [] };
function edgesAt() { return null; }
const BASE_URL = 'http://127.0.0.1:9';
const ENV_ALLOW_HOSTS = '';
const ENV_CALLBACK = '';
const BASE_PATH = '';
const THINK_SCALE = Number(__ENV.THINK_SCALE);
const USERS = [];
const ENV_LOGIN = {};
const BASIC = '';
function uniqueValue() { return 'u'; }
{journey}
export const options = { vus: 1, iterations: 1 };
export default function () {}
export function handleSummary() {
  const edge = JSON.parse(__ENV.EDGE);
  const draws = [];
  for (let i = 0; i < Number(__ENV.DRAWS); i++) draws.push(thinkSeconds(edge));
  return { [__ENV.OUT]: JSON.stringify(draws) };
}
"""


def k6_draws(folder: Path, scale: float, cap_s: float = 1800.0) -> list[float]:
    journey = environment().get_template("common/journey.js.j2").render()
    script = folder / "think.js"
    script.write_text(HARNESS.replace("{journey}", journey))
    out = folder / f"draws-{scale}.json"
    subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", str(script)],
        check=True, capture_output=True, timeout=120,
        env=engine_environment(THINK_SCALE=str(scale), EDGE=json.dumps(EDGE), DRAWS=str(DRAWS),
                               OUT=str(out), CAP=str(cap_s)),
    )  # fmt: skip
    draws: list[float] = json.loads(out.read_text())
    assert len(draws) == DRAWS
    return draws


@pytest.mark.parametrize("scale", [1.0, 0.25])
def test_think_times_follow_the_edges_log_normal_law(tmp_path: Path, scale: float) -> None:
    draws = k6_draws(tmp_path, scale)
    logs = [math.log(draw / scale) for draw in draws]
    # the standard error of the mean is 0.7 / sqrt(20000) = 0.005; of the sd, about 0.0035
    assert statistics.fmean(logs) == pytest.approx(EDGE["mu"], abs=0.025)
    assert statistics.stdev(logs) == pytest.approx(EDGE["sigma"], abs=0.02)
    fitted = stats.kstest(logs, "norm", args=(EDGE["mu"], EDGE["sigma"]))
    assert fitted.pvalue > 1e-4, fitted  # the shape too, not just two moments
    lag_one = statistics.correlation(logs[:-1], logs[1:])
    assert abs(lag_one) < 0.035, lag_one  # draws made in pairs are still independent


def test_a_think_scale_of_zero_draws_no_pause(tmp_path: Path) -> None:
    assert set(k6_draws(tmp_path, 0.0)) == {0}


def test_no_think_time_reaches_the_session_timeout(tmp_path: Path) -> None:
    """A pause as long as the inactivity gap that cut sessions in the logs was two visits: the
    law is truncated there (9.5% of this law's draws lie above 20 s), and keeps its shape below."""
    cap = 20.0
    draws = k6_draws(tmp_path, 0.5, cap_s=cap)
    assert max(draws) <= cap * 0.5
    logs = [math.log(draw / 0.5) for draw in draws]
    upper = (math.log(cap) - EDGE["mu"]) / EDGE["sigma"]
    truncated = stats.truncnorm(-math.inf, upper, loc=EDGE["mu"], scale=EDGE["sigma"])
    fitted = stats.kstest(logs, truncated.cdf)
    assert fitted.pvalue > 1e-4, fitted
    untruncated = stats.kstest(logs, "norm", args=(EDGE["mu"], EDGE["sigma"]))
    assert untruncated.pvalue < 1e-6  # the test can tell the difference
