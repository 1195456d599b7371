"""`inferload report` on a k6 JSON output of 1,000,000 metric points: wall time and peak RSS.

Target (issue: run and analyse): <= 10 s and <= 500 MB. The results folder is synthesised
once into /tmp in k6's own line format (the points a real request produces: http_reqs,
http_req_duration and its phases, http_req_failed, data sent/received; vus every second;
checks and iterations), shaped as a stress run with five levels; the report runs in a fresh
process.

    .venv/bin/python benchmarks/bench_report.py [POINTS]
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
ENDPOINTS = [("GET", "/api/courses/{course_id}"), ("GET", "/api/dashboard"), ("POST", "/api/auth/login"),
             ("GET", "/api/reports/overview"), ("POST", "/api/courses/{course_id}/progress"), ("GET", "/api/users")]  # fmt: skip
PHASES = ["http_req_blocked", "http_req_connecting", "http_req_tls_handshaking", "http_req_sending",
          "http_req_waiting", "http_req_receiving"]  # fmt: skip
LEVELS = 5
LEVEL_S = 120


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def synthesise(folder: Path, points: int) -> None:
    random.seed(3)
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    per_request = 2 + len(PHASES) + 4  # reqs, duration, phases, failed, sent, received, checks
    requests = points // per_request
    span = LEVELS * LEVEL_S
    written = 0
    with (folder / "k6-points.json").open("w") as out:
        for second in range(span):
            out.write(json.dumps({"metric": "vus", "type": "Point", "data": {"time": stamp(start + timedelta(seconds=second)), "value": 10 + second // 10, "tags": {}}}) + "\n")  # fmt: skip
            written += 1
        for number in range(requests):
            offset = span * (number / requests) ** 0.8  # load rises over the run
            level = int(offset // LEVEL_S)
            method, name = ENDPOINTS[number % len(ENDPOINTS)]
            duration = random.lognormvariate(3 + 0.6 * max(level - 2, 0), 0.5)
            tags = {"expected_response": "true", "group": "::" + name, "method": method, "name": name,
                    "proto": "HTTP/1.1", "scenario": "persona_0", "status": "200", "url": name}  # fmt: skip
            when = stamp(start + timedelta(seconds=offset))
            for metric, value in [("http_reqs", 1), ("http_req_duration", duration), *((p, duration / 6) for p in PHASES),
                                  ("http_req_failed", 0), ("data_sent", 120), ("data_received", 900)]:  # fmt: skip
                out.write(
                    json.dumps(
                        {
                            "metric": metric,
                            "type": "Point",
                            "data": {"time": when, "value": value, "tags": tags},
                        }
                    )
                    + "\n"
                )
            out.write(json.dumps({"metric": "checks", "type": "Point", "data": {"time": when, "value": 1, "tags": {"check": "status", "name": name}}}) + "\n")  # fmt: skip
            written += per_request
    rates = [1.0 * (level + 1) for level in range(LEVELS)]
    stages = [
        {"start_s": i * LEVEL_S, "end_s": (i + 1) * LEVEL_S, "from_per_s": r, "to_per_s": r}
        for i, r in enumerate(rates)
    ]
    manifest = {
        "tool": "k6", "profile": "stress", "load_model": "open", "api_title": "bench", "base_url": "http://127.0.0.1:8800",
        "script": "bench", "script_sha256": "0" * 64, "engine_version": "k6 v1.1.0", "inferload_version": "bench",
        "think_scale": 1.0, "duration_scale": 1.0, "stages": stages,
        "sla": {"p95_ms": 500, "p99_ms": 1000, "error_rate": 0.01}, "normal_arrival_rate_per_s": 1.0,
        "peak_arrival_rate_per_s": 2.0, "started_at": start.isoformat(), "ended_at": (start + timedelta(seconds=span)).isoformat(),
        "exit_code": 0, "outcome": "completed", "files": {"points": "k6-points.json", "engine_log": "engine.log"},
    }  # fmt: skip
    (folder / "manifest.json").write_text(json.dumps(manifest))
    print(
        f"synthesised {written:,} points ({(folder / 'k6-points.json').stat().st_size / 1e6:.0f} MB)"
    )


def main() -> None:
    points = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    folder = Path(f"/tmp/inferload-bench-k6-{points}")
    if not (folder / "manifest.json").exists():
        folder.mkdir(parents=True, exist_ok=True)
        synthesise(folder, points)
    inferload = Path(sys.executable).parent / "inferload"
    began = time.perf_counter()
    completed = subprocess.run([str(inferload), "report", str(folder), "-o", str(folder / "report"), "--force"],
                               capture_output=True, text=True, check=False)  # fmt: skip
    elapsed = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if completed.returncode not in (0, 1):
        sys.exit(completed.stderr)
    print(
        f"report on {points:,} k6 points: {elapsed:.1f} s, peak RSS {rss:.0f} MB (targets: <= 10 s, <= 500 MB)"
    )


if __name__ == "__main__":
    main()
