"""The engines' command lines: what a run executes, the files its test is made of (for the
manifest's digest), Artillery's scaled script and periods reporter, and the engine's version."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from inferload.emit.k6 import K6_SYSTEM_TAGS
from inferload.emit.pools import POOL_FOLDER
from inferload.run.engines import find_artillery, find_k6
from inferload.run.manifest import ARTILLERY_PERIODS_NAME, ARTILLERY_REPORT_NAME, K6_POINTS_NAME

_PERIODS_REPORTER = Path(__file__).with_name("periods_reporter.js")


def engine_command(
    tool: str,
    profile: str,
    duration_scale: float,
    tag_sessions: bool,
    script_dir: Path,
    results: Path,
) -> tuple[list[str], list[Path]]:
    """The engine's command line (run from `script_dir`) and the files the test is made of."""
    if tool == "k6":
        script = script_dir / "script.js"
        command = [
            str(find_k6()),
            "run",
            "--quiet",
            "--out",
            f"json={results / K6_POINTS_NAME}",
        ]
        if tag_sessions:  # k6 writes vu and iter as point metadata
            command += ["--system-tags", ",".join((*K6_SYSTEM_TAGS, "vu", "iter"))]
        command.append("script.js")
        return command, [script, script_dir / "plan.json", *pool_files(script_dir)]
    script = script_dir / "script.yml"
    files = [
        script,
        script_dir / "processor.js",
        script_dir / "plan.json",
        *pool_files(script_dir),
    ]
    run_script = _artillery_script(script, profile, duration_scale, results)
    command = [
        str(find_artillery()), "run", "--environment", profile,
        "--output", str(results / ARTILLERY_REPORT_NAME), str(run_script),
    ]  # fmt: skip
    return command, files


def periods_env(results: Path) -> dict[str, str]:
    """Artillery loads the periods reporter and appends to this run's periods file."""
    return {
        "CUSTOM_REPORTERS": str(_PERIODS_REPORTER),
        "INFERLOAD_ARTILLERY_PERIODS": str(results / ARTILLERY_PERIODS_NAME),
    }


def artillery_report(results: Path) -> str:
    """Artillery's report, or, for a run stopped before Artillery wrote one (Ctrl-C, the kill
    switch, the time bound), the periods it reported until then; the other file is removed."""
    report, periods = results / ARTILLERY_REPORT_NAME, results / ARTILLERY_PERIODS_NAME
    if report.is_file() or not periods.is_file():
        periods.unlink(missing_ok=True)
        return ARTILLERY_REPORT_NAME
    return ARTILLERY_PERIODS_NAME


def pool_files(script_dir: Path) -> list[Path]:
    """The data pools' CSV files: part of the test, so part of its digest."""
    return sorted((script_dir / POOL_FOLDER).glob("*.csv"))


def _artillery_script(script: Path, profile: str, duration_scale: float, results: Path) -> Path:
    """Artillery phases are fixed in YAML: a scaled run uses a scaled copy kept with the results."""
    if duration_scale == 1.0:
        return script
    document = yaml.safe_load(script.read_text())
    config = document["config"]
    config["processor"] = str((script.parent / config["processor"]).resolve())
    for payload in config.get("payload", []):  # the pools' CSV files stay where they are
        payload["path"] = str((script.parent / payload["path"]).resolve())
    for phase in config["environments"][profile]["phases"]:
        phase["duration"] = max(1, round(phase["duration"] * duration_scale))
    copy = results / "artillery-script.yml"
    copy.write_text(yaml.safe_dump(document, sort_keys=False))
    return copy


def engine_version(tool: str) -> str:
    if tool == "k6":
        completed = subprocess.run(
            [str(find_k6()), "version"], capture_output=True, text=True, timeout=30, check=False
        )
        return (
            completed.stdout.strip().splitlines()[0]
            if completed.stdout.strip()
            else "k6 (unknown version)"
        )
    package = find_artillery().resolve().parents[1] / "package.json"
    try:
        return f"artillery {json.loads(package.read_text())['version']}"
    except (OSError, ValueError, KeyError):
        return "artillery (unknown version)"
