"""Data pools become CSV files: safe names inside pools/, values that read back exactly."""

from __future__ import annotations

import csv
import io
import re

import pytest

from inferload.emit.pools import pool_files

HOSTILE = {
    "../../etc/passwd": ["a,b", 'say "hi"', "line\nbreak"],
    "": ["x"],
    "名前": ["ünï", "=1+2"],
    "query.page": ["1", "2"],
    "query/page": ["3"],
}


def plan_with(pools: dict[str, list[str]]) -> dict[str, object]:
    return {
        "other": "kept",
        "pools": {
            name: {"values": values, "weights": [1 / len(values)] * len(values)}
            for name, values in pools.items()
        },
    }


def test_pool_files_are_safe_unique_names_under_pools() -> None:
    plan, files = pool_files(plan_with(HOSTILE))
    assert plan["other"] == "kept"
    paths = [pool["file"] for pool in plan["pools"].values()]
    assert sorted(paths) == sorted(files)
    assert len(set(paths)) == len(HOSTILE)  # "query.page" and "query/page" do not collide
    assert all(re.fullmatch(r"pools/\d\d-[A-Za-z0-9_-]+\.csv", path) for path in paths), paths
    assert all(set(pool) == {"file"} for pool in plan["pools"].values())  # the CSV holds the data


def test_pool_values_read_back_exactly_with_their_weights() -> None:
    plan, files = pool_files(plan_with(HOSTILE))
    for name, values in HOSTILE.items():
        rows = list(csv.reader(io.StringIO(files[plan["pools"][name]["file"]])))
        assert rows[0] == ["value", "weight"]
        assert [row[0] for row in rows[1:]] == values
        assert sum(float(row[1]) for row in rows[1:]) == pytest.approx(1, abs=1e-5)
