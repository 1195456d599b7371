"""REPORT.md, report.html and report.json from one Report (and an optional comparison).

The HTML carries the Markdown's tables (rendered by markdown-it with raw HTML disabled, so
a name from a spec or a log can only ever be text) and the charts as inline SVG: one file to
attach to a ticket, nothing to fetch.
"""

from __future__ import annotations

import json
import re
from typing import Any

from markdown_it import MarkdownIt

from inferload.analyse import plots
from inferload.analyse.bottleneck import resource_value
from inferload.analyse.compare import Comparison
from inferload.analyse.generator import past_knee
from inferload.analyse.readers import RunData
from inferload.analyse.report import Report
from inferload.templating import environment, figure


def render_documents(report: Report, run: RunData, comparison: Comparison | None) -> dict[str, str]:
    markdown = render_markdown(report, comparison)
    document: dict[str, Any] = report.model_dump(mode="json")
    if comparison is not None:
        document["comparison"] = comparison.model_dump(mode="json")
    return {
        "REPORT.md": markdown,
        "report.html": render_html(report, run, markdown),
        "report.json": json.dumps(document, indent=2, sort_keys=True) + "\n",
    }


def headline(report: Report) -> str:
    failed = [v.target for v in report.verdicts if v.status == "FAIL"]
    marginal = [v.target for v in report.verdicts if v.status == "MARGINAL"]
    verdict = "FAIL" if failed else "MARGINAL" if marginal else "PASS"
    parts = [f"**Verdict: {verdict}**"]
    if failed:
        parts.append(f"({', '.join(failed)} over the limit)")
    if report.knee:
        parts.append(
            f"Knee at {report.knee.throughput_rps:.0f} req/s ({figure(report.knee.offered_per_s)} sessions/s)."
        )
    short = report.generator_short_from_level
    if short is not None:
        later = past_knee(short, report.knee.level if report.knee else None)
        parts.append(
            f"The load generator was short of CPU from level {short + 1}"
            + (", past the knee: read the levels from there up with care." if later
               else ": the knee may be this machine's limit, not the target's (see the recommendations).")
        )  # fmt: skip
    if report.bottleneck:
        parts.append(f"Bottleneck: `{_cell(report.bottleneck)}`.")
    return " ".join(parts)


def render_markdown(report: Report, comparison: Comparison | None) -> str:
    env = environment()
    env.filters["cell"] = _cell
    env.filters["resource"] = resource_value
    sustained = next((lv for lv in report.levels if lv.index == report.max_sustained_level), None)
    degraded = [t for t in report.trends if t.degraded_at_level is not None]
    bottleneck = next((t for t in report.trends if t.name == report.bottleneck), None)
    evidence = ""
    if bottleneck is not None:
        evidence = (
            f"it carried {100 * bottleneck.demand_share:.0f}% of the service demand (rate x latency) at the lowest level, held "
            f"{100 * bottleneck.time_share:.0f}% of all server time at the highest level, and its p95 went from "
            f"{bottleneck.base_p95_ms:.0f} ms to {bottleneck.worst_p95_ms:.0f} ms."
        )
    text = env.get_template("report/REPORT.md.j2").render(
        r=report, comparison=comparison, headline=headline(report), sustained=sustained,
        degraded=degraded, bottleneck_evidence=evidence,
    )  # fmt: skip
    return _BLANK_RUN.sub("\n\n", text)  # sections left out leave no gap of blank lines


_BLANK_RUN = re.compile(r"\n{3,}")


def render_html(report: Report, run: RunData, markdown: str) -> str:
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    head, separator, rest = markdown.partition("\n## Load levels")
    if not separator:
        head, separator, rest = markdown.partition("\n## Endpoint breakdown")
    timeline = run.samples.timeline(_step(run.samples.span_s))
    charts = [
        ("Latency percentiles and users over time", plots.latency_and_users(timeline, run.users)),
        ("Throughput and errors over time", plots.throughput_over_time(timeline)),
        ("p95 against offered load, and throughput against requests in flight (knee, USL)", plots.scalability(report)),
        ("p95 per endpoint", plots.endpoint_p95(report)),
        ("Target resources", plots.resources(run.resources, [r.metric for r in report.resources] or _default_resources())),
    ]  # fmt: skip
    return (
        environment()
        .get_template("report/report.html.j2")
        .render(
            title=report.run.api_title,
            body_head=parser.render(head),
            body_rest=parser.render(separator.lstrip("\n") + rest),
            charts=[{"caption": caption, "svg": svg} for caption, svg in charts if svg],
        )
    )


def _default_resources() -> list[str]:
    return [
        "cpu_percent",
        "rss_bytes",
        "process_cpu_seconds_per_s",
        "process_resident_memory_bytes",
    ]


def _step(span_s: float) -> float:
    """About 200 points whatever the run's length, never finer than a second."""
    return max(1.0, round(span_s / 200))


def _cell(value: object) -> str:
    """Text safe inside a Markdown table cell or inline code: no pipes, backticks or newlines."""
    return " ".join(str(value).replace("|", "/").replace("`", "'").split())
