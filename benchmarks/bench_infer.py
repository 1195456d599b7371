"""What inference adds to ingest on the 1M-line benchmark log (Stripe catalog).

Target (issue: workload model): inference adds at most 50% to the ingest time.

    .venv/bin/python benchmarks/bench_infer.py [LINES] [--runs N]
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from inferload.logs import IngestOptions, LogIngest
from inferload.model import infer_from_logs
from inferload.spec import load_catalog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_logs import STRIPE, log_of  # noqa: E402
from options import split_runs  # noqa: E402


class Replay:
    """The sessions, report and aggregates of a finished ingest, served again to inference."""

    def __init__(self, ingest: LogIngest, sessions: list[object]) -> None:
        self.report = ingest.report
        self.catalog = ingest.catalog
        self.aggregates = ingest.aggregates
        self.sources = ingest.sources
        self._sessions = sessions

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._sessions)


def main() -> None:
    repeats, arguments = split_runs(sys.argv[1:])
    lines = int(arguments[0]) if arguments else 1_000_000
    log = log_of(lines)
    catalog = load_catalog(STRIPE)

    def ingest() -> LogIngest:
        return LogIngest([log], catalog, IngestOptions(salt=b"bench", aggregate_operations=True))

    ingest_runs: list[float] = []
    end_to_end_runs: list[float] = []
    for _ in range(repeats):  # interleaved: this VM's speed drifts by +-20% over a minute
        began = time.perf_counter()
        sessions = list(finished := ingest())
        ingest_runs.append(time.perf_counter() - began)
        began = time.perf_counter()
        infer_from_logs(catalog, ingest(), spec_path=str(STRIPE))
        end_to_end_runs.append(time.perf_counter() - began)

    began = time.perf_counter()
    workload = infer_from_logs(catalog, Replay(finished, sessions), spec_path=str(STRIPE))  # type: ignore[arg-type]
    inference_s = time.perf_counter() - began
    ingest_s, end_to_end_s = statistics.median(ingest_runs), statistics.median(end_to_end_runs)
    added = end_to_end_s - ingest_s
    print(
        f"{lines:,} lines, median of {repeats}: ingest alone {ingest_s:.1f} s; `infer` (ingest + "
        f"inference in one pass) {end_to_end_s:.1f} s: inference adds {added:.1f} s = "
        f"{added / ingest_s:.0%} (target <= 50%); inference replayed on the ingested sessions "
        f"alone {inference_s:.1f} s; {len(workload.personas)} persona(s), "
        f"{len(workload.operations)} operations"
    )


if __name__ == "__main__":
    main()
