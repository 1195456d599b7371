"""What a generated k6 test costs before and while it starts, on a big API: Stripe's spec alone
(468 operations; the spec-only chain links each to most others: about 59,000 edges).

Infers the workload from the spec, generates the k6 script, then runs a few sessions (11 VUs,
each compiling the plan in its init code) against a fast loopback server, in a fresh k6 process
each time. Prints the time to infer and to generate, and k6's wall time, CPU and peak RSS.

    .venv/bin/python benchmarks/bench_k6_startup.py [SESSIONS] [--runs N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from k6process import reap, start_k6  # noqa: E402
from options import split_runs  # noqa: E402

from tests.engines.fast_recording_server import FastRecordingServer  # noqa: E402

STRIPE = ROOT / "fixtures" / "specs" / "stripe" / "spec3.yaml"


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - began


def k6_run(folder: Path, sessions: int) -> tuple[float, float, float, int]:
    """(wall s, CPU s, peak RSS MB, requests) of one k6 run of `sessions` sessions."""
    with FastRecordingServer() as server:
        began = time.perf_counter()
        # Stripe's operations take http basic credentials or a bearer token: the script refuses
        # to start without them
        run = start_k6("script.js", folder, BASE_URL=server.base_url, SESSIONS=str(sessions),
                       THINK_SCALE="0", SUMMARY_PATH=os.devnull, API_TOKEN="sk_test_bench",
                       LOGIN_USERNAME="sk_test_bench", LOGIN_PASSWORD="")  # fmt: skip
        cpu, rss = reap(run)  # type: ignore[misc]
        wall = time.perf_counter() - began
        return wall, cpu, rss, len(server.requests)


def main() -> None:
    runs, arguments = split_runs(sys.argv[1:])
    sessions = int(arguments[0]) if arguments else 20
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        python = sys.executable
        infer_s = timed(
            [python, "-m", "inferload", "infer", "--spec", str(STRIPE), "-o", str(work / "w.yaml")]
        )
        generate_s = timed([python, "-m", "inferload", "generate", str(work / "w.yaml"), "--tool", "k6",
                            "-o", str(work / "out")])  # fmt: skip
        plan_mb = (work / "out" / "k6" / "plan.json").stat().st_size / 1e6
        print(
            f"Stripe, spec only: infer {infer_s:.1f} s, generate {generate_s:.1f} s, plan.json {plan_mb:.1f} MB"
        )
        measured = [k6_run(work / "out" / "k6", sessions) for _ in range(runs)]
    walls, cpus, rss, requests = zip(*measured, strict=True)
    print(
        f"k6, {sessions} sessions ({statistics.median(requests):.0f} requests), median of {runs}: "
        f"{statistics.median(walls):.1f} s wall, {statistics.median(cpus):.1f} s CPU, "
        f"peak RSS {max(rss):,.0f} MB (the largest of the runs)"
    )


if __name__ == "__main__":
    main()
