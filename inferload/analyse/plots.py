"""The report's charts as inline SVG (matplotlib, text drawn as paths: no markup from names)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from inferload.analyse.report import Report  # noqa: E402
from inferload.analyse.scalability import UslFit, usl_curve  # noqa: E402

_SIZE = (9.0, 3.6)


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.tight_layout()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def latency_and_users(timeline: pl.DataFrame, users: pl.DataFrame) -> str:
    figure, axis = plt.subplots(figsize=_SIZE)
    for column, style in (("p50", "-"), ("p95", "-"), ("p99", ":")):
        axis.plot(timeline["t"], timeline[column], style, label=column)
    axis.set_xlabel("seconds from start")
    axis.set_ylabel("latency (ms)")
    if users.height:
        twin = axis.twinx()
        twin.plot(users["t"], users["users"], color="grey", alpha=0.5, label="users")
        twin.set_ylabel("users in flight")
    axis.legend(loc="upper left")
    return _svg(figure)


def throughput_over_time(timeline: pl.DataFrame) -> str:
    figure, axis = plt.subplots(figsize=_SIZE)
    axis.plot(timeline["t"], timeline["rps"], label="requests/s")
    axis.set_xlabel("seconds from start")
    axis.set_ylabel("requests/s")
    twin = axis.twinx()
    twin.plot(timeline["t"], 100 * timeline["error_rate"], color="red", alpha=0.6, label="errors %")
    twin.set_ylabel("errors (%)")
    return _svg(figure)


def scalability(report: Report) -> str | None:
    rising = [level for level in report.levels if not level.recovery]
    if len(rising) < 2:
        return None
    figure, (left, right) = plt.subplots(1, 2, figsize=(_SIZE[0], _SIZE[1] * 1.1))
    offered = [level.offered_per_s for level in rising]
    left.plot(offered, [level.figures.p95_ms for level in rising], "o-", label="p95")
    left.set_xlabel("offered load (sessions/s)")
    left.set_ylabel("p95 (ms)")
    right.plot(
        [level.in_flight for level in rising],
        [level.figures.rps for level in rising],
        "o",
        label="measured",
    )
    right.set_xlabel("requests in flight (X x R)")
    right.set_ylabel("throughput (req/s)")
    if report.knee is not None:
        knee = next(level for level in rising if level.index == report.knee.level)
        left.axvline(knee.offered_per_s, color="red", linestyle="--", label="knee")
        right.plot([knee.in_flight], [knee.figures.rps], "rx", markersize=12, label="knee")
    if report.usl is not None:
        fit = UslFit(**report.usl.model_dump())
        upto = max(level.in_flight for level in rising) * 1.3
        n, x = usl_curve(fit, max(upto, fit.peak_concurrency or 0.0))
        right.plot(n, x, "--", color="green", label=f"USL (R^2 {fit.r_squared:.2f})")
    left.legend()
    right.legend()
    return _svg(figure)


def endpoint_p95(report: Report, limit: int = 15) -> str | None:
    rows = sorted(report.endpoints, key=lambda e: e.figures.p95_ms)[-limit:]
    if not rows:
        return None
    figure, axis = plt.subplots(figsize=(_SIZE[0], 0.35 * len(rows) + 1.0))
    axis.barh([row.name for row in rows], [row.figures.p95_ms for row in rows])
    axis.axvline(report.run.sla.p95_ms, color="red", linestyle="--", label="SLA p95")
    axis.set_xlabel("p95 (ms)")
    axis.legend()
    return _svg(figure)


def resources(frame: pl.DataFrame, metrics: list[str]) -> str | None:
    chosen = [m for m in metrics if m in set(frame["metric"].to_list())][:4]
    if not chosen:
        return None
    figure, axes = plt.subplots(
        len(chosen), 1, figsize=(_SIZE[0], 1.8 * len(chosen)), sharex=True, squeeze=False
    )
    for axis, metric in zip(axes[:, 0], chosen, strict=True):
        series = frame.filter(pl.col("metric") == metric)
        axis.plot(series["t"], series["value"])
        axis.set_title(metric, fontsize=9, loc="left")
    axes[-1, 0].set_xlabel("seconds from start")
    return _svg(figure)
