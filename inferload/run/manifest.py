"""The run manifest: what ran, against what, when, and where its raw results are.

`report` reads only the results folder, so the manifest carries what analysis needs from the
test design (the profile's stage schedule, the SLA and per-endpoint thresholds) next to what
comparison needs later (tool and engine versions, the script's hash, the target).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from inferload.errors import ErrorKind, InferloadError, Location, file_error

MANIFEST_NAME = "manifest.json"
RESOURCES_NAME = "resources.jsonl"
# resources.jsonl's sources that are the load generator's, not the target's: the engine's
# process tree (CPU in % of one core) and the machine (CPU in % of all its cores)
ENGINE, MACHINE = "generator", "host"
GENERATOR_SOURCES = (ENGINE, MACHINE)
ENGINE_LOG_NAME = "engine.log"
K6_POINTS_NAME = "k6-points.json"
K6_SUMMARY_NAME = "k6-summary.json"
ARTILLERY_REPORT_NAME = "artillery-report.json"
# Artillery's periods as it reported them, kept when a stopped run left no report (see runner)
ARTILLERY_PERIODS_NAME = "artillery-periods.jsonl"
RESULT_FILES = (
    MANIFEST_NAME, RESOURCES_NAME, ENGINE_LOG_NAME, K6_POINTS_NAME, K6_SUMMARY_NAME,
    ARTILLERY_REPORT_NAME, ARTILLERY_PERIODS_NAME, "artillery-script.yml",
)  # fmt: skip


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class StageWindow(_Frozen):
    """One stage of the profile as it ran: offsets from the start, session arrival rates."""

    start_s: float
    end_s: float
    from_per_s: float
    to_per_s: float

    @property
    def is_plateau(self) -> bool:
        return abs(self.from_per_s - self.to_per_s) < 1e-9


class Sla(_Frozen):
    p95_ms: float
    p99_ms: float
    error_rate: float
    throughput_rps: float | None = None
    endpoint_p95_ms: dict[str, float] = Field(default={}, description="name tag -> p95 limit")


class RunManifest(_Frozen):
    format: Literal[1] = 1
    tool: Literal["k6", "artillery"]
    profile: str
    load_model: Literal["open", "closed"]
    api_title: str
    base_url: str
    script: str
    script_sha256: str
    engine_version: str
    inferload_version: str
    think_scale: float
    duration_scale: float
    stages: tuple[StageWindow, ...]
    sla: Sla
    normal_arrival_rate_per_s: float
    peak_arrival_rate_per_s: float
    started_at: datetime
    ended_at: datetime
    exit_code: int
    outcome: Literal["completed", "thresholds-crossed", "interrupted", "timed-out", "failed"]
    monitors: tuple[str, ...] = ()  # the target's: its process, its metrics endpoint
    files: dict[str, str]
    host_cpus: int | None = None  # the machine's cores (generator and target share them)
    accounts: int | None = None  # distinct accounts the sessions logged in with (None: no login)


def write_manifest(folder: Path, manifest: RunManifest) -> None:
    (folder / MANIFEST_NAME).write_text(manifest.model_dump_json(indent=2) + "\n")


def read_manifest(folder: Path) -> RunManifest:
    path = folder / MANIFEST_NAME
    try:
        text = path.read_text()
    except OSError as exc:
        error = file_error(exc, str(path))
        raise InferloadError(
            error.kind, f"{error.message}: not a results folder of `inferload run`",
            location=error.location,
        ) from exc  # fmt: skip
    try:
        return RunManifest.model_validate(json.loads(text))
    except (ValueError, ValidationError) as exc:
        field = None
        if isinstance(exc, ValidationError) and exc.errors():
            field = ".".join(str(part) for part in exc.errors()[0]["loc"])
        raise InferloadError(
            ErrorKind.INVALID, "not a valid run manifest", location=Location(str(path), field=field)
        ) from exc
