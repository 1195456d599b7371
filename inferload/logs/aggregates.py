"""Per-operation aggregates the model needs, counted vectorised chunk by chunk during ingest.

Response times go into log-scaled buckets (5% wide), mergeable and bounded like locust's
histogram, so percentiles of millions of requests cost a few hundred counters per operation.
Path parameters and query strings are counted as the encoded strings they travel as; the
heavy hitters are kept (at most `VALUES_KEPT` per operation, pruned by count then value, so the
result does not depend on the order chunks arrive in for the values that matter). Next to them,
per parameter, the requests that carried it and a sketch of its distinct values: what a pool of
the heavy hitters leaves out of production's traffic (see `cardinality`).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import polars as pl

from inferload.logs.cardinality import DistinctSketch, register_and_rank
from inferload.logs.model import PARAM_NAME_SEPARATOR, PARAM_PAIR_SEPARATOR

BUCKET_BASE = 1.05
VALUES_KEPT = 500  # per operation: data pools keep the top 100 of these
# a query parameter's name: `?page=2`, `?filter[status]=open`. A part without `=` is a value
# (a search's `?STS-69`, an image map's `?107,144`, a cache buster's `?1548117180000`), and
# so is a "name" like `107,144=`: each made a pool of its own
QUERY_NAME = re.compile(r"^[A-Za-z_][\w.\-\[\]]{0,63}$")
# Query names are the client's to choose (a scanner sends hundreds): beyond these per
# operation, a new name gets no sketch, so memory stays bounded.
SKETCHED_QUERY_NAMES = 32
JOINT = ""  # the parameter name of an operation's sketch of whole rows (all its path values)

ParameterKey = tuple[str, str, str]  # (operation, "path" or "query", parameter name)


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
    carried: Counter[ParameterKey] = field(default_factory=Counter)  # requests with a value
    distinct: dict[ParameterKey, DistinctSketch] = field(default_factory=dict)

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
            self._sketch(present, column)
            for counter in target.values():  # pruned after the whole chunk: order-independent
                if len(counter) > 2 * VALUES_KEPT:
                    for rare, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[
                        VALUES_KEPT:
                    ]:
                        del counter[rare]

    def _sketch(self, present: pl.DataFrame, column: str) -> None:
        """Requests and distinct values per parameter (and per operation's row of path values),
        a chunk at a time: one row per (parameter, register) reaches Python."""
        if column == "params":
            pairs = pl.col(column).str.split(PARAM_PAIR_SEPARATOR)
            separator, location = PARAM_NAME_SEPARATOR, "path"
            rows = present.filter(pl.col(column).str.contains(PARAM_PAIR_SEPARATOR, literal=True))
            whole = rows.select("operation_id", pl.lit(JOINT).alias("name"), pl.col(column))
        else:
            pairs, separator, location = pl.col(column).str.split("&"), "=", "query"
            whole = None
        exploded = present.select("operation_id", pairs.alias(column)).explode(column)
        named = exploded.select(
            "operation_id",
            pl.col(column).str.split_exact(separator, 1).struct.field("field_0").alias("name"),
            pl.col(column),
        )
        if location == "query":
            named = named.filter(
                pl.col(column).str.contains("=", literal=True)
                & pl.col("name").str.contains(QUERY_NAME.pattern)
            )
        for table in (named, whole):
            if table is None or not table.height:
                continue
            register, rank = register_and_rank(pl.col(column).hash(seed=0))
            grouped = (
                table.group_by("operation_id", "name", register.alias("register"))
                .agg(rank.max().alias("rank"), pl.len().alias("count"))
                .partition_by("operation_id", "name", as_dict=True)
            )
            for (operation, name), part in grouped.items():
                key = (str(operation), location, str(name))
                sketch = self.distinct.get(key)
                if sketch is None:
                    if location == "query" and self._query_names(key[0]) >= SKETCHED_QUERY_NAMES:
                        continue
                    sketch = self.distinct[key] = DistinctSketch()
                sketch.add(part["register"].to_numpy(), part["rank"].to_numpy())
                self.carried[key] += int(part["count"].sum())

    def _query_names(self, operation: str) -> int:
        return sum(
            1 for op, location, _ in self.distinct if op == operation and location == "query"
        )

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
