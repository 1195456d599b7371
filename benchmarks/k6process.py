"""Running k6 as the benchmarks measure it: a process of its own, whose CPU and peak RSS come
from the kernel when it is reaped (`wait4`), with its stderr kept in a file."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inferload.run.engines import engine_environment, find_k6  # noqa: E402


@dataclass(frozen=True)
class K6Run:
    process: subprocess.Popen[bytes]
    stderr: Path


def start_k6(script: str, folder: Path, core: int | None = None, **env: str) -> K6Run:
    """`k6 run script` in `folder` with `env` (BASE_URL, SESSIONS, ...), pinned to `core` when
    the machine has more than one."""
    pin = None
    if core is not None and len(os.sched_getaffinity(0)) > 1:
        pin = lambda: os.sched_setaffinity(0, {core})  # noqa: E731
    stderr = folder / f"{script}.stderr"
    with stderr.open("wb") as errors:
        process = subprocess.Popen(
            [str(find_k6()), "run", "--quiet", "--no-usage-report", "--no-thresholds", script],
            cwd=folder, stdout=subprocess.DEVNULL, stderr=errors, preexec_fn=pin,
            env=engine_environment(**env),
        )  # fmt: skip
    return K6Run(process, stderr)


def reap(run: K6Run, wait: bool = True) -> tuple[float, float] | None:
    """(CPU s, peak RSS MB) of the ended run; None when `wait` is False and it still runs.
    A run that failed stops the benchmark with the end of its stderr."""
    pid, status, usage = os.wait4(run.process.pid, 0 if wait else os.WNOHANG)
    if not pid:
        return None
    run.process.returncode = os.waitstatus_to_exitcode(status)
    if run.process.returncode != 0:
        raise SystemExit(run.stderr.read_text()[-2000:])
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def cpu_so_far(run: K6Run) -> float:
    """CPU seconds (user + system) the run has used so far, from /proc (10 ms ticks)."""
    fields = Path(f"/proc/{run.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
