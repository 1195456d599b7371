"""Data pools as CSV files next to each script: the test data an engineer swaps for their own.

Each pool (the values a path or query parameter took in production, scrubbed, with their
weights) becomes `pools/NN-name.csv` with the columns `value,weight`. The k6 script reads them
into a SharedArray in init code; Artillery loads them as `config.payload` files (`loadAll`).
plan.json keeps only each pool's file, so the CSV is the one place its data lives.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

POOL_FOLDER = "pools"
POOL_FIELDS = ("value", "weight")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def pool_files(plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(plan with each pool's values replaced by its `file`, {relative path: CSV text})."""
    pools: dict[str, dict[str, str]] = {}
    files: dict[str, str] = {}
    for index, (name, pool) in enumerate(sorted(plan["pools"].items()), start=1):
        # the index keeps names unique once sanitised; the name is only there to read
        path = f"{POOL_FOLDER}/{index:02d}-{_UNSAFE.sub('_', name).strip('_')[:40] or 'pool'}.csv"
        pools[name] = {"file": path}
        files[path] = _csv(pool["values"], pool["weights"])
    return {**plan, "pools": pools}, files


def _csv(values: list[str], weights: list[float]) -> str:
    """RFC 4180: a value with a comma, quote or line break is quoted, quotes doubled."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(POOL_FIELDS)
    writer.writerows(zip(values, (f"{weight:.6g}" for weight in weights), strict=True))
    return text.getvalue()
