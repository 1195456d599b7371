"""Catalog load time and URL-matcher throughput on Stripe's spec (4 MB, 468 operations).

Targets (issue: Foundation): cold load <= 3 s, cached load well under 1 s,
matcher >= 500,000 lookups/s on a realistic mix of URLs.

    .venv/bin/python benchmarks/bench_spec.py
"""

from __future__ import annotations

import random
import re
import string
import tempfile
import time
from pathlib import Path

from inferload.spec import Router, build_catalog, load_catalog
from inferload.spec.model import Catalog

STRIPE = Path(__file__).resolve().parent.parent / "fixtures" / "specs" / "stripe" / "spec3.yaml"
PARAM = re.compile(r"\{([^{}]+)\}")


def timed(action, repeat: int = 3) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - start)
    return best


def realistic_urls(catalog: Catalog, count: int, seed: int = 7) -> list[tuple[str, str]]:
    """Zipf-skewed operations and ids (hot endpoints, hot keys), list queries, 3% noise."""
    rng = random.Random(seed)
    operations = list(catalog.operations)
    rng.shuffle(operations)
    op_weights = [1 / (rank + 1) ** 1.1 for rank in range(len(operations))]
    id_pool = [
        "".join(rng.choices(string.ascii_letters + string.digits, k=14)) for _ in range(5000)
    ]
    id_weights = [1 / (rank + 1) for rank in range(len(id_pool))]
    noise = ["/favicon.ico", "/static/app.js", "/healthz", "/v1/unknown/thing", "/robots.txt"]
    requests: list[tuple[str, str]] = []
    chosen_ops = rng.choices(operations, weights=op_weights, k=count)
    chosen_ids = rng.choices(id_pool, weights=id_weights, k=count * 2)
    for index, op in enumerate(chosen_ops):
        if rng.random() < 0.03:
            requests.append(("GET", rng.choice(noise)))
            continue
        ids = iter(chosen_ids[index * 2 : index * 2 + 2] + id_pool[:4])
        path = PARAM.sub(lambda _m, ids=ids: "obj_" + next(ids), op.path)
        if op.method == "GET" and rng.random() < 0.5:
            path += f"?limit={rng.choice((10, 25, 100))}&starting_after=obj_{rng.choice(id_pool)}"
        requests.append((op.method, path))
    return requests


def main() -> None:
    cold = timed(lambda: build_catalog(STRIPE), repeat=2)
    with tempfile.TemporaryDirectory() as cache:
        cache_dir = Path(cache)
        start = time.perf_counter()
        load_catalog(STRIPE, cache_dir=cache_dir)
        first = time.perf_counter() - start
        cached = timed(lambda: load_catalog(STRIPE, cache_dir=cache_dir))
    print(f"stripe catalog, cold build:            {cold:6.2f} s   (target <= 3 s)")
    print(f"stripe catalog, first load + caching:  {first:6.2f} s")
    print(f"stripe catalog, cached load:           {cached:6.2f} s   (target well under 1 s)")

    catalog = build_catalog(STRIPE)
    requests = realistic_urls(catalog, 1_000_000)
    distinct = len(set((m, u.partition("?")[0]) for m, u in requests))

    def one_by_one() -> None:
        match = Router(catalog).match
        for method, url in requests:
            match(method, url)

    def in_bulk() -> list[object]:
        return Router(catalog).match_many(requests)

    results = in_bulk()
    matched = sum(1 for r in results if hasattr(r, "operation_id")) / len(requests)
    print(
        f"matcher mix: {len(requests):,} requests, {distinct:,} distinct paths "
        f"({distinct / len(requests):.0%}; real log samples in fixtures show 8-14%), {matched:.1%} matched"
    )
    for label, action in (("match_many (bulk)", in_bulk), ("match() one by one", one_by_one)):
        elapsed = timed(action, repeat=3)
        print(
            f"matcher, {label:20s} {len(requests) / elapsed:>12,.0f} lookups/s"
            f"   (target >= 500,000/s, cold cache included)"
        )
    uncached = requests[:50_000]

    def run_uncached() -> None:
        router = Router(catalog)
        for method, url in uncached:
            router._match_uncached(method, url.partition("?")[0])

    cold_elapsed = timed(run_uncached, repeat=2)
    print(f"matcher, no cache (every path new): {len(uncached) / cold_elapsed:>10,.0f} lookups/s")


if __name__ == "__main__":
    main()
