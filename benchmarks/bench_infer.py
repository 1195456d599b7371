"""What inference adds to ingest on the 1M-line benchmark log (Stripe catalog).

Target (issue: workload model): inference adds at most 50% to the ingest time.

    .venv/bin/python benchmarks/bench_infer.py [LINES]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from inferload.logs import IngestOptions, LogIngest
from inferload.model import infer_from_logs
from inferload.model.collect import Collected
from inferload.spec import load_catalog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_logs import STRIPE, log_of  # noqa: E402


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    log = log_of(lines)
    catalog = load_catalog(STRIPE)
    began = time.perf_counter()
    sessions = list(LogIngest([log], catalog, IngestOptions(salt=b"bench")))
    ingest_s = time.perf_counter() - began

    began = time.perf_counter()
    collected = Collected(burst_window_s=1.0)
    for session in sessions:
        collected.add(session)
    collect_s = time.perf_counter() - began

    began = time.perf_counter()
    workload = infer_from_logs(
        catalog, LogIngest([log], catalog, IngestOptions(salt=b"bench")), spec_path=str(STRIPE)
    )
    total_s = time.perf_counter() - began
    inference_s = total_s - ingest_s
    print(
        f"{lines:,} lines: ingest {ingest_s:.1f} s; ingest + inference {total_s:.1f} s; "
        f"inference adds {inference_s:.1f} s = {inference_s / ingest_s:.0%} of ingest "
        f"(collecting {collect_s:.1f} s of it)   (target <= 50%); "
        f"{len(workload.personas)} personas, {len(workload.operations)} operations"
    )


if __name__ == "__main__":
    main()
