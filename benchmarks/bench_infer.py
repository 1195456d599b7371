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
from inferload.spec import load_catalog

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_logs import STRIPE, log_of  # noqa: E402


class Replay:
    """The sessions, report and aggregates of a finished ingest, served again to inference."""

    def __init__(self, ingest: LogIngest, sessions: list[object]) -> None:
        self.report = ingest.report
        self.aggregates = ingest.aggregates
        self.sources = ingest.sources
        self._sessions = sessions

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._sessions)


def main() -> None:
    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    log = log_of(lines)
    catalog = load_catalog(STRIPE)
    began = time.perf_counter()
    ingest = LogIngest([log], catalog, IngestOptions(salt=b"bench", aggregate_operations=True))
    sessions = list(ingest)
    ingest_s = time.perf_counter() - began

    began = time.perf_counter()
    workload = infer_from_logs(catalog, Replay(ingest, sessions), spec_path=str(STRIPE))  # type: ignore[arg-type]
    inference_s = time.perf_counter() - began

    began = time.perf_counter()
    infer_from_logs(
        catalog,
        LogIngest([log], catalog, IngestOptions(salt=b"bench", aggregate_operations=True)),
        spec_path=str(STRIPE),
    )
    end_to_end_s = time.perf_counter() - began
    added = end_to_end_s - ingest_s
    print(
        f"{lines:,} lines: ingest alone {ingest_s:.1f} s; `infer` (ingest + inference in one pass) "
        f"{end_to_end_s:.1f} s: inference adds {added:.1f} s = {added / ingest_s:.0%} (target <= 50%); "
        f"inference replayed on the ingested sessions alone {inference_s:.1f} s; "
        f"{len(workload.personas)} persona(s), {len(workload.operations)} operations"
    )


if __name__ == "__main__":
    main()
