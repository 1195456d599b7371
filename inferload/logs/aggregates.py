"""Per-operation aggregates the model needs, counted vectorised chunk by chunk during ingest.

Response times go into log-scaled buckets (5% wide), mergeable and bounded like locust's
histogram, so percentiles of millions of requests cost a few hundred counters per operation.
Path parameters and query strings are counted as the encoded strings they travel as; the
heavy hitters are kept (at most `VALUES_KEPT` per operation, pruned by count then value, so the
result does not depend on the order chunks arrive in for the values that matter).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import polars as pl

BUCKET_BASE = 1.05
VALUES_KEPT = 500  # per operation: data pools keep the top 100 of these


def bucket_of(milliseconds: float) -> int:
    return round(math.log(max(milliseconds, 0.01)) / math.log(BUCKET_BASE))


def bucket_value(bucket: int) -> float:
    return float(BUCKET_BASE**bucket)


@dataclass
class OperationAggregates:
    errors: Counter[str] = field(default_factory=Counter)
    durations: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    params: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    queries: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add_chunk(self, kept: pl.DataFrame) -> None:
        errors = kept.filter(pl.col("status") >= 400).group_by("operation_id").len()
        for operation, count in errors.iter_rows():
            self.errors[operation] += count
        timed = kept.filter(pl.col("request_time_ms").is_not_null()).select(
            "operation_id",
            (pl.col("request_time_ms").clip(lower_bound=0.01).log() / math.log(BUCKET_BASE))
            .round()
            .cast(pl.Int32)
            .alias("bucket"),
        )
        for operation, bucket, count in timed.group_by("operation_id", "bucket").len().iter_rows():
            self.durations[operation][bucket] += count
        for column, target in (("params", self.params), ("query", self.queries)):
            present = kept.filter(pl.col(column).is_not_null() & (pl.col(column) != ""))
            for operation, value, count in (
                present.group_by("operation_id", column).len().iter_rows()
            ):
                target[operation][value] += count
            for counter in target.values():  # pruned after the whole chunk: order-independent
                if len(counter) > 2 * VALUES_KEPT:
                    for rare, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[
                        VALUES_KEPT:
                    ]:
                        del counter[rare]

    def percentile_ms(self, operation: str, q: float) -> float | None:
        return _percentile(self.durations.get(operation), q)

    def overall_percentile_ms(self, q: float) -> float | None:
        merged: Counter[int] = Counter()
        for counter in self.durations.values():
            merged.update(counter)
        return _percentile(merged, q)


def _percentile(buckets: Counter[int] | None, q: float) -> float | None:
    if not buckets:
        return None
    total = sum(buckets.values())
    target = q * total
    running = 0
    for bucket in sorted(buckets):
        running += buckets[bucket]
        if running >= target:
            return bucket_value(bucket)
    return bucket_value(max(buckets))
