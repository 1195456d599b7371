"""Live progress of a running test: elapsed, users, requests/s, p95 and errors.

k6 streams every metric point to its JSON output, so the k6 watcher reads the file's new lines
and keeps a 10-second window. Artillery prints a summary of each 10-second period on stdout; its
watcher reads those. Both only observe: the engines' own results are the record.
"""

from __future__ import annotations

import json
import re
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

_WINDOW_S = 10.0


@dataclass(frozen=True, slots=True)
class Progress:
    elapsed_s: float
    users: int
    requests: int
    rps: float
    p95_ms: float | None
    error_rate: float


@dataclass(frozen=True, slots=True)
class KillSwitch:
    """The plan's abort threshold (`http_req_failed` `rate<X`, `abortOnFail`), for an engine that
    has none of its own: k6 stops itself, Artillery's thresholds (`ensure`) are only checked at
    the end, so its runner stops it when the run's error rate so far reaches X. Like k6, not
    before `after_s` (a run's first errors say little)."""

    error_rate: float
    after_s: float

    def tripped(self, progress: Progress) -> bool:
        return (
            progress.elapsed_s >= self.after_s
            and progress.requests > 0
            and progress.error_rate >= self.error_rate
        )


class K6Watcher:
    """Follows the k6 JSON output as it grows. Users are the sessions the script has begun and
    not ended (k6's `vus` also counts sessions waiting for their random start): `vus` only for
    a script that does not count its sessions."""

    def __init__(self, points: Path) -> None:
        self._points = points
        self._offset = 0
        self._partial = b""
        self._recent: deque[tuple[float, float, bool]] = deque()
        self._vus = 0
        self._begun = 0
        self._ended = 0
        self._requests = 0
        self._errors = 0
        self._latest = 0.0

    def poll(self, elapsed_s: float) -> Progress:
        self._read_new_lines()
        while self._recent and self._recent[0][0] < self._latest - _WINDOW_S:
            self._recent.popleft()
        durations = [ms for _, ms, _ in self._recent]
        span = max(1.0, min(_WINDOW_S, elapsed_s))
        return Progress(
            elapsed_s=elapsed_s,
            users=max(0, self._begun - self._ended) if self._begun else self._vus,
            requests=self._requests,
            rps=len(durations) / span,
            p95_ms=float(np.percentile(durations, 95)) if durations else None,
            error_rate=self._errors / self._requests if self._requests else 0.0,
        )

    def _read_new_lines(self) -> None:
        try:
            with self._points.open("rb") as stream:
                stream.seek(self._offset)
                chunk = stream.read(64 * 1024 * 1024)
        except FileNotFoundError:
            return
        self._offset += len(chunk)
        lines = (self._partial + chunk).split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            if b'"http_req_duration"' in line and b'"Point"' in line:
                self._take_request(line)
            elif line.startswith(b'{"metric":"vus","type":"Point"'):
                self._vus = int(json.loads(line)["data"]["value"])
            elif line.startswith(b'{"metric":"sessions_begun","type":"Point"'):
                self._begun += 1
            elif line.startswith(b'{"metric":"sessions_ended","type":"Point"'):
                self._ended += 1

    def _take_request(self, line: bytes) -> None:
        data = json.loads(line)["data"]
        seconds = _epoch_seconds(data["time"])
        failed = data["tags"].get("expected_response") == "false"
        self._latest = max(self._latest, seconds)
        self._recent.append((seconds, float(data["value"]), failed))
        self._requests += 1
        self._errors += failed


def _epoch_seconds(stamp: str) -> float:
    """An RFC 3339 time as k6 writes it (nanoseconds, an offset) -> epoch seconds, so a run
    that crosses midnight keeps its points in order."""
    return datetime.fromisoformat(stamp).timestamp()


_ARTILLERY_VALUE = re.compile(r"^(\s*)([\w.\-/{}:$ ]+?):\s*\.{2,}\s*([\d.]+)")
_ARTILLERY_BLOCK = re.compile(r"^([\w.\-/{}:$ ]+):\s*$")


class ArtilleryWatcher:
    """Reads the period summaries Artillery prints every 10 seconds. Users are the sessions in
    flight: begun so far (the processor's `sessions.begun`, after a session's random start;
    for older scripts, Artillery's `vusers.created`), less those completed or failed (Artillery
    counts each per period)."""

    def __init__(self) -> None:
        self._block = ""
        self._rate = 0.0
        self._p95: float | None = None
        self._created = 0
        self._begun = 0
        self._ended = 0  # completed or failed
        self._requests = 0
        self._errors = 0
        self._finished = False

    def feed(self, line: str) -> None:
        if line.startswith("Summary report"):
            self._finished = True  # the closing report repeats the totals
        if self._finished:
            return
        block = _ARTILLERY_BLOCK.match(line)
        if block:
            self._block = block.group(1).strip()
            return
        value = _ARTILLERY_VALUE.match(line)
        if not value:
            return
        indent, key, number = value.group(1), value.group(2).strip(), float(value.group(3))
        if indent and self._block == "http.response_time" and key == "p95":
            self._p95 = number
        elif not indent:
            self._block = ""
            if key == "http.request_rate":
                self._rate = number
            elif key == "http.requests":
                self._requests += int(number)
            elif key == "vusers.created":
                self._created += int(number)
            elif key == "sessions.begun":
                self._begun += int(number)
            elif key in ("vusers.completed", "vusers.failed"):
                self._ended += int(number)
            elif key.startswith("errors.") or (
                key.startswith("http.codes.") and key[11:12] in "45"
            ):
                self._errors += int(number)

    def poll(self, elapsed_s: float) -> Progress:
        return Progress(
            elapsed_s=elapsed_s,
            users=max(0, (self._begun or self._created) - self._ended),
            requests=self._requests,
            rps=self._rate,
            p95_ms=self._p95,
            error_rate=self._errors / self._requests if self._requests else 0.0,
        )
