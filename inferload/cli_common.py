"""What every `inferload` command shares: the consoles, the exit codes, the error wrapper.

Exit codes: 0 ok, 1 a failed check or threshold, 2 bad input (one line naming file and line).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)

from inferload.errors import InferloadError
from inferload.logs import FORMATS, IngestOptions, LogIngest
from inferload.logs.model import IngestReport, Session
from inferload.logs.templates import catalog_from_templates
from inferload.model import infer_from_logs
from inferload.model.spec_path import recorded_spec
from inferload.model.workload import Workload
from inferload.spec import Catalog, load_catalog

EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_INPUT = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(command: F) -> F:
    """Turn `InferloadError` into one line on stderr and exit 2: users see messages, not traces."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InferloadError as error:
            click.echo(f"inferload: error: {error.one_line()}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


def parse_duration(text: str, option: str) -> float:
    """`30m`, `900s`, `1h`, `1.5h` or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a duration like 30m, 900s or 1h", param_hint=option
        ) from None
    if seconds <= 0:
        raise click.BadParameter("must be positive", param_hint=option)
    return seconds


def log_sample(help_text: str, required: bool) -> Callable[[F], F]:
    """`--logs LOG` for a command that reads a log sample, repeatable, and the logs after it as
    well: `--logs access-*.log.gz` (a shell's glob gives several) reads them all, as `inferload
    logs` does, where a repeatable option alone took the first and refused the others as
    unexpected arguments. Handed on as one `log_paths` tuple."""

    def decorate(command: F) -> F:
        @wraps(command)
        def wrapper(*args: Any, log_paths: tuple[str, ...], more_logs: tuple[str, ...],
                    **kwargs: Any) -> Any:  # fmt: skip
            logs = log_paths + more_logs
            if required and not logs:
                raise click.UsageError("give the log sample: --logs LOG... (- for stdin)")
            return command(*args, log_paths=logs, **kwargs)

        option = click.option(
            "--logs", "log_paths", multiple=True, metavar="LOG...", help=help_text
        )
        argument = click.argument("more_logs", nargs=-1, metavar="[LOG...]")
        return option(argument(wrapper))  # type: ignore[return-value]

    return decorate


def ingest_options(command: F) -> F:
    """The log-reading options `logs` and `infer` share, handed on as one `IngestOptions`."""

    @wraps(command)
    def wrapper(
        *args: Any, log_format_name: str, nginx_format: str | None, fields: tuple[str, ...],
        session_timeout: str, **kwargs: Any,
    ) -> Any:  # fmt: skip
        options = IngestOptions(
            format=log_format_name,
            log_format=nginx_format,
            fields=tuple(_field_mapping(fields)),
            session_timeout_s=parse_duration(session_timeout, "--session-timeout"),
        )
        return command(*args, ingest_options=options, **kwargs)

    for option in reversed(
        [
            click.option("--format", "log_format_name", type=click.Choice(FORMATS), default="auto", show_default=True,
                         help="Log format (auto-detected by default)."),
            click.option("--log-format", "nginx_format", metavar="'NGINX LOG_FORMAT'",
                         help="Your nginx log_format string, e.g. '$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent $request_time'."),
            click.option("--field", "fields", multiple=True, metavar="NAME=KEY",
                         help="JSON lines: where a field lives (time, url or path and query, method, status, ip, ua, user, duration_s, duration_ms, duration_us, duration_ns); dotted keys for nesting."),
            click.option("--session-timeout", default="30m", show_default=True, metavar="DURATION",
                         help="Inactivity gap that ends a session (e.g. 30m, 900s, 1h)."),
        ]
    ):  # fmt: skip
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


@contextmanager
def progress_bar(disabled: bool) -> Iterator[tuple[Progress, TaskID]]:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=stderr,
        transient=True,
        disable=disabled or not stderr.is_terminal,
    ) as progress:
        yield progress, progress.add_task("Reading logs", total=None)


def _field_mapping(fields: tuple[str, ...]) -> list[tuple[str, str]]:
    mapping = []
    for item in fields:
        name, separator, key = item.partition("=")
        if not separator or not name or not key:
            raise click.BadParameter(f"{item!r} is not NAME=KEY", param_hint="--field")
        mapping.append((name.strip(), key.strip()))
    return mapping


def infer_with_progress(
    catalog: Catalog | None, spec_path: Path | None, log_paths: tuple[str, ...], options: IngestOptions,
    burst_window_s: float, quiet: bool, observe: Callable[[Session], None] | None = None,
) -> tuple[Workload, IngestReport]:  # fmt: skip
    """Ingest the logs under a progress bar and infer the workload (`infer`, `refresh`, `compare`)."""
    with progress_bar(quiet) as (progress, task):
        ingest = LogIngest(
            list(log_paths), catalog, replace(options, aggregate_operations=True),
            progress=lambda done, total: progress.update(task, completed=done, total=total or None),
        )  # fmt: skip
        workload = infer_from_logs(
            catalog, ingest, spec_path=str(spec_path) if spec_path else None, burst_window_s=burst_window_s,
            observe=observe,
        )  # fmt: skip
    assert ingest.report is not None  # set once the ingest has run
    return workload, ingest.report


def workload_catalog(workload: Workload, workload_path: Path, spec_path: Path | None) -> Catalog:
    """The catalog a workload's operations come from: `--spec`, else the spec it records, else
    (inferred from logs alone) its own URL templates, so that spec-less workloads generate too."""
    spec = spec_path or recorded_spec(workload, workload_path)
    return load_catalog(spec) if spec is not None else templates_catalog(workload)


def templates_catalog(workload: Workload) -> Catalog:
    """A spec-less workload's operations (URL templates) as a catalog."""
    templates = [(op.method, op.path, op.requests) for op in workload.operations.values()]
    queries = {op_id: list(op.query_shares or ()) for op_id, op in workload.operations.items()}
    return catalog_from_templates(templates, title=workload.api.title, queries=queries)
