"""CPU per request of the generated k6 script vs a hand-written minimal k6 script making the same
calls with the same (zero) think time, both against a fast loopback server.

Target (issue: scripts): the generated script costs at most 1.2x the CPU per request.

"The same calls": the generated script runs first and the server records what it sent; the
hand-written script then replays exactly those requests (method, URL, a JSON body where the
operation takes one, the path template as the `name` tag), a status check and `sleep(0)` after
each, in sessions of the generated script's mean length, from a SharedArray. It has no journey,
no groups, no think-time draws: what it costs is what k6 itself costs for these requests.

Both engines run pinned to one core and the server to the other, interleaved, several times;
the figure is the median (single runs on this 2-core VM vary by +-15%). With `--steady`, each
script also runs 4x the sessions, and the steady-state figure is the CPU those extra sessions
added per extra request: start-up (compiling the plan per VU) left out.

    .venv/bin/python benchmarks/bench_k6_cpu.py [REPEATS] [--steady]
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inferload.run.engines import engine_environment, find_k6  # noqa: E402
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
export const options = { scenarios: { replay: { executor: 'shared-iterations', vus: 10, iterations: ROUNDS * SESSIONS.length } } };
const BASE_URL = __ENV.BASE_URL;
const JSON_HEADERS = { 'Content-Type': 'application/json' };

export default function () {
  const calls = SESSIONS[exec.scenario.iterationInTest % SESSIONS.length];
  for (let i = 0; i < calls.length; i++) {
    const call = calls[i];  // [method, path, name tag, body or null]
    const response = http.request(call[0], BASE_URL + call[1], call[3],
      { headers: call[3] === null ? {} : JSON_HEADERS, tags: { name: call[2] } });
    check(response, { 'status 2xx': (r) => r.status >= 200 && r.status < 300 });
    sleep(0);
  }
}
"""


def _pinned(core: int):  # type: ignore[no-untyped-def]
    cores = os.sched_getaffinity(0)
    return (lambda: os.sched_setaffinity(0, {core})) if len(cores) > 1 else None


def k6_cpu(script: str, cwd: Path, base_url: str, rounds: int = 1) -> float:
    """CPU seconds (user + system) of one k6 run of `rounds` x SESSIONS sessions."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", "--no-thresholds", script],
        cwd=cwd, capture_output=True, text=True, check=True, preexec_fn=_pinned(1),
        env=engine_environment(BASE_URL=base_url, SESSIONS=str(rounds * SESSIONS), ROUNDS=str(rounds),
                               THINK_SCALE="0", SUMMARY_PATH=os.devnull),
    )  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    repeats = int(numbers[0]) if numbers else 5
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
            k6_cpu("script.js", generated, server.base_url)
            calls = list(server.requests)
        plan = json.loads((generated / "plan.json").read_text())
        router = Router(load_catalog(ROOT / "fixtures" / "lms" / "openapi.yaml"))
        (generated / "sessions.json").write_text(json.dumps(replay_sessions(calls, plan, router)))
        (generated / "replay.js").write_text(REPLAY)
        per_request: dict[str, list[float]] = {"hand-written": [], "generated": []}
        steady: dict[str, list[float]] = {"hand-written": [], "generated": []}
        for _ in range(repeats):
            for label, script in (("hand-written", "replay.js"), ("generated", "script.js")):
                cpu, requests = _measured(script, generated, rounds=1)
                per_request[label].append(1e6 * cpu / requests)
                if "--steady" in sys.argv:
                    more_cpu, more_requests = _measured(script, generated, rounds=4)
                    steady[label].append(1e6 * (more_cpu - cpu) / (more_requests - requests))
        _report("", per_request, repeats, len(calls))
        if steady["generated"]:
            _report("steady state, ", steady, repeats, len(calls))


def _measured(script: str, folder: Path, rounds: int) -> tuple[float, int]:
    with FastRecordingServer() as server:
        cpu = k6_cpu(script, folder, server.base_url, rounds)
        return cpu, len(server.requests)


def _report(kind: str, figures: dict[str, list[float]], repeats: int, calls: int) -> None:
    for label, runs in figures.items():
        print(f"{kind}{label:13s}: {statistics.median(runs):5.0f} us CPU/request (median of "
              f"{repeats}; runs {', '.join(f'{f:.0f}' for f in runs)})")  # fmt: skip
    ratio = statistics.median(figures["generated"]) / statistics.median(figures["hand-written"])
    print(f"{kind}generated / hand-written CPU per request: {ratio:.2f}x   (target <= 1.2x; "
          f"{calls:,} requests in {SESSIONS:,} sessions)")  # fmt: skip


if __name__ == "__main__":
    main()
