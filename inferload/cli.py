"""The `inferload` command. The only module that prints, formats errors or picks exit codes.

Exit codes: 0 ok, 1 a failed check or threshold, 2 bad input (one line naming file and line).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from inferload import __version__
from inferload.cli_common import (
    EXIT_FAILED_CHECK,
    infer_with_progress,
    ingest_options,
    log_sample,
    parse_duration,
    progress_bar,
    reports_errors,
    stderr,
    stdout,
    workload_catalog,
)
from inferload.cli_refresh import compare_command, diff_command, refresh_command
from inferload.cli_results import report_command, run_command
from inferload.design.plan import design
from inferload.design.targets import load_targets
from inferload.emit.artillery import render_artillery
from inferload.emit.k6 import render_k6
from inferload.emit.plan_doc import credential_variables, render_plan
from inferload.emit.pools import POOL_FOLDER
from inferload.errors import refuse_overwrite
from inferload.logs import IngestOptions, LogIngest
from inferload.model import infer_from_spec, json_schema, load_workload, write_workload
from inferload.render import (
    print_ingest_report,
    print_matches,
    print_operations,
    print_spec_problems,
    print_spec_summary,
    print_workload_summary,
    workload_summary,
)
from inferload.spec import Router, load_catalog
from inferload.spec.matcher import Match
from inferload.spec.summary import summarise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="inferload")
def main() -> None:
    """Turn an OpenAPI spec and production access logs into realistic load tests."""


@main.command("spec")
@click.argument("spec_path", metavar="SPEC", type=click.Path(path_type=Path))
@click.option(
    "--json", "as_json", is_flag=True, help="Print the summary and full operation list as JSON."
)
@click.option(
    "--match",
    "requests",
    multiple=True,
    metavar="'METHOD URL'",
    help="Show which operation a logged request maps to (repeatable); exit 1 if one maps to none.",
)
@click.option("--no-cache", is_flag=True, help="Parse the spec again instead of using the cache.")
@reports_errors
def spec_command(spec_path: Path, as_json: bool, requests: tuple[str, ...], no_cache: bool) -> None:
    """Load SPEC (Swagger 2.0 / OpenAPI 3.x, YAML or JSON, multi-file) and summarise it."""
    with stderr.status(f"Loading {spec_path}", spinner="dots"):
        catalog = load_catalog(spec_path, use_cache=not no_cache)
    summary = summarise(catalog)
    matches = _match_requests(Router(catalog), requests)
    if as_json:
        payload: dict[str, Any] = {"summary": summary.to_dict(), "catalog": catalog.to_dict()}
        if requests:
            payload["matches"] = matches
        click.echo(json.dumps(payload, indent=2, default=str))
    else:
        print_spec_summary(stdout, summary)
        print_operations(stdout, catalog.operations)
        if requests:
            print_matches(stdout, matches)
    if any("unmatched" in match for match in matches):
        sys.exit(EXIT_FAILED_CHECK)  # a request the spec does not cover


@main.command("logs")
@click.argument("log_paths", metavar="LOG...", nargs=-1, required=True)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    help="OpenAPI spec to match URLs against (without it, URL templates are inferred from the logs).",
)
@ingest_options
@click.option("--json", "as_json", is_flag=True, help="Print the ingest report as JSON.")
@reports_errors
def logs_command(
    log_paths: tuple[str, ...], spec_path: Path | None, ingest_options: IngestOptions, as_json: bool
) -> None:
    """Read access logs (LOG... or - for stdin; .gz welcome) and report what they contain."""
    catalog = load_catalog(spec_path) if spec_path else None
    options = ingest_options
    with progress_bar(as_json) as (progress, task):
        ingest = LogIngest(
            list(log_paths), catalog, options,
            progress=lambda done, total: progress.update(task, completed=done, total=total or None),
        )  # fmt: skip
        for _session in ingest:
            pass
    assert ingest.report is not None
    if as_json:
        click.echo(json.dumps(ingest.report.to_dict(), indent=2, default=str))
    else:
        print_ingest_report(stdout, ingest.report)


@main.command("infer")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    help="The API's OpenAPI document. Without: URL templates inferred from the logs.",
)
@log_sample(
    "Access log(s) to learn from (several: all of them, merged by time; - for stdin). "
    "Without: journeys from the spec alone.",
    required=False,
)
@ingest_options
@click.option(
    "--burst-window",
    default="1s",
    show_default=True,
    metavar="DURATION",
    help="Requests of one client closer than this form one step (a batch).",
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Where to write workload.yaml.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@reports_errors
def infer_command(
    spec_path: Path | None,
    log_paths: tuple[str, ...],
    ingest_options: IngestOptions,
    burst_window: str,
    output: Path,
    force: bool,
    as_json: bool,
) -> None:
    """Infer the workload (personas, journeys, think times, load levels) into workload.yaml."""
    if spec_path is None and not log_paths:
        raise click.UsageError("give --spec, --logs or both")
    refuse_overwrite(output, force)
    catalog = None
    if spec_path is not None:
        with stderr.status(f"Loading {spec_path}", spinner="dots"):
            catalog = load_catalog(spec_path)
    report = None
    if log_paths:
        window = parse_duration(burst_window, "--burst-window")
        workload, report = infer_with_progress(
            catalog, spec_path, log_paths, ingest_options, window, as_json
        )
    else:
        assert catalog is not None and spec_path is not None
        workload = infer_from_spec(catalog, str(spec_path))
    write_workload(workload, output)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "workload": str(output),
                    "summary": workload_summary(workload),
                    "spec_problems": list(catalog.problems if catalog else ()),
                },
                indent=2,
            )
        )
        return
    if report is not None:
        print_ingest_report(stdout, report)
    print_workload_summary(stdout, workload)
    if catalog is not None:
        print_spec_problems(stdout, str(spec_path), catalog.problems)
    stdout.print(f"wrote {output}")


@main.command("validate")
@click.argument("workload_path", metavar="WORKLOAD.yaml", type=click.Path(path_type=Path))
@reports_errors
def validate_command(workload_path: Path) -> None:
    """Check a (hand-edited) workload.yaml: exit 0 when valid, 2 with the field at fault."""
    workload = load_workload(workload_path)
    stdout.print(
        f"{workload_path}: valid (version {workload.version}, {len(workload.personas)} personas, {len(workload.operations)} operations)"
    )


@main.command("generate")
@click.argument("workload_path", metavar="WORKLOAD.yaml", type=click.Path(path_type=Path))
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(path_type=Path),
    help="The OpenAPI document (default: the one workload.yaml was inferred from).",
)
@click.option(
    "--targets",
    "targets_path",
    type=click.Path(path_type=Path),
    help="targets.yaml (docs/targets.md); defaults from the workload.",
)
@click.option(
    "--tool", type=click.Choice(["k6", "artillery", "all"]), default="all", show_default=True
)
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(path_type=Path),
    help="Output folder.",
)
@click.option("--force", is_flag=True, help="Write into a non-empty output folder.")
@reports_errors
def generate_command(
    workload_path: Path,
    spec_path: Path | None,
    targets_path: Path | None,
    tool: str,
    output: Path,
    force: bool,
) -> None:
    """Write ready-to-run load-test scripts for WORKLOAD.yaml into the output folder."""
    workload = load_workload(workload_path)
    refuse_overwrite(output, force)
    catalog = workload_catalog(workload, workload_path, spec_path)
    plan = design(workload, catalog, load_targets(targets_path))
    tools = ("k6", "artillery") if tool == "all" else (tool,)
    files = render_plan(workload, plan, tools)
    if tool in ("k6", "all"):
        files.update(render_k6(plan))
    if tool in ("artillery", "all"):
        files.update(render_artillery(plan))
    for relative, text in files.items():
        target = output / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    stdout.print(f"wrote {_listing(files)} under {output}")
    # the credentials the scripts refuse to start without, as `run` takes them
    credentials = "".join(f"--env {name}=... " for name in credential_variables(plan["auth"]))
    stdout.print(
        f"next: inferload run {output} --profile smoke --base-url http://127.0.0.1:8800 "
        f"{credentials}-o RESULTS",
        markup=False,
    )


main.add_command(run_command)
main.add_command(report_command)
main.add_command(refresh_command)
main.add_command(diff_command)
main.add_command(compare_command)


@main.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of workload.yaml (published as docs/workload.schema.json)."""
    click.echo(json.dumps(json_schema(), indent=2, sort_keys=True))


def _listing(files: dict[str, str]) -> str:
    """The written files, each folder of data files (pools) as one entry with its count."""
    shown: dict[str, int] = {}
    for relative in sorted(files):
        folder = relative.rpartition("/")[0]
        key = f"{folder}/" if folder.endswith(POOL_FOLDER) else relative
        shown[key] = shown.get(key, 0) + 1
    return ", ".join(
        f"{key} ({count} CSV files)" if key.endswith("/") else key for key, count in shown.items()
    )


def _match_requests(router: Router, requests: tuple[str, ...]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    for request in requests:
        method, _, url = request.strip().partition(" ")
        if not url:
            raise click.BadParameter(f"{request!r} is not 'METHOD URL'", param_hint="--match")
        result = router.match(method, url.strip())
        if isinstance(result, Match):
            results.append(
                {
                    "request": request,
                    "operation_id": result.operation_id,
                    "template": result.path_template,
                    "params": result.path_params,
                }
            )
        else:
            results.append({"request": request, "unmatched": result.reason})
    return results
