"""Where workload.yaml's spec is: recorded from the file's own folder when it is written, and
found from there (else from the working directory, as older files recorded it) when it is read."""

from __future__ import annotations

import os
from pathlib import Path

from inferload.errors import ErrorKind, InferloadError, Location
from inferload.model.workload import Workload, dump_workload


def write_workload(workload: Workload, output: Path) -> None:
    """Write workload.yaml with its spec recorded relative to the file's own folder, so that
    `generate` and `refresh` find the spec from any working directory, and the pair can move
    together (a repository checked out elsewhere)."""
    spec = workload.source.spec_path
    if spec is not None:
        relative = os.path.relpath(Path(spec).resolve(), output.resolve().parent)
        source = workload.source.model_copy(update={"spec_path": Path(relative).as_posix()})
        workload = workload.model_copy(update={"source": source})
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(dump_workload(workload))


def recorded_spec(workload: Workload, workload_path: str | Path) -> Path | None:
    """The spec the workload was inferred from: a relative path from workload.yaml's folder
    (as `write_workload` records it), else from the working directory (as files written before
    recorded it). Missing both ways, the error names the field that recorded it and the way
    out (`--spec`). None when it was inferred from logs alone."""
    if workload.source.spec_path is None:
        return None
    recorded = Path(workload.source.spec_path)
    found = Path(workload_path).parent / recorded
    if not found.is_file():
        found = recorded
    if not found.is_file():
        raise InferloadError(
            ErrorKind.FILE_NOT_FOUND,
            f"the spec it was inferred from, {str(recorded)!r}, is not there",
            location=Location(str(workload_path), field="source.spec_path"),
            hint="pass the OpenAPI document with --spec",
        )
    return found
