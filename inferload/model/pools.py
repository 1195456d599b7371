"""Data pools from the ingest's per-operation value counts: what the scripts replay for each
path and query parameter, the most requested values first, and how much of production those
values stand for (requests, distinct values, coverage)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from itertools import accumulate
from urllib.parse import parse_qsl

from inferload.logs.aggregates import (
    JOINT,
    QUERY_NAME,
    VALUES_KEPT,
    OperationAggregates,
    ParameterKey,
)
from inferload.logs.model import decode_params
from inferload.logs.scrub import SCRUBBED_VALUES
from inferload.model.workload import DataPool, PoolValue, Provenance

# A pool keeps the most requested values until they cover POOL_COVERAGE of the requests that
# carried the parameter, at least POOL_MIN of them (when there are so many) and at most POOL_MAX
# (what the ingest counts per operation): a catalogue of 300 courses is replayed nearly whole,
# where a fixed hundred left a quarter of production's requests to ids the test never asks for.
POOL_MIN, POOL_MAX = 100, VALUES_KEPT
POOL_COVERAGE = 0.95
SAFE_QUERY_VALUE = 32  # longer query values are not replayed
# Query values scrubbed as personal data: an email or address under any name, or any value of
# a name that holds personal data. Other sensitive names' values (`token=<redacted>`) are mostly
# credentials, which the scripts take from the environment: no pool says anything of them.
PERSONAL_QUERY_VALUES = frozenset({"<email>", "<ip>"})
PERSONAL_QUERY_NAME = re.compile(r"(?i)e-?mail|phone|ssn|card|iban")


def data_pools(aggregates: OperationAggregates) -> dict[str, DataPool]:
    """Path and query values by parameter name (merged over the operations using the name)."""
    Key = tuple[str, str]  # (location, parameter name)
    values: dict[Key, Counter[str]] = defaultdict(Counter)
    carried: dict[Key, set[str]] = defaultdict(set)  # operations whose values can be replayed
    withheld: dict[Key, set[str]] = defaultdict(set)  # operations whose values were personal
    rows: dict[str, Counter[tuple[tuple[str, str], ...]]] = defaultdict(Counter)
    for operation, counter in aggregates.params.items():
        for encoded, count in counter.items():
            params = decode_params(encoded)
            personal = False
            for name, value in params:
                key = ("path", name)
                # a scrubbed value (`<email>`) is no value a request can use again: left out
                if value in SCRUBBED_VALUES:
                    withheld[key].add(operation)
                    personal = True
                else:
                    values[key][value] += count
                    carried[key].add(operation)
            if len(params) > 1 and not personal:
                rows[operation][params] += count
    for operation, counter in aggregates.queries.items():
        for query, count in counter.items():
            named = "&".join(part for part in query.split("&") if "=" in part)
            for name, value in parse_qsl(named, keep_blank_values=True):
                if not QUERY_NAME.match(name):
                    continue
                if len(value) <= SAFE_QUERY_VALUE and "<" not in value:
                    values[("query", name)][value] += count
                    carried[("query", name)].add(operation)
                elif value in PERSONAL_QUERY_VALUES or PERSONAL_QUERY_NAME.search(name):
                    withheld[("query", name)].add(operation)
    pools: dict[str, DataPool] = {}
    for key in sorted(carried.keys() | withheld.keys()):
        location, name = key
        # a parameter whose every value was personal gets a pool of none, which says so
        operations = sorted(carried.get(key) or withheld[key])
        sketched = [
            aggregates.path_key(op, name) if location == "path" else (op, location, name)
            for op in operations
        ]
        pools[name if location == "path" else f"query.{name}"] = _pool(
            name, [], location, operations, values[key], aggregates, sketched
        )
    for operation, row_counts in sorted(rows.items()):
        names = [name for name, _ in next(iter(row_counts))]  # the template's, in every row
        joint = Counter({tuple(v for _, v in row): c for row, c in row_counts.items()})
        sketched = [(operation, "path", JOINT)]
        pools[operation] = _pool(
            ",".join(names), names, "path", [operation], joint, aggregates, sketched
        )
    return pools


def _pool(
    parameter: str,
    parameters: list[str],
    location: str,
    operations: list[str],
    counter: Counter[str] | Counter[tuple[str, ...]],
    aggregates: OperationAggregates,
    sketched: list[ParameterKey],
) -> DataPool:
    """The most requested values (see `POOL_COVERAGE`; a joint pool's rows: the combinations
    production requested, so a user's own order is asked for, not one user's id with another
    user's order, a 404 against a real backend), and how much of production they stand for."""
    requests = aggregates.parameters.requests(sketched)
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[:POOL_MAX]
    enough = POOL_COVERAGE * (requests or sum(counter.values()))
    totals = list(accumulate(count for _, count in ranked))
    size = next(
        (n for n, total in enumerate(totals, start=1) if n >= POOL_MIN and total >= enough),
        len(ranked),
    )
    top, kept = ranked[:size], (totals[size - 1] if size else 0)
    distinct = aggregates.parameters.estimate(sketched) or 0  # never below the values counted
    return DataPool(
        parameter=parameter,
        parameters=parameters,
        location=location,  # type: ignore[arg-type]
        operations=operations,
        values=[
            PoolValue(value=list(value) if parameters else value, weight=c / kept)  # type: ignore[arg-type]
            for value, c in top
        ],
        provenance=Provenance.LOGS,
        requests=requests or None,
        # none when every value was scrubbed: the sketch saw one `<email>`, not the emails
        distinct_values=max(distinct, len(counter)) if requests and counter else None,
        coverage=min(1.0, kept / requests) if requests else None,
    )
