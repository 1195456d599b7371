"""CPU per request of the generated k6 script vs a hand-written minimal k6 script making the
same kind of calls with the same (zero) think time, both against a fast loopback server.

Target (issue: scripts): the generated script costs at most 1.2x the CPU per request.

    .venv/bin/python benchmarks/bench_k6_cpu.py
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inferload.run.engines import engine_environment, find_k6  # noqa: E402
from tests.engines.fast_recording_server import FastRecordingServer  # noqa: E402

MINIMAL = """
import http from 'k6/http';
import { check, sleep } from 'k6';
export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 10, iterations: 1000 } } };
const B = __ENV.BASE_URL;
export default function () {
  const h = { headers: { 'Content-Type': 'application/json', Authorization: 'Bearer t' } };
  let r = http.post(`${B}/api/auth/login`, JSON.stringify({ email: 'a', password: 'b' }), { headers: { 'Content-Type': 'application/json' }, tags: { name: '/api/auth/login' } });
  check(r, { ok: (x) => x.status === 200 });
  for (const p of ['/api/dashboard', '/api/courses?page=1', '/api/courses/3', '/api/enrollments']) {
    r = http.get(`${B}${p}`, Object.assign({ tags: { name: p } }, h));
    check(r, { ok: (x) => x.status === 200 });
    sleep(0);
  }
  for (let i = 0; i < 4; i++) {
    r = http.post(`${B}/api/courses/3/progress`, JSON.stringify({ lesson_id: 1, percent: 50 }), Object.assign({ tags: { name: '/api/courses/{course_id}/progress' } }, h));
    check(r, { ok: (x) => x.status === 200 });
    sleep(0);
  }
}
"""


def cpu_of(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), completed.stdout


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        subprocess.run(
            [sys.executable, "-m", "inferload", "infer", "--spec", "fixtures/lms/openapi.yaml", "--logs",
             "fixtures/lms/access.log.gz", "-o", str(work / "workload.yaml")],
            cwd=ROOT, check=True, capture_output=True,
        )  # fmt: skip
        subprocess.run([sys.executable, "-m", "inferload", "generate", str(work / "workload.yaml"), "--tool", "k6",
                        "-o", str(work / "out")], cwd=ROOT, check=True, capture_output=True)  # fmt: skip
        (work / "minimal.js").write_text(MINIMAL)
        results = {}
        for label, cwd, script, extra in (
            ("hand-written", work, "minimal.js", {}),
            ("generated", work / "out" / "k6", "script.js", {"SESSIONS": "1000", "THINK_SCALE": "0",
                                                           "SUMMARY_PATH": os.devnull}),
        ):  # fmt: skip
            with FastRecordingServer() as server:
                cpu, _ = cpu_of([str(find_k6()), "run", "--quiet", "--no-usage-report", "--no-thresholds", script], cwd,
                                engine_environment(BASE_URL=server.base_url, **extra))  # fmt: skip
                requests = len(server.requests)
            results[label] = cpu / requests
            print(
                f"{label:13s}: {requests:6,} requests, k6 CPU {cpu:5.1f} s = {1e6 * cpu / requests:6.0f} us/request"
            )
        ratio = results["generated"] / results["hand-written"]
        print(f"generated / hand-written CPU per request: {ratio:.2f}x   (target <= 1.2x)")


if __name__ == "__main__":
    main()
