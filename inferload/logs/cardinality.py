"""How many distinct values a parameter took, in bounded memory: HyperLogLog sketches.

A data pool keeps the most requested values, up to 500. Whether that is most of production's
traffic or a sliver of a long tail decides how often the target's caches hit under test, so
the model reports the number of distinct values next to the pool. Counting them exactly would
keep every value of a log of any size; a sketch keeps 4,096 one-byte registers per parameter
(a standard error of 1.6%), filled from Polars' 64-bit hashes of the values, and the sketches
of two operations merge by taking the larger register (the union of what each saw).

Flajolet, Fusy, Gandouet, Meunier (2007), "HyperLogLog: the analysis of a near-optimal
cardinality estimation algorithm", with linear counting for small cardinalities as in
Heule, Nunkesser, Hall (2013).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Iterator
from typing import Generic, TypeVar

import numpy as np

PRECISION = 12  # 2**12 registers
REGISTERS = 1 << PRECISION
_LOW_BITS = (1 << (64 - PRECISION)) - 1
_ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)

K = TypeVar("K", bound=Hashable)


class Sketches(Generic[K]):
    """Per key (a parameter), the requests that carried it and a sketch of its values, as the
    rows of one array: a chunk goes in with two numpy calls, however many keys it touches
    (a Polars group-by per chunk cost ingest 10%, a Python step per key 3x)."""

    def __init__(self) -> None:
        self._rows: dict[K, int] = {}
        self._registers = np.zeros((0, REGISTERS), dtype=np.uint8)
        self._requests = np.zeros(0, dtype=np.int64)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[K]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def row(self, key: K) -> int:
        """The key's row, made (empty) on first use."""
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = len(self._rows)
            if row == len(self._requests):  # grown by doubling: keys are added rarely
                size = max(8, 2 * row)
                registers = np.zeros((size, REGISTERS), dtype=np.uint8)
                registers[:row] = self._registers
                requests = np.zeros(size, dtype=np.int64)
                requests[:row] = self._requests
                self._registers, self._requests = registers, requests
        return row

    def add(self, rows: np.ndarray, hashes: np.ndarray, counts: np.ndarray) -> None:
        """Values by their 64-bit hash (each with the requests that carried it) under the key
        of each one's row."""
        registers = (hashes >> np.uint64(64 - PRECISION)).astype(np.int64)
        low = hashes & np.uint64(_LOW_BITS)
        # rank: 1 + the leading zeros of the low bits, from their length (exact below 2**53)
        _, length = np.frexp(low.astype(np.float64))
        ranks = (64 - PRECISION + 1 - length).astype(np.uint8)
        np.maximum.at(self._registers.reshape(-1), rows * REGISTERS + registers, ranks)
        np.add.at(self._requests, rows, counts)

    def requests(self, keys: Iterable[K]) -> int:
        return int(sum(self._requests[self._rows[key]] for key in keys if key in self._rows))

    def estimate(self, keys: Iterable[K]) -> int | None:
        """Distinct values seen under any of `keys` (None: none of them was seen)."""
        rows = [self._rows[key] for key in keys if key in self._rows]
        if not rows:
            return None
        return _estimate(self._registers[rows].max(axis=0))


def _estimate(registers: np.ndarray) -> int:
    empty = int(np.count_nonzero(registers == 0))
    raw = _ALPHA * REGISTERS**2 / float(np.sum(np.ldexp(1.0, -registers.astype(np.int64))))
    if raw <= 2.5 * REGISTERS and empty:
        return round(REGISTERS * math.log(REGISTERS / empty))  # linear counting
    return round(raw)
