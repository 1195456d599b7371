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

import numpy as np
import polars as pl

from inferload.logs.cardinality import Sketches
from inferload.logs.model import PARAM_NAME_SEPARATOR, PARAM_PAIR_SEPARATOR

BUCKET_BASE = 1.05
VALUES_KEPT = 500  # per operation: a data pool keeps up to these (see `pools.POOL_MAX`)
# a query parameter's name: `?page=2`, `?filter[status]=open`. A part without `=` is a value
# (a search's `?STS-69`, an image map's `?107,144`, a cache buster's `?1548117180000`), and
# so is a "name" like `107,144=`: each made a pool of its own
QUERY_NAME = re.compile(r"^[A-Za-z_][\w.\-\[\]]{0,63}$")
# Query names are the client's to choose (a scanner sends hundreds): beyond these per
# operation, a new name gets no sketch; and no more sketches than these in all (4 KB each), so
# memory stays bounded for logs of thousands of inferred templates too.
SKETCHED_QUERY_NAMES = 32
SKETCHES = 8192
JOINT = ""  # the name of an operation's sketch of whole rows (all its path values)

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
    parameters: Sketches[ParameterKey] = field(default_factory=Sketches)  # requests, values
    _query_names: Counter[str] = field(default_factory=Counter)  # sketched, per operation
    _several: set[str] = field(default_factory=set)  # operations with several path parameters

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
            values = present.group_by("operation_id", column).len()
            for operation, value, count in values.iter_rows():
                target[operation][value] += count
            self._sketch(values, column)
            for counter in target.values():  # pruned after the whole chunk: order-independent
                if len(counter) > 2 * VALUES_KEPT:
                    for rare, _ in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[
                        VALUES_KEPT:
                    ]:
                        del counter[rare]

    def _sketch(self, values: pl.DataFrame, column: str) -> None:
        """Requests and distinct values per parameter, from the chunk's distinct (operation,
        value, len) rows. Every row of an operation names the same path parameters (its
        template's), so each operation's whole rows are sketched at once, keyed by the
        operation's code; only rows of several parameters, and queries, are split by name."""
        operations = values.get_column("operation_id")
        if not isinstance(operations.dtype, pl.Enum):  # (the ingest's are: see routing)
            operations = operations.cast(pl.Enum(sorted(set(operations.to_list()))))
            values = values.with_columns(operations)
        names = operations.dtype.categories.to_list()  # type: ignore[attr-defined]
        if column == "params":
            codes = operations.to_physical().to_numpy()
            rows = np.full(len(names), -1, dtype=np.int64)
            for code in np.unique(codes).tolist():
                key = (names[code], "path", JOINT)
                if key in self.parameters or self._admits(key):
                    rows[code] = self.parameters.row(key)
            picked = rows[codes]
            kept = picked >= 0
            self._add(picked[kept], values.get_column(column).filter(kept),
                      values.get_column("len").filter(kept))  # fmt: skip
            location, separator, pair = "path", PARAM_NAME_SEPARATOR, PARAM_PAIR_SEPARATOR
            values = values.filter(pl.col(column).str.contains(pair, literal=True))
        else:
            location, separator, pair = "query", "=", "&"
        if not values.height:
            return
        parts = pl.col(column).str.split_exact(separator, 1)
        named = (
            values.lazy()
            .with_columns(pl.col(column).str.split(pair))
            .explode(column)
            .with_columns(parts.struct.field("field_0").alias("name"))
            .filter(parts.struct.field("field_1").is_not_null())  # `?x` alone is no parameter
            .collect()
        )
        keys = named.select("operation_id", "name").unique()
        rows_of = []
        for operation, name in keys.iter_rows():
            key = (operation, location, name)
            if key in self.parameters or self._admits(key):
                rows_of.append(self.parameters.row(key))
                if location == "path":
                    self._several.add(operation)
            else:
                rows_of.append(-1)
        keyed = named.join(
            keys.with_columns(pl.Series("row", rows_of, pl.Int64)), on=["operation_id", "name"]
        ).filter(pl.col("row") >= 0)
        self._add(
            keyed.get_column("row").to_numpy(), keyed.get_column(column), keyed.get_column("len")
        )

    def _add(self, rows: np.ndarray, values: pl.Series, counts: pl.Series) -> None:
        self.parameters.add(
            rows, values.hash(seed=0).to_numpy(), counts.to_numpy().astype(np.int64)
        )

    def path_key(self, operation: str, name: str) -> ParameterKey:
        """The sketch of a path parameter: the operation's whole rows when it is the only one."""
        return (operation, "path", name if operation in self._several else JOINT)

    def _admits(self, key: ParameterKey) -> bool:
        """While there are fewer than `SKETCHES`: every path parameter, and a query name that
        looks like one (`QUERY_NAME`) while its operation has fewer than `SKETCHED_QUERY_NAMES`."""
        operation, location, name = key
        if len(self.parameters) >= SKETCHES:
            return False
        if location == "path":
            return True
        if not QUERY_NAME.match(name):
            return False
        self._query_names[operation] += 1
        return self._query_names[operation] <= SKETCHED_QUERY_NAMES

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
