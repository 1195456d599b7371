"""Ingest throughput and peak memory: parse + match to the Stripe catalog + sessionize.

Targets (issue: log ingestion): >= 400,000 lines/s on a 1M-line combined log; peak RSS
<= 500 MB on a 5M-line log, not growing with file size. Logs are generated once into
/tmp (see generate_access_log.py); each measurement runs in a fresh process.

    .venv/bin/python benchmarks/bench_logs.py [LINES ...]
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

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
    sizes = [int(a) for a in sys.argv[1:]] or [1_000_000, 5_000_000]
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
        completed = subprocess.run(
            [sys.executable, "-c", MEASURE, str(STRIPE), str(path)],
            capture_output=True,
            text=True,
            check=True,
        )
        figures = json.loads(completed.stdout)
        print(
            f"{lines:>10,} lines ({path.stat().st_size / 1e6:,.0f} MB): {figures['seconds']:6.1f} s = "
            f"{figures['lines'] / figures['seconds']:>9,.0f} lines/s, {figures['sessions']:,} sessions, "
            f"peak RSS {figures['rss_mb']:,.0f} MB   (targets: >= 400,000 lines/s; <= 500 MB)"
        )


if __name__ == "__main__":
    main()
