"""Run a generated script with the real engine, the way the tests do: from its folder, with
the engine's environment plus the variables a test sets, output captured, bounded in time."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from inferload.run.engines import engine_environment, find_artillery, find_k6


def run_k6(
    folder: Path, *options: str, timeout: int = 180, **env: str
) -> subprocess.CompletedProcess[str]:
    """`k6 run --quiet --no-usage-report OPTIONS script.js` in `folder` (k6/ of a generated test)."""
    return subprocess.run(
        [str(find_k6()), "run", "--quiet", "--no-usage-report", *options, "script.js"],
        cwd=folder, env=engine_environment(**env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def run_artillery(
    folder: Path, arrivals: int, *options: str, duration: int = 2, timeout: int = 180, **env: str
) -> subprocess.CompletedProcess[str]:
    """`artillery run` of script.yml in `folder` (artillery/ of a generated test), its phases
    replaced by one: `arrivals` sessions over `duration` seconds."""
    phases = {"config": {"phases": [{"duration": duration, "arrivalCount": arrivals}]}}
    return subprocess.run(
        [str(find_artillery()), "run", "--overrides", json.dumps(phases), *options, "script.yml"],
        cwd=folder, env=engine_environment(**env),
        capture_output=True, text=True, timeout=timeout, check=False,
    )  # fmt: skip


def run_sessions(
    engine: str, generated: Path, sessions: int, **env: str
) -> subprocess.CompletedProcess[str]:
    """`sessions` sessions of a generated test (its folder holding k6/ and artillery/) with
    `engine`, thresholds and `ensure` off: for tests that check what the target received."""
    if engine == "k6":
        return run_k6(
            generated / "k6",
            "--no-thresholds",
            SESSIONS=str(sessions),
            SUMMARY_PATH="/dev/null",
            **env,
        )
    return run_artillery(generated / "artillery", sessions, ARTILLERY_DISABLE_ENSURE="1", **env)


def script_start(engine: str, generated: Path, **env: str) -> str:
    """What a generated script's init code says (`k6 inspect`, or loading Artillery's processor
    in Node), "" when it starts: what it refuses before any request could be sent."""
    if engine == "k6":  # k6 inspect reads no variable of its environment, only its -e options
        options = [part for name, value in env.items() for part in ("-e", f"{name}={value}")]
        command = [str(find_k6()), "inspect", *options, "script.js"]
    else:
        command = [str(shutil.which("node")), "-e", "require('./processor.js')"]
    done = subprocess.run(
        command, cwd=generated / engine, env=engine_environment(**env),
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return "" if done.returncode == 0 else done.stdout + done.stderr
