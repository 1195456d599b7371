"""Console output of `run` and `report`: the live progress line and the closing summaries."""

from __future__ import annotations

import time
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.status import Status

from inferload.analyse.compare import Comparison
from inferload.analyse.documents import headline
from inferload.analyse.report import Report
from inferload.run.manifest import RunManifest
from inferload.run.progress import Progress

_PLAIN_EVERY_S = 10.0  # without a terminal (CI logs), one progress line per 10 s


def progress_line(progress: Progress) -> str:
    minutes, seconds = divmod(int(progress.elapsed_s), 60)
    p95 = f"{progress.p95_ms:.0f} ms" if progress.p95_ms is not None else "-"
    return (
        f"{minutes:02d}:{seconds:02d}  users {progress.users}  {progress.rps:.1f} req/s  "
        f"p95 {p95}  errors {100 * progress.error_rate:.2f}%  ({progress.requests} requests)"
    )


class LiveProgress:
    """A status line that rewrites itself on a terminal and prints sparingly elsewhere."""

    def __init__(self, console: Console, title: str) -> None:
        self._console = console
        self._title = title
        self._status: Status | None = None
        self._last_plain = 0.0

    def __enter__(self) -> LiveProgress:
        if self._console.is_terminal:
            self._status = self._console.status(f"{self._title}: starting", spinner="dots")
            self._status.start()
        return self

    def update(self, progress: Progress) -> None:
        line = f"{self._title}: {progress_line(progress)}"
        if self._status is not None:
            self._status.update(line)
        elif time.monotonic() - self._last_plain >= _PLAIN_EVERY_S:
            self._last_plain = time.monotonic()
            self._console.print(line)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._status is not None:
            self._status.stop()


def print_run_outcome(console: Console, manifest: RunManifest, folder: Path) -> None:
    took = (manifest.ended_at - manifest.started_at).total_seconds()
    console.print(
        f"{manifest.tool} {manifest.profile} against {manifest.base_url}: {manifest.outcome} "
        f"after {took:.0f} s (engine exit code {manifest.exit_code})"
    )
    if manifest.monitors:
        console.print(f"monitored: {', '.join(manifest.monitors)}")
    console.print(f"results: {folder} (next: inferload report {folder} -o REPORT_DIR)")


def print_report_summary(
    console: Console, report: Report, comparison: Comparison | None, folder: Path
) -> None:
    console.print(headline(report).replace("**", "").replace("`", ""))
    for verdict in report.verdicts:
        console.print(
            f"  {verdict.status:<8} {verdict.target}: {verdict.measured} (limit {verdict.limit})"
        )
    for number, advice in enumerate(report.recommendations[:5], start=1):
        console.print(f"  {number}. {advice.action}", markup=False)
    if comparison is not None:
        console.print(
            f"against {comparison.baseline_folder}: {comparison.regressions} regression(s), "
            f"{comparison.improvements} improvement(s)", markup=False,
        )  # fmt: skip
    console.print(
        f"report: {folder / 'REPORT.md'}, {folder / 'report.html'}, {folder / 'report.json'}"
    )
