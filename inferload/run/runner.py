"""Run a generated test with the real engine, stream its raw results, and record the run.

The engine runs in its own process group: Ctrl-C reaches inferload, which asks the engine to
stop gracefully, waits a bounded time, and only then kills it. Partial results stay in the
folder either way: k6 writes its summary on SIGINT and its points as it goes; Artillery writes
its report only at a run's natural end, so a reporter of ours keeps its periods as they come.
Every run is bounded by the profile's scaled duration plus a margin, so a stuck engine cannot
hold the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Literal

import psutil

from inferload import __version__
from inferload.design.profiles import KILL_SWITCH_DELAY_S, kill_switch_rate
from inferload.emit.artillery import SMOKE_ARRIVALS_PER_S
from inferload.errors import ErrorKind, InferloadError, Location, refuse_overwrite
from inferload.run.accounts import count_accounts, shared_accounts_note
from inferload.run.commands import artillery_report, engine_command, engine_version, periods_env
from inferload.run.engines import engine_environment
from inferload.run.manifest import (
    ARTILLERY_REPORT_NAME,
    ENGINE_LOG_NAME,
    K6_POINTS_NAME,
    K6_SUMMARY_NAME,
    RESOURCES_NAME,
    RESULT_FILES,
    RunManifest,
    Sla,
    StageWindow,
    write_manifest,
)
from inferload.run.monitor import ResourceSampler, check_pid
from inferload.run.progress import ArtilleryWatcher, K6Watcher, KillSwitch, Progress
from inferload.run.safety import check_target

Tool = Literal["k6", "artillery"]
_GRACE_S = 30.0  # how long a stopping engine may take to write its summary
_MARGIN_S = 90.0  # engine start-up and shutdown
_THRESHOLD_EXIT_K6 = 99
# The options that set the script variables `run` sets from them (the rest: its results folder)
_OPTION_FOR = {"BASE_URL": "--base-url", "PROFILE": "--profile", "THINK_SCALE": "--think-scale",
               "DURATION_SCALE": "--duration-scale", "ALLOW_HOSTS": "--allow-host"}  # fmt: skip


@dataclass(frozen=True)
class RunRequest:
    loadtest_dir: Path
    tool: Tool
    profile: str
    base_url: str
    results_dir: Path
    think_scale: float = 1.0
    duration_scale: float = 1.0
    extra_env: Mapping[str, str] = field(default_factory=dict)
    allow_hosts: tuple[str, ...] = ()
    target_pid: int | None = None
    metrics_url: str | None = None
    force: bool = False
    tag_sessions: bool = False  # k6: tag points with vu and iter, for `inferload compare`


def run_load_test(
    request: RunRequest,
    on_progress: Callable[[Progress], None],
    on_note: Callable[[str], None] = lambda _: None,
) -> RunManifest:
    """Run the test; `on_note` hears what the user should know before it starts."""
    check_target(request.base_url, request.allow_hosts)
    results = request.results_dir.resolve()
    run_env = {
        "BASE_URL": request.base_url, "PROFILE": request.profile, "THINK_SCALE": f"{request.think_scale:g}",
        "DURATION_SCALE": f"{request.duration_scale:g}", "SUMMARY_PATH": str(results / K6_SUMMARY_NAME),
        "ALLOW_HOSTS": ",".join(request.allow_hosts),  # the scripts check their target too
        **(periods_env(results) if request.tool == "artillery" else {}),
    }  # fmt: skip
    clashes = sorted(run_env.keys() & request.extra_env.keys())
    if clashes:
        name = clashes[0]
        raise InferloadError(
            ErrorKind.INVALID, f"{name} is set by run itself", location=Location("--env"),
            hint=f"use {_OPTION_FOR[name]}" if name in _OPTION_FOR else "run sets it for its results folder (-o)",
        )  # fmt: skip
    if request.tag_sessions and request.tool != "k6":
        raise InferloadError(
            ErrorKind.INVALID, "--tag-sessions is for k6 results",
            location=Location("--tag-sessions"), hint="for Artillery, compare the target's access log",
        )  # fmt: skip
    if request.metrics_url:
        check_target(request.metrics_url, request.allow_hosts, option="--metrics-url")
    if request.target_pid is not None:
        check_pid(request.target_pid)
    script_dir = request.loadtest_dir / request.tool
    plan = _read_plan(script_dir)
    profile = plan["profiles"].get(request.profile)
    if profile is None:
        raise InferloadError(
            ErrorKind.INVALID, f"no profile {request.profile!r} in this test",
            location=Location("--profile"), hint=f"one of: {', '.join(sorted(plan['profiles']))}",
        )  # fmt: skip
    accounts = count_accounts(request.extra_env, plan)
    note = shared_accounts_note(accounts, plan, request.profile, request.think_scale)
    if note:
        on_note(note)
    _prepare_results(request.results_dir, request.force)
    command, script_files = engine_command(
        request.tool,
        request.profile,
        request.duration_scale,
        request.tag_sessions,
        script_dir,
        results,
    )
    cwd = script_dir
    env = engine_environment(**run_env, **dict(request.extra_env))
    stages = _stage_windows(profile, request.duration_scale, request.tool, request.profile)
    drain_s = max(30.0, plan["targets"].get("drain_s", 0) * min(request.think_scale, 1.0))  # as k6
    waits_s = plan["arrivals"]["cap_s"] * request.duration_scale  # the last sessions' random starts
    bound_s = (stages[-1].end_s if stages else 60.0) + drain_s + waits_s + _MARGIN_S
    sampler = ResourceSampler(
        results / RESOURCES_NAME, pid=request.target_pid, metrics_url=request.metrics_url
    )
    started = datetime.now(UTC)
    kill_switch = (  # k6 has its own: the plan's abortOnFail threshold
        KillSwitch(kill_switch_rate(plan["targets"]["sla"]["error_rate"]), KILL_SWITCH_DELAY_S)
        if request.tool == "artillery"
        else None
    )
    exit_code, stopped = _supervise(
        request.tool, command, cwd, env, results, sampler, bound_s, on_progress, kill_switch
    )
    ended = datetime.now(UTC)
    manifest = RunManifest(
        tool=request.tool,
        profile=request.profile,
        load_model="closed" if request.tool == "k6" and request.profile == "smoke" else "open",
        api_title=str(plan["api"].get("title", "")),
        base_url=request.base_url,
        script=str(script_dir.resolve()),
        script_sha256=_hash_files(script_files),
        engine_version=engine_version(request.tool),
        inferload_version=__version__,
        think_scale=request.think_scale,
        duration_scale=request.duration_scale,
        stages=stages,
        sla=_sla(plan),
        normal_arrival_rate_per_s=float(plan["targets"]["normal_arrival_rate_per_s"]),
        peak_arrival_rate_per_s=float(plan["targets"]["peak_arrival_rate_per_s"]),
        started_at=started,
        ended_at=ended,
        exit_code=exit_code,
        outcome=stopped or _outcome(request.tool, exit_code, results),
        monitors=sampler.sources,
        files={
            "engine_log": ENGINE_LOG_NAME,
            **({"points": K6_POINTS_NAME, "summary": K6_SUMMARY_NAME} if request.tool == "k6" else {"report": artillery_report(results)}),
            "resources": RESOURCES_NAME,
        },
        host_cpus=psutil.cpu_count() or 1,
        accounts=accounts,
    )  # fmt: skip
    write_manifest(results, manifest)
    return manifest


def _supervise(
    tool: Tool,
    command: list[str],
    cwd: Path,
    env: dict[str, str],
    results: Path,
    sampler: ResourceSampler,
    bound_s: float,
    on_progress: Callable[[Progress], None],
    kill_switch: KillSwitch | None,
) -> tuple[int, Literal["interrupted", "timed-out", "thresholds-crossed"] | None]:
    log = (results / ENGINE_LOG_NAME).open("wb")
    watcher: K6Watcher | ArtilleryWatcher = (
        K6Watcher(results / K6_POINTS_NAME) if tool == "k6" else ArtilleryWatcher()
    )
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
        stdout=log if tool == "k6" else subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    reader = None
    if isinstance(watcher, ArtilleryWatcher):  # Artillery reports on stdout: read it as it comes
        assert process.stdout is not None
        reader = threading.Thread(
            target=_copy_lines, args=(process.stdout, log, watcher), daemon=True
        )
        reader.start()
    sampler.start(generator_pid=process.pid)
    began = time.monotonic()
    stopped: Literal["interrupted", "timed-out", "thresholds-crossed"] | None = None
    tripped: Progress | None = None
    try:
        while process.poll() is None:
            elapsed = time.monotonic() - began
            if elapsed > bound_s:
                stopped = "timed-out"
                _stop(process)
                break
            progress = watcher.poll(elapsed)
            on_progress(progress)
            if kill_switch is not None and kill_switch.tripped(progress):
                stopped, tripped = "thresholds-crossed", progress
                _stop(process)
                break
            time.sleep(1.0)
    except KeyboardInterrupt:
        stopped = "interrupted"
        _stop(process)
    finally:
        sampler.stop()
        if process.poll() is None:
            _stop(process)
        if reader is not None:
            reader.join(timeout=10)
        if tripped is not None and kill_switch is not None:
            log.write(
                f"inferload: stopped by the kill switch after {tripped.elapsed_s:.0f} s: error rate "
                f"{tripped.error_rate:.1%} of {tripped.requests} requests, the limit "
                f"{kill_switch.error_rate:.1%}\n".encode()
            )
        log.close()
    on_progress(watcher.poll(time.monotonic() - began))
    return process.returncode, stopped


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGINT first (the engine writes its summary), SIGKILL to the group if it will not stop."""
    try:
        os.killpg(process.pid, signal.SIGINT)
        process.wait(timeout=_GRACE_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


def _copy_lines(stream: IO[bytes], log: IO[bytes], watcher: ArtilleryWatcher) -> None:
    for line in iter(stream.readline, b""):
        log.write(line)
        watcher.feed(line.decode("utf-8", "replace"))


def _read_plan(script_dir: Path) -> dict[str, Any]:
    path = script_dir / "plan.json"
    if not path.is_file():
        others = [p.parent.name for p in sorted(script_dir.parent.glob("*/plan.json"))]
        hint = (
            f"this folder holds a test for {', '.join(others)} only: pass --tool {others[0]}, "
            f"or generate with --tool {script_dir.name} or all"
            if others
            else "point at the folder `inferload generate -o` wrote"
        )
        raise InferloadError(
            ErrorKind.FILE_NOT_FOUND, f"no generated {script_dir.name} test here",
            location=Location(str(path)), hint=hint,
        )  # fmt: skip
    plan: dict[str, Any] = json.loads(path.read_text())
    return plan


def _prepare_results(folder: Path, force: bool) -> None:
    refuse_overwrite(folder, force)
    for name in RESULT_FILES:  # --force replaces inferload's own files, never the user's
        (folder / name).unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)


def _stage_windows(
    profile: dict[str, Any], duration_scale: float, tool: str, name: str
) -> tuple[StageWindow, ...]:
    """The profile's stages as the engine runs them. Artillery's smoke is one arrival a second
    (`SMOKE_ARRIVALS_PER_S`), not the plan's rate (k6's is a closed model: a few looping VUs)."""
    windows = []
    offset = 0.0
    rate = float(profile["start"])
    stages = profile["stages"]
    if tool == "artillery" and name == "smoke":
        rate = float(SMOKE_ARRIVALS_PER_S)
        stages = [(duration, rate) for duration, _ in stages]
    for duration, target in stages:
        length = max(1.0, round(duration * duration_scale))
        windows.append(
            StageWindow(
                start_s=offset, end_s=offset + length, from_per_s=rate, to_per_s=float(target)
            )
        )
        offset += length
        rate = float(target)
    return tuple(windows)


def _sla(plan: dict[str, Any]) -> Sla:
    sla = plan["targets"]["sla"]
    endpoints = {}
    for metric, conditions in plan["thresholds"].items():
        if not metric.startswith("http_req_duration{name:"):
            continue
        for condition in conditions:
            if condition.startswith("p(95)<"):
                endpoints[metric[len("http_req_duration{name:") : -1]] = float(condition[6:])
    return Sla(
        p95_ms=sla["p95_ms"], p99_ms=sla["p99_ms"], error_rate=sla["error_rate"],
        throughput_rps=sla.get("throughput_rps"), endpoint_p95_ms=endpoints,
    )  # fmt: skip


def _outcome(
    tool: Tool, exit_code: int, results: Path
) -> Literal["completed", "thresholds-crossed", "failed"]:
    if exit_code == 0:
        return "completed"
    if tool == "k6" and exit_code == _THRESHOLD_EXIT_K6:
        return "thresholds-crossed"
    if tool == "artillery" and (results / ARTILLERY_REPORT_NAME).is_file():
        return "thresholds-crossed"  # Artillery exits 1 when an `ensure` check fails
    return "failed"


def _hash_files(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


# An exception's own message as the engines log it: k6 `msg="Error: ...\\n\\tat ..."` (the
# line break escaped), Node `worker error, id: 1 Error: ...` followed by its stack
_SCRIPT_ERROR = re.compile(r'(?:^|[\s"])((?:[A-Z][A-Za-z]*)?Error: [^\n"\\]+)')


def failure_reason(path: Path, lines: int = 5) -> str:
    """Why an engine stopped, for the one-line error: the message of the first exception the
    script or engine threw (a script refusing to start says what to set), else the engine log's
    last lines. Node's stack frames after a message tell the user nothing."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    for line in text.splitlines():
        if found := _SCRIPT_ERROR.search(line):
            return found.group(1).strip()
    return " | ".join(line.strip() for line in text.strip().splitlines()[-lines:])
