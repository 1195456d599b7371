"""Ingest throughput and peak memory: parse + match to the Stripe catalog + sessionize.

Targets (issue: log ingestion): >= 400,000 lines/s on a 1M-line combined log; peak RSS
<= 500 MB on a 5M-line log, not growing with file size. Logs are generated once into
/tmp (see generate_access_log.py); each measurement runs in a fresh process, `--runs N` times
per size (3 by default): the figure is the median, since single runs on this 2-core VM vary
by +-15%. Peak RSS is the largest of the runs.

    .venv/bin/python benchmarks/bench_logs.py [LINES ...] [--runs N]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from options import split_runs

HERE = Path(__file__).resolve().parent
STRIPE = HERE.parent / "fixtures" / "specs" / "stripe" / "spec3.yaml"

MEASURE = """
import json, resource, sys, time
from inferload.logs import LogIngest
from inferload.spec import load_catalog
catalog = load_catalog(sys.argv[1])
began = time.perf_counter()
run = LogIngest([sys.argv[2]], catalog)
sessions = sum(1 for _ in run)
elapsed = time.perf_counter() - began
print(json.dumps({"seconds": elapsed, "sessions": sessions, "lines": run.report.lines_read,
                  "kept": run.report.kept_requests,
                  "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def log_of(lines: int) -> Path:
    path = Path(f"/tmp/inferload-bench-{lines}.log")
    if not path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "generate_access_log.py"), str(lines), str(path)],
            check=True,
        )
    return path


def main() -> None:
    runs, arguments = split_runs(sys.argv[1:])
    sizes = [int(a) for a in arguments] or [1_000_000, 5_000_000]
    subprocess.run(
        [
            sys.executable,
            "-c",
            f"from inferload.spec import load_catalog; load_catalog({str(STRIPE)!r})",
        ],
        check=True,
    )
    for lines in sizes:
        path = log_of(lines)
        measured = [
            json.loads(
                subprocess.run(
                    [sys.executable, "-c", MEASURE, str(STRIPE), str(path)],
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            for _ in range(runs)
        ]
        rates = [m["lines"] / m["seconds"] for m in measured]
        seconds = statistics.median(m["seconds"] for m in measured)
        print(
            f"{lines:>10,} lines ({path.stat().st_size / 1e6:,.0f} MB): {seconds:6.1f} s = "
            f"{statistics.median(rates):>9,.0f} lines/s (median of {runs}; runs "
            f"{', '.join(f'{rate / 1000:,.0f}k' for rate in rates)}), "
            f"{measured[0]['sessions']:,} sessions, "
            f"peak RSS {max(m['rss_mb'] for m in measured):,.0f} MB   "
            f"(targets: >= 400,000 lines/s; <= 500 MB)"
        )


if __name__ == "__main__":
    main()
