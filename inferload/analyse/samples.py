"""What a run measured, in one shape whatever the engine: latency statistics over any time span.

k6 writes every request (raw samples: percentiles are exact over any span). Artillery writes
10-second periods with their percentiles already taken; a span's percentiles are then the
request-weighted mean of its periods' (an approximation the report states).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import polars as pl

ALL = "*"  # the name under which whole-run (all endpoints) figures are kept


def _percentiles() -> list[pl.Expr]:
    return [
        pl.col("ms").quantile(q, "linear").alias(name)
        for name, q in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99))
    ]


@dataclass(frozen=True, slots=True)
class Stats:
    requests: int
    errors: int
    rps: float
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


class Samples(Protocol):
    exact_percentiles: bool

    def stats(self, start_s: float, end_s: float) -> dict[str, Stats]:
        """Per endpoint `name` tag, plus ALL, for requests ending in [start_s, end_s)."""
        ...

    def errors_by_status(self) -> list[tuple[str, str, int]]:
        """(name, status, count) of failed requests over the whole run, most frequent first."""
        ...

    @property
    def span_s(self) -> float: ...

    def timeline(self, step_s: float) -> pl.DataFrame:
        """t, rps, p50, p95, p99, error_rate per step of the run, all endpoints together."""
        ...


class RawSamples:
    """One row per request: t (seconds from the run's start), name, status, ms, failed."""

    exact_percentiles = True

    def __init__(self, requests: pl.DataFrame) -> None:
        self.requests = requests

    @property
    def span_s(self) -> float:
        return (
            float(self.requests.select(pl.col("t").max()).item() or 0.0)
            if self.requests.height
            else 0.0
        )

    def stats(self, start_s: float, end_s: float) -> dict[str, Stats]:
        window = self.requests.filter((pl.col("t") >= start_s) & (pl.col("t") < end_s))
        span = max(end_s - start_s, 1e-9)
        aggregates = [
            pl.len().alias("requests"), pl.col("failed").sum().alias("errors"),
            pl.col("ms").mean().alias("mean"), *_percentiles(), pl.col("ms").max().alias("max"),
        ]  # fmt: skip
        rows = window.group_by("name").agg(aggregates).to_dicts()
        rows += window.select(aggregates).with_columns(pl.lit(ALL).alias("name")).to_dicts()
        return {
            row["name"]: Stats(
                requests=int(row["requests"]),
                errors=int(row["errors"] or 0),
                rps=row["requests"] / span,
                mean_ms=row["mean"] or 0.0,
                p50_ms=row["p50"] or 0.0,
                p95_ms=row["p95"] or 0.0,
                p99_ms=row["p99"] or 0.0,
                max_ms=row["max"] or 0.0,
            )  # fmt: skip
            for row in rows
            if row["requests"]
        }

    def timeline(self, step_s: float) -> pl.DataFrame:
        return (
            self.requests.with_columns(t=(pl.col("t") / step_s).floor() * step_s)
            .group_by("t")
            .agg(
                (pl.len() / step_s).alias("rps"), *_percentiles(), pl.col("failed").mean().alias("error_rate"),
            )
            .sort("t")
        )  # fmt: skip

    def errors_by_status(self) -> list[tuple[str, str, int]]:
        failed = self.requests.filter(pl.col("failed"))
        counted = (
            failed.group_by("name", "status")
            .len()
            .sort("len", "name", "status", descending=[True, False, False])
        )  # ties in a fixed order: the same run gives the same report
        return [(row["name"], row["status"], int(row["len"])) for row in counted.to_dicts()]


class WindowSamples:
    """One row per (period, name): t, span_s, name, requests, errors, mean/p50/p95/p99/max ms."""

    exact_percentiles = False

    def __init__(self, windows: pl.DataFrame, statuses: list[tuple[str, str, int]]) -> None:
        self.windows = windows
        self._statuses = statuses

    @property
    def span_s(self) -> float:
        if not self.windows.height:
            return 0.0
        return float(self.windows.select((pl.col("t") + pl.col("span_s")).max()).item() or 0.0)

    def stats(self, start_s: float, end_s: float) -> dict[str, Stats]:
        middle = pl.col("t") + pl.col("span_s") / 2
        window = self.windows.filter((middle >= start_s) & (middle < end_s))
        span = max(end_s - start_s, 1e-9)

        def weighted(column: str) -> pl.Expr:
            return ((pl.col(column) * pl.col("requests")).sum() / pl.col("requests").sum()).alias(
                column
            )

        rows = (
            window.filter(pl.col("requests") > 0)
            .group_by("name")
            .agg(pl.col("requests").sum(), pl.col("errors").sum(), *(weighted(c) for c in ("mean", "p50", "p95", "p99")), pl.col("max").max())
            .to_dicts()
        )  # fmt: skip
        return {
            row["name"]: Stats(
                requests=int(row["requests"]),
                errors=int(row["errors"]),
                rps=row["requests"] / span,
                mean_ms=row["mean"],
                p50_ms=row["p50"],
                p95_ms=row["p95"],
                p99_ms=row["p99"],
                max_ms=row["max"],
            )  # fmt: skip
            for row in rows
        }

    def timeline(self, step_s: float) -> pl.DataFrame:
        """Artillery's own periods: step_s does not apply."""
        return self.windows.filter(pl.col("name") == ALL).select(
            "t", (pl.col("requests") / pl.col("span_s")).alias("rps"), "p50", "p95", "p99",
            (pl.col("errors") / pl.col("requests")).alias("error_rate"),
        ).sort("t")  # fmt: skip

    def errors_by_status(self) -> list[tuple[str, str, int]]:
        return self._statuses
