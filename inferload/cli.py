"""The `inferload` command. The only module that prints, formats errors or picks exit codes.

Exit codes: 0 ok, 1 a failed check or threshold, 2 bad input (one line naming file and line).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from inferload import __version__
from inferload.errors import InferloadError
from inferload.spec import Router, load_catalog
from inferload.spec.matcher import Match
from inferload.spec.model import Operation
from inferload.spec.summary import SpecSummary, summarise

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
    help="Show which operation a logged request maps to (repeatable).",
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
        return
    _print_summary(summary)
    _print_operations(catalog.operations)
    if requests:
        _print_matches(matches)


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


def _print_summary(summary: SpecSummary) -> None:
    stdout.print(
        f"[bold]{summary.title}[/bold] {summary.api_version}  "
        f"(OpenAPI {summary.openapi_version}, {summary.files} file(s))"
    )
    stdout.print(
        f"{summary.operations} operations, {summary.secured_operations} secured, "
        f"{summary.deprecated_operations} deprecated"
    )
    methods = Table(title="Operations by method", title_justify="left")
    methods.add_column("method")
    methods.add_column("count", justify="right")
    for method, count in summary.by_method.items():
        methods.add_row(method, str(count))
    stdout.print(methods)
    tags = Table(title="Operations by tag", title_justify="left")
    tags.add_column("tag")
    tags.add_column("count", justify="right")
    for tag, count in list(summary.by_tag.items())[:25]:
        tags.add_row(tag, str(count))
    if len(summary.by_tag) > 25:
        tags.add_row(f"... {len(summary.by_tag) - 25} more", "")
    stdout.print(tags)
    stdout.print("[bold]Servers[/bold]")
    for url, base in summary.servers:
        stdout.print(f"  {url}  (base path {base})")
    stdout.print("[bold]Security schemes[/bold]")
    for key, kind in summary.security_schemes or (("(none)", ""),):
        stdout.print(f"  {key}: {kind}")
    if summary.links:
        stdout.print(f"[bold]Links[/bold] ({len(summary.links)})")
        for edge in summary.links[:20]:
            stdout.print(f"  {edge.source} [{edge.status}] --{edge.name}--> {edge.target}")
    if summary.webhooks:
        stdout.print(f"[bold]Webhooks[/bold] (not load-tested): {', '.join(summary.webhooks)}")
    stdout.print(f"[bold]Problems found[/bold] ({len(summary.problems)})")
    for problem in summary.problems[:30]:
        stdout.print(f"  - {problem}")
    if len(summary.problems) > 30:
        stdout.print(f"  ... {len(summary.problems) - 30} more (see --json)")


def _print_operations(operations: tuple[Operation, ...], limit: int = 40) -> None:
    table = Table(title="Operations", title_justify="left")
    for column in ("operation", "method", "path", "auth"):
        table.add_column(column)
    for op in operations[:limit]:
        auth = " | ".join("+".join(req) or "optional" for req in op.security) or "none"
        table.add_row(op.operation_id, op.method, op.path, auth)
    if len(operations) > limit:
        table.add_row(f"... {len(operations) - limit} more (see --json)", "", "", "")
    stdout.print(table)


def _print_matches(matches: list[dict[str, Any]]) -> None:
    stdout.print("[bold]Matches[/bold]")
    for match in matches:
        if "operation_id" in match:
            params = ", ".join(f"{k}={v}" for k, v in match["params"].items())
            stdout.print(
                f"  {match['request']} -> {match['operation_id']} ({match['template']}) {params}"
            )
        else:
            stdout.print(f"  {match['request']} -> unmatched: {match['unmatched']}")
