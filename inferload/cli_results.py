"""`inferload run` and `inferload report`: execute a generated test, then analyse its results."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from inferload.analyse.compare import compare
from inferload.analyse.documents import render_documents
from inferload.analyse.readers import read_run
from inferload.analyse.report import build_report
from inferload.cli_common import EXIT_FAILED_CHECK, reports_errors, stderr, stdout
from inferload.design.targets import load_targets
from inferload.errors import ErrorKind, InferloadError, refuse_overwrite
from inferload.render_results import LiveProgress, print_report_summary, print_run_outcome
from inferload.run.manifest import ENGINE_LOG_NAME
from inferload.run.runner import RunRequest, failure_reason, run_load_test

EXIT_INTERRUPTED = 130


@click.command("report")
@click.argument("results", metavar="RESULTS", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--baseline",
    type=click.Path(path_type=Path, file_okay=False),
    help="An earlier results folder: regressions are flagged per endpoint.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for REPORT.md, report.html and report.json.",
)
@click.option("--force", is_flag=True, help="Overwrite a non-empty report folder.")
@click.option("--json", "as_json", is_flag=True, help="Print report.json instead of the summary.")
@reports_errors
def report_command(
    results: Path, baseline: Path | None, output: Path, force: bool, as_json: bool
) -> None:
    """Analyse a results folder: targets, endpoints, knee, bottleneck, recommendations."""
    refuse_overwrite(output, force)
    with stderr.status(f"Reading {results}", spinner="dots"):
        run = read_run(results)
        report = build_report(run, datetime.now(UTC))
        comparison = None
        if baseline is not None:
            comparison = compare(
                report, build_report(read_run(baseline), datetime.now(UTC)), str(baseline)
            )
        documents = render_documents(report, run, comparison)
    output.mkdir(parents=True, exist_ok=True)
    for name, text in documents.items():
        (output / name).write_text(text)
    if as_json:
        click.echo(documents["report.json"], nl=False)
    else:
        print_report_summary(stdout, report, comparison, output)
    if any(verdict.status == "FAIL" for verdict in report.verdicts) or (
        comparison and comparison.regressions
    ):
        sys.exit(EXIT_FAILED_CHECK)


@click.command("run")
@click.argument("loadtest_dir", metavar="DIR", type=click.Path(path_type=Path, file_okay=False))
@click.option("--tool", type=click.Choice(["k6", "artillery"]), default="k6", show_default=True)
@click.option(
    "--profile",
    default="smoke",
    show_default=True,
    help="smoke, load, stress, spike, soak or breakpoint.",
)
@click.option("--base-url", required=True, help="The system under test (loopback unless allowed).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Results folder.",
)
@click.option(
    "--think-scale",
    type=click.FloatRange(min=0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Multiplies every think time (small values compress a run).",
)
@click.option(
    "--duration-scale",
    type=click.FloatRange(min=0.0, min_open=True),
    default=1.0,
    show_default=True,
    help="Multiplies every stage's length.",
)
@click.option(
    "--users-csv",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="Credentials for the login step: persona,username,password.",
)
@click.option(
    "--env",
    "env_pairs",
    multiple=True,
    metavar="NAME=VALUE",
    help="Extra environment for the script.",
)
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    metavar="HOST",
    help="A non-loopback host that may receive load (a staging environment).",
)
@click.option(
    "--targets",
    "targets_path",
    type=click.Path(path_type=Path),
    help="targets.yaml: its allow_hosts are honoured too.",
)
@click.option(
    "--target-pid", type=int, help="Sample this local process (CPU, memory, threads, fds)."
)
@click.option("--metrics-url", help="Scrape this Prometheus text endpoint during the run.")
@click.option(
    "--tag-sessions",
    is_flag=True,
    help="k6: tag every point with its VU and iteration, so `inferload compare` can rebuild sessions.",
)
@click.option("--force", is_flag=True, help="Overwrite a non-empty results folder.")
@reports_errors
def run_command(
    loadtest_dir: Path, tool: str, profile: str, base_url: str, output: Path, think_scale: float,
    duration_scale: float, users_csv: Path | None, env_pairs: tuple[str, ...], allow_hosts: tuple[str, ...],
    targets_path: Path | None, target_pid: int | None, metrics_url: str | None, tag_sessions: bool, force: bool,
) -> None:  # fmt: skip
    """Run the test generated in DIR with the real engine; raw results and a manifest go to -o."""
    extra_env = dict(_pairs(env_pairs))
    if users_csv is not None:
        extra_env["USERS_CSV"] = str(users_csv.resolve())
    allowed = (*allow_hosts, *load_targets(targets_path).allow_hosts)
    request = RunRequest(
        loadtest_dir=loadtest_dir, tool=tool, profile=profile, base_url=base_url,  # type: ignore[arg-type]
        results_dir=output, think_scale=think_scale, duration_scale=duration_scale, extra_env=extra_env,
        allow_hosts=allowed, target_pid=target_pid, metrics_url=metrics_url, force=force, tag_sessions=tag_sessions,
    )  # fmt: skip

    def note(text: str) -> None:
        stderr.print(f"note: {text}", markup=False)

    with LiveProgress(stderr, f"{tool} {profile}") as live:
        manifest = run_load_test(request, live.update, note)
    print_run_outcome(stdout, manifest, output)
    if manifest.outcome == "interrupted":
        sys.exit(EXIT_INTERRUPTED)
    if manifest.outcome == "failed":
        raise InferloadError(
            ErrorKind.INVALID, f"{tool} stopped with exit code {manifest.exit_code}: {failure_reason(output / ENGINE_LOG_NAME)}",
            hint=f"the whole engine log is {output / ENGINE_LOG_NAME}",
        )  # fmt: skip
    if manifest.outcome in ("thresholds-crossed", "timed-out"):
        sys.exit(EXIT_FAILED_CHECK)


def _pairs(items: tuple[str, ...]) -> list[tuple[str, str]]:
    pairs = []
    for item in items:
        name, separator, value = item.partition("=")
        if not separator or not name.strip():
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--env")
        pairs.append((name.strip(), value))
    return pairs
