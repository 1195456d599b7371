"""CPU per request of the generated k6 script vs a hand-written minimal k6 script making the same
calls with the same (zero) think time, both against a fast loopback server.

Target (issue: scripts): the generated script costs at most 1.2x the CPU per request.

"The same calls": the generated script runs first and the server records what it sent; the
hand-written script then replays exactly those requests (method, URL, a JSON body where the
operation takes one, the path template as the `name` tag), a status check and `sleep(0)` after
each, in sessions of the generated script's mean length, from a SharedArray, each session on
connections of its own (`noVUConnectionReuse`, as the generated script). It has no journey, no
groups, no think-time draws: what it costs is what k6 itself costs for these requests.

The two scripts run at the same time, as a pair, both pinned to one core (the servers to the
other), each against its own server. This VM's speed drifts by 20-50% within minutes, so runs
one after the other compare different machines; a pair shares whatever speed the core has.
The replay is given twice the sessions, so it is still running when the generated script ends:
both are measured over that same stretch (the generated script's CPU from the kernel at its
end, the replay's CPU and requests so far from /proc and its server at that moment). The steady
state is a window of the same runs, after the first fifth of the generated script's requests
(start-up, compiling the plan per VU, left out). Each figure is the median of the pairs'
ratios; the order in which the two start alternates.

    .venv/bin/python benchmarks/bench_k6_cpu.py [--runs PAIRS]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k6process import K6Run, cpu_so_far, reap, start_k6  # noqa: E402
from options import split_runs  # noqa: E402

from inferload.spec import load_catalog  # noqa: E402
from inferload.spec.matcher import Match, Router  # noqa: E402
from tests.engines.fast_recording_server import FastRecordingServer  # noqa: E402

SESSIONS = 2000
REPLAY = """
import http from 'k6/http';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { SharedArray } from 'k6/data';

const SESSIONS = new SharedArray('sessions', () => JSON.parse(open('./sessions.json')));
const ROUNDS = Number(__ENV.ROUNDS || '1');  // the recorded sessions, replayed this many times
export const options = {
  scenarios: { replay: { executor: 'shared-iterations', vus: 10, iterations: ROUNDS * SESSIONS.length } },
  noVUConnectionReuse: true,  // a connection per session, as the generated script opens
};
const BASE_URL = __ENV.BASE_URL;
const HEADERS = { 'Accept-Encoding': 'gzip, deflate, br' };  // as the generated script asks
const JSON_HEADERS = { 'Accept-Encoding': 'gzip, deflate, br', 'Content-Type': 'application/json' };

export default function () {
  const calls = SESSIONS[exec.scenario.iterationInTest % SESSIONS.length];
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i];  // [method, path, name tag, body or null]
    const response = http.request(call[0], BASE_URL + call[1], call[3],
      { headers: call[3] === null ? HEADERS : JSON_HEADERS, tags: { name: call[2] } });
    check(response, { 'status 2xx': (r) => r.status >= 200 && r.status < 300 });
    sleep(0);
  }
}
"""


def _start(script: str, folder: Path, base_url: str, rounds: int) -> K6Run:
    """`rounds` x SESSIONS sessions, on the engines' core."""
    return start_k6(script, folder, core=1, BASE_URL=base_url, SESSIONS=str(rounds * SESSIONS),
                    ROUNDS=str(rounds), THINK_SCALE="0", SUMMARY_PATH=os.devnull)  # fmt: skip


@dataclass(frozen=True)
class Pair:
    """Per-request CPU (us) of both scripts over the same stretch of wall time."""

    whole: dict[str, float]  # from each start to the generated script's end
    steady: dict[str, float]  # a window after the first fifth of the generated run's requests


def run_pair(folder: Path, replay_first: bool) -> Pair:
    """Both scripts at once, each against its own server. The replay is given twice the sessions
    so that it outlasts the generated script: when that ends, the replay's CPU and requests so
    far are read, and it is stopped. Both were measured under the same load all along."""
    with FastRecordingServer() as for_generated, FastRecordingServer() as for_replay:
        starts = [("replay.js", for_replay, 2), ("script.js", for_generated, 1)]
        runs = {
            script: _start(script, folder, server.base_url, rounds)
            for script, server, rounds in (starts if replay_first else starts[::-1])
        }
        generated, replay = runs["script.js"], runs["replay.js"]
        samples = []  # (generated CPU, its requests, replay CPU, its requests)
        while True:
            replay_now = (cpu_so_far(replay), len(for_replay.requests))
            ended = reap(generated, wait=False)
            if ended is not None:
                break
            samples.append((cpu_so_far(generated), len(for_generated.requests), *replay_now))
            time.sleep(0.1)
        replay_end = (cpu_so_far(replay), len(for_replay.requests))
        if reap(replay, wait=False) is not None:
            raise SystemExit("the replay ended before the generated script: nothing to pair")
        replay.process.kill()
        replay.process.wait()
        time.sleep(0.3)  # the replay's server sees its connections reset before it stops
        generated_end = (ended[0], len(for_generated.requests))
    whole = {
        "hand-written": 1e6 * replay_end[0] / replay_end[1],
        "generated": 1e6 * generated_end[0] / generated_end[1],
    }
    warm = next(s for s in samples if s[1] >= generated_end[1] / 5)
    last = samples[-1]
    steady = {
        "hand-written": 1e6 * (last[2] - warm[2]) / (last[3] - warm[3]),
        "generated": 1e6 * (last[0] - warm[0]) / (last[1] - warm[1]),
    }
    return Pair(whole, steady)


def replay_sessions(calls: list[tuple[str, str]], plan: dict, router: Router) -> list[list[list]]:  # type: ignore[type-arg]
    """The recorded calls as [method, path, name tag, body] in sessions of the mean length."""
    rows = []
    for method, path in calls:
        match = router.match(method, path)
        assert isinstance(match, Match), (method, path)
        body = plan["operations"][match.operation_id]["body"]
        value = None if body is None else body["values"][0]
        rows.append([method, path, match.path_template,
                     value if value is None or isinstance(value, str) else json.dumps(value)])  # fmt: skip
    per_session = max(1, round(len(calls) / SESSIONS))
    return [rows[i : i + per_session] for i in range(0, len(rows), per_session)]


def main() -> None:
    repeats, _ = split_runs(sys.argv[1:], default=5)
    if len(os.sched_getaffinity(0)) > 1:
        os.sched_setaffinity(0, {0})  # the server's core; k6 gets the other
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        subprocess.run(
            [sys.executable, "-m", "inferload", "infer", "--spec", "fixtures/lms/openapi.yaml", "--logs",
             "fixtures/lms/access.log.gz", "-o", str(work / "workload.yaml")],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run([sys.executable, "-m", "inferload", "generate", str(work / "workload.yaml"), "--tool", "k6",
                        "-o", str(work / "out")], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        generated = work / "out" / "k6"
        with FastRecordingServer() as server:
            reap(_start("script.js", generated, server.base_url, rounds=1))
            calls = list(server.requests)
        plan = json.loads((generated / "plan.json").read_text())
        router = Router(load_catalog(ROOT / "fixtures" / "lms" / "openapi.yaml"))
        (generated / "sessions.json").write_text(json.dumps(replay_sessions(calls, plan, router)))
        (generated / "replay.js").write_text(REPLAY)
        pairs = [run_pair(generated, replay_first=index % 2 == 0) for index in range(repeats)]
        _report("", [pair.whole for pair in pairs], len(calls))
        _report("steady state, ", [pair.steady for pair in pairs], len(calls))


def _report(kind: str, pairs: list[dict[str, float]], calls: int) -> None:
    for label in ("hand-written", "generated"):
        runs = [pair[label] for pair in pairs]
        print(f"{kind}{label:13s}: {statistics.median(runs):5.0f} us CPU/request (median of "
              f"{len(runs)}; runs {', '.join(f'{f:.0f}' for f in runs)})")  # fmt: skip
    ratios = [pair["generated"] / pair["hand-written"] for pair in pairs]
    print(f"{kind}generated / hand-written CPU per request: {statistics.median(ratios):.2f}x "
          f"(median of the pairs' ratios: {', '.join(f'{r:.2f}' for r in ratios)})   "
          f"(target <= 1.2x; {calls:,} requests in {SESSIONS:,} sessions)")  # fmt: skip


if __name__ == "__main__":
    main()
