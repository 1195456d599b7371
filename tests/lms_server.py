"""Start the sample LMS service on 127.0.0.1 for a test, and stop it afterwards."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from examples.lms.db import SeedCounts
from examples.lms.health import wait_healthy
from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunningService:
    base_url: str
    port: int
    process: subprocess.Popen[bytes]
    access_log: Path
    database: Path


_COURSE_PATH = re.compile(r"/api/courses/([^/?]+)(?:/progress)?")


def course_ids_sent(requests: Iterable[tuple[str, str]]) -> Counter[str]:
    """How often each course id was sent (getCourse, recordProgress), percent-decoded."""
    return Counter(
        unquote(match.group(1))
        for _, path in requests
        if (match := _COURSE_PATH.fullmatch(path.split("?")[0]))
    )


def seeded_database(folder: Path, enrollments: int = SeedCounts().enrollments) -> Path:
    database = folder / "lms.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "examples.lms", "seed", "--db", str(database), "--enrollments", str(enrollments)],
        cwd=ROOT, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    return database


@contextmanager
def lms_service(
    folder: Path, database: Path, *, report_index: bool = False, pool_size: int = 4
) -> Iterator[RunningService]:
    """Serve a copy of `database` (so runs never affect each other) until the block ends."""
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "served.sqlite3"
    shutil.copyfile(database, copy)
    port = free_port()
    access_log = folder / "access.log"
    command = [
        sys.executable, "-m", "examples.lms", "serve", "--db", str(copy), "--port", str(port),
        "--pool-size", str(pool_size), "--access-log", str(access_log),
    ]  # fmt: skip
    if report_index:
        command.append("--report-index")
    process = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=os.environ.copy()
    )
    try:
        _wait_healthy(port, process)
        yield RunningService(f"http://127.0.0.1:{port}", port, process, access_log, copy)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_healthy(port: int, process: subprocess.Popen[bytes], timeout_s: float = 30.0) -> None:
    if wait_healthy(port, timeout_s, alive=lambda: process.poll() is None):
        return
    if process.poll() is not None:
        raise RuntimeError(
            f"the LMS service exited: {process.stderr.read().decode() if process.stderr else ''}"
        )
    raise RuntimeError("the LMS service did not become healthy in time")
