"""Data pools as CSV files next to each script: the test data an engineer swaps for their own.

Each pool (the values a path or query parameter took in production, scrubbed, with their
weights) becomes `pools/NN-name.csv` with the columns `value,weight`; a joint pool (the
combinations of one operation's path parameters) has a column per parameter, then `weight`. The k6 script reads them
into a SharedArray in init code; Artillery loads them as `config.payload` files (`loadAll`).
plan.json keeps only each pool's file, so the CSV is the one place its data lives.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

POOL_FOLDER = "pools"
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def pool_paths(plan: dict[str, Any]) -> dict[str, str]:
    """Each pool's CSV file, relative to the script: the index keeps names unique once
    sanitised; the name is only there to read."""
    return {
        name: f"{POOL_FOLDER}/{index:02d}-{_UNSAFE.sub('_', name).strip('_')[:40] or 'pool'}.csv"
        for index, name in enumerate(sorted(plan["pools"]), start=1)
    }


def pool_files(plan: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(plan with each pool's values replaced by its `file` and its number of `columns`
    before the weight, {relative path: CSV text})."""
    pools: dict[str, dict[str, Any]] = {}
    files: dict[str, str] = {}
    for name, path in pool_paths(plan).items():
        pool = plan["pools"][name]
        pools[name] = {"file": path, "columns": len(pool["columns"])}
        files[path] = _csv(pool["columns"], pool["values"], pool["weights"])
    return {**plan, "pools": pools}, files


def _csv(columns: list[str], values: list[Any], weights: list[float]) -> str:
    """RFC 4180: a value with a comma, quote or line break is quoted, quotes doubled."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow([*columns, "weight"])
    for value, weight in zip(values, weights, strict=True):
        writer.writerow([*(value if isinstance(value, list) else [value]), f"{weight:.6g}"])
    return text.getvalue()
