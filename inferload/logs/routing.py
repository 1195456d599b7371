"""A chunk's distinct (method, path) pairs -> operation, scrubbed path parameters, or why none.

Real logs hold hundreds of thousands of distinct paths (one per id) but only as many path
*shapes* as the spec has templates: `/v1/customers/cus_123/sources/card_9` and every other
customer's card have the shape `/v1/customers/?/sources/?` once the segments that are no literal
of any template are blanked. When the router decides by shape alone (`Router.decides_by_shape`)
each new shape is matched once, in Python, on one of its paths; the shapes, the parameter values
at the template's parameter positions and their scrubbing are Polars work over the chunk. Paths
the shape cannot speak for (percent-encoded, empty segments, absolute-form, the root) and every
path of a catalog with segment patterns are matched one by one, memoised across chunks.
"""

from __future__ import annotations

from collections import Counter
from typing import NamedTuple

import polars as pl

from inferload.logs.model import PARAM_NAME_SEPARATOR, PARAM_PAIR_SEPARATOR, encode_params
from inferload.logs.scrub import PLAIN_ID, is_route_placeholder, scrub_value
from inferload.spec.matcher import Match, Router, template_segments

_BLANK = "\x00"  # a segment that is no literal anywhere in the catalog: only a parameter fits it
_MEMO_LIMIT = 100_000  # distinct (method, path) results kept between chunks (one-by-one route)


def _result_schema(operation: pl.DataType) -> dict[str, pl.DataType]:
    return {
        "method": pl.String(), "path": pl.String(), "operation_id": operation,
        "params": pl.String(), "unmatched_reason": pl.String(),
    }  # fmt: skip


def _shape_schema(operation: pl.DataType) -> dict[str, pl.DataType]:
    return {
        "method": pl.String(), "shape": pl.String(), "operation_id": operation,
        "unmatched_reason": pl.String(), "names": pl.List(pl.String()),
        "positions": pl.List(pl.Int64()),
    }  # fmt: skip


class _ShapeResult(NamedTuple):
    operation_id: str | None
    unmatched_reason: str | None
    names: list[str]
    positions: list[int]  # segment index of each parameter's value


class OperationMatcher:
    def __init__(self, router: Router, values: bool = True, from_spec: bool = True) -> None:
        """`values`: cut and scrub the path parameter values (only the per-operation aggregates
        read them; without those, `params` stays empty). `from_spec`: False when the router's
        templates were inferred from the logs (they may not claim static assets)."""
        self.router = router
        self.from_spec = from_spec
        self._values = values
        self._by_shape = router.decides_by_shape
        self._literals = pl.Series(sorted(router.literal_segments()), dtype=pl.String)
        # Operation ids are an Enum of the catalog's: a join then gathers small integers instead
        # of copying text, and sessions share one string per operation (see `Sessionizer.cut`)
        operation = pl.Enum(router.operation_ids)
        self._result_schema = _result_schema(operation)
        self._shape_schema = _shape_schema(operation)
        self._shapes: dict[tuple[str, str], _ShapeResult | None] = {}  # None: match one by one
        self._table = pl.DataFrame(schema=self._shape_schema)  # shapes with a result, as a frame
        self._known: dict[tuple[str, str], tuple[str | None, str, str | None]] = {}
        # a path value logged as its route's placeholder (`{petId}`), the first seen: the log
        # names routes, not URLs, for those requests (see `scrub.is_route_placeholder`)
        self.route_placeholder: str | None = None
        # matched path shapes (and paths matched one by one) per server base path they carried:
        # which of the spec's servers production's clients call (or none: a gateway strips it)
        self.base_paths: Counter[str] = Counter()

    def notes(self) -> list[str]:
        """What the ingest report should say about the matching."""
        if self.route_placeholder is None:
            return []
        return [
            f"paths logged as route templates (a segment {self.route_placeholder}, as API "
            "Gateway's $context.resourcePath writes it): the log holds no parameter values for "
            "them, so the scripts use captured ids, the other requests' values or the spec's examples"
        ]  # fmt: skip

    def match_distinct(self, pairs: pl.DataFrame) -> pl.DataFrame:
        """Distinct (method, path) pairs -> + operation_id, params, unmatched_reason."""
        distinct = pairs.select("method", "path")
        if not self._by_shape:
            return self._one_by_one(distinct)
        path = pl.col("path")
        shapeable = (
            path.str.starts_with("/")
            & (path.str.len_bytes() > 1)
            & ~path.str.contains(r"[%#]|//", literal=False)
        )
        speaks = distinct.select(shapeable).to_series()  # tested once, used both ways
        matched, leftover = self._match_shapes(distinct.filter(speaks))
        rest = pl.concat([distinct.filter(~speaks), leftover])
        return pl.concat([matched, self._one_by_one(rest)])

    def _match_shapes(self, paths: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        segments = pl.col("path").str.strip_prefix("/").str.strip_suffix("/").str.split("/")
        framed = paths.with_columns(segments.alias("segments")).with_columns(
            pl.col("segments")
            .list.eval(
                pl.when(pl.element().is_in(self._literals.implode()))
                .then(pl.element())
                .otherwise(pl.lit(_BLANK))
            )
            .list.join("/")
            .alias("shape")
        )
        examples = framed.group_by("method", "shape").agg(pl.col("path").first())
        fresh = [
            (method, shape, example)
            for method, shape, example in examples.iter_rows()
            if (method, shape) not in self._shapes
        ]
        if fresh:
            if len(self._shapes) > _MEMO_LIMIT:  # junk paths of ever new depths: start afresh
                self._shapes.clear()
                self._table = self._table.clear()
            for method, shape, example in fresh:
                self._shapes[(method, shape)] = self._shape_result(method, example)
            rows = [
                (method, shape, *result)
                for method, shape, _ in fresh
                if (result := self._shapes[(method, shape)]) is not None
            ]
            self._table = pl.concat(
                [self._table, pl.DataFrame(rows, schema=self._shape_schema, orient="row")]
            )
        table = self._table
        joined = framed.join(table, on=["method", "shape"], how="left")
        leftover = joined.filter(pl.col("positions").is_null()).select("method", "path")
        known = joined.filter(pl.col("positions").is_not_null())
        if not self._values:
            return known.with_columns(pl.lit("").alias("params")).select(
                *self._result_schema
            ), leftover
        return self._with_params(known), leftover

    def _shape_result(self, method: str, example: str) -> _ShapeResult | None:
        result = self.router.match(method, example)
        if not isinstance(result, Match):
            return _ShapeResult(None, result.reason, [], [])
        skipped = len(template_segments(result.base_path))
        positions = [
            skipped + index
            for index, segment in enumerate(template_segments(result.path_template))
            if segment.startswith("{")
        ]
        if len(positions) != len(result.params):
            return None  # not one parameter per segment: leave this shape to the router
        self.base_paths[result.base_path] += 1
        return _ShapeResult(
            result.operation_id, None, [name for name, _ in result.params], positions
        )

    def _with_params(self, known: pl.DataFrame) -> pl.DataFrame:
        """Encoded, scrubbed path parameters (see `encode_params`) for rows with a shape result."""
        values = known.select(pl.col("segments").list.gather(pl.col("positions")).alias("values"))
        unusual = (
            values.get_column("values").explode().drop_nulls().unique().to_frame("value")
            .filter(~pl.col("value").str.contains(f"^{PLAIN_ID}$"))
            .get_column("value").to_list()
        )  # fmt: skip
        placeholders = [value for value in unusual if is_route_placeholder(value)]
        if placeholders and self.route_placeholder is None:
            self.route_placeholder = placeholders[0]
        # a placeholder is no value: null, so its pair leaves the encoded params
        scrubbed = [None if is_route_placeholder(v) else scrub_value(v) for v in unusual]
        most: int = known.select(pl.col("positions").list.len().max()).item() or 0
        pieces = []
        for index in range(most):
            value = pl.col("values").list.get(index, null_on_oob=True)
            if unusual:
                value = value.replace(unusual, scrubbed)
            name = pl.col("names").list.get(index, null_on_oob=True)
            pieces.append(pl.concat_str([name, pl.lit(PARAM_NAME_SEPARATOR), value]))
        params = (
            pl.concat_str(pieces, separator=PARAM_PAIR_SEPARATOR, ignore_nulls=True)
            if pieces
            else pl.lit("")
        )
        return (
            known.with_columns(values.get_column("values"))
            .with_columns(params.fill_null("").alias("params"))
            .select(*self._result_schema)
        )

    def _values_of(self, match: Match) -> list[tuple[str, str]]:
        """A match's scrubbed (name, value) pairs, without the placeholders of a logged route."""
        pairs = []
        for name, value in match.params:
            if is_route_placeholder(value):
                self.route_placeholder = self.route_placeholder or value
            else:
                pairs.append((name, scrub_value(value)))
        return pairs

    def _one_by_one(self, distinct: pl.DataFrame) -> pl.DataFrame:
        keys = list(
            zip(
                distinct.get_column("method").to_list(),
                distinct.get_column("path").to_list(),
                strict=True,
            )
        )
        known = self._known
        fresh = [key for key in keys if key not in known]
        for key, result in zip(fresh, self.router.match_many(fresh), strict=True):
            if isinstance(result, Match):
                self.base_paths[result.base_path] += 1
                params = encode_params(self._values_of(result)) if self._values else ""
                known[key] = (result.operation_id, params, None)
            else:
                known[key] = (None, "", result.reason)
        rows = [(*key, *known[key]) for key in keys]
        if len(known) > _MEMO_LIMIT:
            known.clear()  # memory must not grow with the log: start the memo afresh
        return pl.DataFrame(rows, schema=self._result_schema, orient="row")
