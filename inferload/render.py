"""How the CLI shows results to people (tables, summaries). Called only by `cli.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from inferload.logs.model import IngestReport
from inferload.model.workload import Workload
from inferload.spec.model import Operation
from inferload.spec.summary import SpecSummary
from inferload.templating import figure

# a spec-only Stripe workload has 240 high-priority operations: a line names this many
_NAMES_SHOWN = 12
_PROBLEMS_SHOWN = 3  # each is a sentence: more would bury the summary


def print_spec_summary(stdout: Console, summary: SpecSummary) -> None:
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
        stdout.print(f"  - {escape(problem)}")
    if len(summary.problems) > 30:
        stdout.print(f"  ... {len(summary.problems) - 30} more (see --json)")


def print_operations(stdout: Console, operations: tuple[Operation, ...], limit: int = 40) -> None:
    table = Table(title="Operations", title_justify="left")
    for column in ("operation", "method", "path", "auth"):
        table.add_column(column)
    for op in operations[:limit]:
        auth = " | ".join("+".join(req) or "optional" for req in op.security) or "none"
        table.add_row(op.operation_id, op.method, op.path, auth)
    if len(operations) > limit:
        table.add_row(f"... {len(operations) - limit} more (see --json)", "", "", "")
    stdout.print(table)


def print_matches(stdout: Console, matches: list[dict[str, Any]]) -> None:
    stdout.print("[bold]Matches[/bold]")
    for match in matches:
        if "operation_id" in match:
            params = ", ".join(f"{k}={v}" for k, v in match["params"].items())
            stdout.print(
                f"  {match['request']} -> {match['operation_id']} ({match['template']}) {params}"
            )
        else:
            stdout.print(f"  {match['request']} -> unmatched: {match['unmatched']}")


def _when(epoch: float | None) -> str:
    if epoch is None:
        return "-"
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def print_ingest_report(stdout: Console, report: IngestReport, operations_limit: int = 25) -> None:
    for source in report.sources:
        stamped = ", stamped at each request's end" if source.stamped_at_end else ""
        stdout.print(
            f"[bold]{source.name}[/bold]: {source.lines:,} lines, format {source.format}{stamped}"
        )
    stdout.print(
        f"lines read {report.lines_read:,}; requests parsed {report.records:,}; "
        f"malformed {report.malformed:,}; kept {report.kept_requests:,} "
        f"(URL templates: {report.template_source})"
    )
    if len(report.base_paths) > 1 or any(report.base_paths):
        bases = ", ".join(
            f"{base or '(none)'} ({count:,})" for base, count in report.base_paths.items()
        )
        stdout.print(f"Base paths of the matched path shapes: {bases}")
    if report.malformed:
        reasons = ", ".join(
            f"{reason} ({count:,})" for reason, count in report.malformed_by_reason.items()
        )
        stdout.print(f"[bold]Malformed lines[/bold]: {reasons}")
        for example in report.malformed_examples:
            stdout.print(f"  {example.source}:{example.line_no}: {example.reason}")
    if report.dropped:
        dropped = Table(title="Dropped requests", title_justify="left")
        dropped.add_column("reason")
        dropped.add_column("requests", justify="right")
        for reason, count in report.dropped.items():
            dropped.add_row(reason, f"{count:,}")
        stdout.print(dropped)
    if report.unmatched:
        shapes = Table(
            title="Top unmatched path shapes (missing from the spec?)", title_justify="left"
        )
        for column in ("method", "shape", "requests", "why"):
            shapes.add_column(column, justify="right" if column == "requests" else "left")
        for shape in report.unmatched:
            shapes.add_row(shape.method, shape.shape, f"{shape.count:,}", shape.reason)
        stdout.print(shapes)
    table = Table(title="Requests by operation", title_justify="left")
    table.add_column("operation")
    table.add_column("requests", justify="right")
    table.add_column("share", justify="right")
    for operation, count in list(report.operations.items())[:operations_limit]:
        table.add_row(operation, f"{count:,}", f"{count / max(report.kept_requests, 1):.1%}")
    if len(report.operations) > operations_limit:
        table.add_row(f"... {len(report.operations) - operations_limit} more (see --json)", "", "")
    stdout.print(table)
    stdout.print(
        f"sessions {report.sessions:,} (inactivity gap {report.session_timeout_s:g} s); "
        f"window {_when(report.first_s)} .. {_when(report.last_s)}; "
        f"peak {report.peak_requests_per_s:,} requests/s at {_when(report.peak_second_s)}"
    )
    for note in report.notes:
        stdout.print(f"note: {note}")


def workload_summary(workload: Workload) -> dict[str, Any]:
    load = workload.load
    return {
        "personas": [
            {"id": p.id, "name": p.name, "weight": round(p.weight, 4), "sessions": p.sessions,
             "top_journey": p.top_journeys[0].steps if p.top_journeys else []}
            for p in workload.personas
        ],
        "operations": len(workload.operations),
        "login_operation": workload.auth.login_operation,
        "left_out": dict(workload.left_out),
        "load": {
            "normal_arrival_rate_per_s": load.normal_arrival_rate_per_s.value,
            "peak_arrival_rate_per_s": load.peak_arrival_rate_per_s.value,
            "peak_concurrent_sessions": load.peak_concurrent_sessions.value,
            "littles_law_concurrency": load.littles_law_concurrency.value,
            "session_duration_s": load.session_duration_s.value,
            "requests_per_s_peak": load.requests_per_s_peak.value,
            "provenance": load.peak_arrival_rate_per_s.provenance.value,
        },
    }  # fmt: skip


def print_workload_summary(stdout: Console, workload: Workload) -> None:
    table = Table(title="Personas (the behaviour mix)", title_justify="left")
    for column in ("persona", "share", "sessions", "most likely journey"):
        table.add_column(column, justify="right" if column in ("share", "sessions") else "left")
    for persona in workload.personas:
        journey = persona.top_journeys[0] if persona.top_journeys else None
        steps = " -> ".join(journey.steps) + f"  ({journey.probability:.0%})" if journey else "-"
        table.add_row(
            f"{persona.id}: {persona.name}", f"{persona.weight:.1%}", f"{persona.sessions:,}", steps
        )
    stdout.print(table)
    load = workload.load
    origin = load.peak_arrival_rate_per_s.provenance.value
    littles_law = f"{figure(load.littles_law_concurrency.value)} by Little's law"
    concurrency = (  # "measured" only when the logs measured it
        f"{load.peak_concurrent_sessions.value:.0f} measured, {littles_law}"
        if load.peak_concurrent_sessions.provenance.value == "logs"
        else littles_law
    )
    stdout.print(
        f"[bold]Load[/bold] ({origin}): sessions arrive at {figure(load.normal_arrival_rate_per_s.value * 60)}/min normally, "
        f"{figure(load.peak_arrival_rate_per_s.value * 60)}/min at peak; they last {load.session_duration_s.value:.0f} s on average; "
        f"peak concurrency {concurrency}; "
        f"{figure(load.requests_per_s_mean.value)} requests/s mean, {load.requests_per_s_peak.value:.0f} peak"
    )
    if workload.auth.login_operation:
        stdout.print(f"[bold]Login[/bold]: {workload.auth.login_operation}")
    elif workload.auth.schemes:
        stdout.print(
            f"[bold]Login[/bold]: none found (schemes: {', '.join(workload.auth.schemes)}): runs "
            "need their credentials (TEST-PLAN.md says which), or set auth.login_operation in "
            "workload.yaml if the API logs in"
        )
    high = [op_id for op_id, op in workload.operations.items() if op.priority == "high"]
    stdout.print(_named("High-priority operations", high, "workload.yaml lists them", always=False))
    if workload.left_out:
        stdout.print(
            _named(
                "Left out of the journeys",
                list(workload.left_out),
                "workload.yaml's left_out says why",
                always=True,
            )
        )


def print_spec_problems(stdout: Console, spec_path: str, problems: tuple[str, ...]) -> None:
    """What `inferload spec` calls problems, said by `infer` too: a placeholder server URL
    (`TODO`) becomes every scripted request's base path, a `$ref` lost to a YAML comment
    leaves a body without its fields, and the user would otherwise learn it from the run."""
    if not problems:
        return
    stdout.print(f"[bold]Spec problems[/bold] ({len(problems)}):")
    for problem in problems[:_PROBLEMS_SHOWN]:
        stdout.print(f"  - {escape(problem)}")
    if len(problems) > _PROBLEMS_SHOWN:
        stdout.print(
            f"  ... and {len(problems) - _PROBLEMS_SHOWN} more: "
            f"`inferload spec {escape(spec_path)}` lists them all"
        )


def _named(title: str, names: list[str], where: str, *, always: bool) -> str:
    """`title (n): a, b and 3 more (where)`: the first names of a long list, and where the rest
    are (`always`: even when none is cut)."""
    shown = escape(", ".join(names[:_NAMES_SHOWN])) or "-"
    more = f" and {len(names) - _NAMES_SHOWN} more" if len(names) > _NAMES_SHOWN else ""
    note = f" ({where})" if always or more else ""
    return f"[bold]{title}[/bold] ({len(names)}): {shown}{more}{note}"
