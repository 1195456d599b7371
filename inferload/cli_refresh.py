"""`inferload refresh`, `diff` and `compare`: keep tests realistic as production changes."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

import click

from inferload.cli_common import (
    EXIT_FAILED_CHECK,
    infer_with_progress,
    ingest_options,
    log_sample,
    reports_errors,
    stderr,
    stdout,
    templates_catalog,
    workload_catalog,
)
from inferload.errors import refuse_overwrite
from inferload.logs import IngestOptions, LogIngest
from inferload.model import load_workload, write_workload
from inferload.model.spec_path import recorded_spec
from inferload.refresh.drift import Tolerance, diff_workloads
from inferload.refresh.fidelity import (
    Traffic,
    score,
    session_traffic,
    traffic_from_ingest,
    traffic_from_k6,
)
from inferload.refresh.refresh import merge_refresh
from inferload.render_refresh import print_drift, print_fidelity
from inferload.spec import Router, load_catalog


@click.command("refresh")
@click.argument("workload_path", metavar="WORKLOAD.yaml", type=click.Path(path_type=Path))
@log_sample("The new log sample (several files: all of them, merged by time).", required=True)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    help="The OpenAPI document (default: the one recorded in WORKLOAD.yaml).",
)
@ingest_options
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write the refreshed workload.yaml.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the notes and the drift as JSON.")
@reports_errors
def refresh_command(workload_path: Path, log_paths: tuple[str, ...], spec_path: Path | None,
                    ingest_options: IngestOptions, output: Path, force: bool, as_json: bool) -> None:  # fmt: skip
    """Re-infer WORKLOAD.yaml from a new log sample, keeping what was set by hand."""
    refuse_overwrite(output, force)
    old = load_workload(workload_path)
    spec = spec_path or recorded_spec(old, workload_path)
    # without a spec, the templates are inferred afresh: new endpoints show as drift
    catalog = load_catalog(spec) if spec else None
    # sessions are cut as they were for the original model unless --session-timeout says otherwise
    options = ingest_options
    if options.session_timeout_s == IngestOptions().session_timeout_s:
        options = replace(options, session_timeout_s=old.source.session_timeout_s)
    fresh, _ = infer_with_progress(
        catalog, spec, log_paths, options, old.source.burst_window_s, as_json
    )
    refreshed = merge_refresh(old, fresh)
    write_workload(refreshed.workload, output)
    drift = diff_workloads(old, refreshed.workload)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "workload": str(output),
                    "notes": list(refreshed.notes),
                    "drift": drift.model_dump(mode="json"),
                },
                indent=2,
            )
        )
        return
    for note in refreshed.notes:
        stdout.print(f"- {note}", markup=False)
    print_drift(stdout, drift)
    stdout.print(f"wrote {output} (review it, then `inferload generate` to refresh the scripts)")


@click.command("diff")
@click.argument("old_path", metavar="OLD.yaml", type=click.Path(path_type=Path))
@click.argument("new_path", metavar="NEW.yaml", type=click.Path(path_type=Path))
@click.option(
    "--share-points",
    type=float,
    default=Tolerance.share_points,
    show_default=True,
    help="Drift when an operation's share of requests moves this many percentage points.",
)
@click.option(
    "--weight-points",
    type=float,
    default=Tolerance.weight_points,
    show_default=True,
    help="... a persona's share of sessions.",
)
@click.option(
    "--transition-points",
    type=float,
    default=Tolerance.transition_points,
    show_default=True,
    help="... a transition probability.",
)
@click.option(
    "--think-relative",
    type=float,
    default=Tolerance.think_relative,
    show_default=True,
    help="Drift when a think-time median moves by this fraction.",
)
@click.option(
    "--load-relative",
    type=float,
    default=Tolerance.load_relative,
    show_default=True,
    help="Drift when a load level moves by this fraction.",
)
@click.option(
    "--query-points",
    type=float,
    default=Tolerance.query_points,
    show_default=True,
    help="... a query parameter's share of its operation's requests.",
)
@click.option(
    "--alpha",
    type=click.FloatRange(0, 1, min_open=True, max_open=True),
    default=Tolerance.alpha,
    show_default=True,
    help="Family-wise significance level (Bonferroni over all the comparisons).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the drift as JSON.")
@reports_errors
def diff_command(old_path: Path, new_path: Path, share_points: float, weight_points: float, transition_points: float,
                 think_relative: float, load_relative: float, query_points: float, alpha: float,
                 as_json: bool) -> None:  # fmt: skip
    """What changed between two workload models; exit 1 when the drift exceeds the tolerance."""
    tolerance = Tolerance(
        share_points=share_points, weight_points=weight_points,
        transition_points=transition_points, think_relative=think_relative,
        load_relative=load_relative, alpha=alpha, query_points=query_points,
    )  # fmt: skip
    drift = diff_workloads(load_workload(old_path), load_workload(new_path), tolerance)
    if as_json:
        click.echo(
            json.dumps({**drift.model_dump(mode="json"), "drifted": drift.drifted}, indent=2)
        )
    else:
        print_drift(stdout, drift)
    if drift.drifted:
        sys.exit(EXIT_FAILED_CHECK)


@click.command("compare")
@click.argument("results", metavar="RESULTS", type=click.Path(path_type=Path))
@log_sample("The production log sample (several files: all of them).", required=True)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    help="The API's OpenAPI document (default: the workload's, else URL templates inferred "
    "from the production logs).",
)
@click.option(
    "--workload",
    "workload_path",
    type=click.Path(path_type=Path),
    help="Take the personas from this workload.yaml (default: inferred from the production sample).",
)
@click.option(
    "--think-scale",
    type=click.FloatRange(min=0, min_open=True),
    help="When RESULTS is an access log: the THINK_SCALE the test ran with (k6 results record it).",
)
@ingest_options
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@reports_errors
def compare_command(results: Path, log_paths: tuple[str, ...], spec_path: Path | None, workload_path: Path | None,
                    think_scale: float | None, ingest_options: IngestOptions, as_json: bool) -> None:  # fmt: skip
    """Score how realistic a test was: its traffic (RESULTS: a k6 results folder run with
    --tag-sessions, or the target's access log) against the production sample."""
    if workload_path is not None:
        workload = load_workload(workload_path)
        catalog = workload_catalog(workload, workload_path, spec_path)
        production = traffic_from_ingest(LogIngest(list(log_paths), catalog, ingest_options))
    else:  # one pass over the production logs: their traffic and the personas inferred from them
        seen: list[tuple[tuple[str, ...], tuple[float, ...]]] = []
        spec_catalog = load_catalog(spec_path) if spec_path else None
        workload, _ = infer_with_progress(
            spec_catalog, spec_path, log_paths, ingest_options, 1.0, as_json,
            observe=lambda session: seen.append(session_traffic(session)),
        )  # fmt: skip
        # without a spec, the test's traffic is matched to the templates production showed
        catalog = spec_catalog or templates_catalog(workload)
        production = Traffic(tuple(seen))
    with stderr.status("Reading the test's traffic", spinner="dots"):
        if results.is_dir():
            test = traffic_from_k6(results, Router(catalog))
        else:
            test = traffic_from_ingest(LogIngest([str(results)], catalog, ingest_options))
            if think_scale:
                test = test.unscaled(think_scale)
    fidelity = score(test, production, workload.personas)
    if as_json:
        click.echo(fidelity.model_dump_json(indent=2))
    else:
        print_fidelity(stdout, fidelity)
    if fidelity.verdict == "unrealistic":
        sys.exit(EXIT_FAILED_CHECK)
