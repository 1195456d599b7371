"""How many distinct values a parameter took, in bounded memory: a HyperLogLog sketch.

A data pool keeps the hundred most requested values. Whether that is most of production's
traffic or a sliver of a long tail decides how often the target's caches hit under test, so
the model reports the number of distinct values next to the pool. Counting them exactly would
keep every value of a log of any size; a sketch keeps 4,096 one-byte registers per parameter
(a standard error of 1.6%), is filled a chunk at a time from Polars' 64-bit hashes, and two
sketches merge by taking the larger register (the union of what each saw).

Flajolet, Fusy, Gandouet, Meunier (2007), "HyperLogLog: the analysis of a near-optimal
cardinality estimation algorithm", with linear counting for small cardinalities as in
Heule, Nunkesser, Hall (2013).
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

PRECISION = 12  # 2**12 registers
REGISTERS = 1 << PRECISION
_LOW_BITS = (1 << (64 - PRECISION)) - 1
_ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)


def register_and_rank(hashes: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """A 64-bit hash -> its register (top bits) and rank (1 + leading zeros of the rest)."""
    register = (hashes // (1 << (64 - PRECISION))).cast(pl.UInt16)
    rank = ((hashes & _LOW_BITS).bitwise_leading_zeros() - (PRECISION - 1)).cast(pl.UInt8)
    return register, rank


class DistinctSketch:
    """Distinct values seen, estimated; `add` takes registers and ranks already maxed per
    register (a group-by in Polars does that for a whole chunk at once)."""

    __slots__ = ("registers",)

    def __init__(self) -> None:
        self.registers = np.zeros(REGISTERS, dtype=np.uint8)

    def add(self, registers: np.ndarray, ranks: np.ndarray) -> None:
        np.maximum.at(self.registers, registers, ranks)

    def merged(self, other: DistinctSketch) -> DistinctSketch:
        union = DistinctSketch()
        np.maximum(self.registers, other.registers, out=union.registers)
        return union

    def estimate(self) -> int:
        empty = int(np.count_nonzero(self.registers == 0))
        raw = _ALPHA * REGISTERS**2 / float(np.sum(np.ldexp(1.0, -self.registers.astype(int))))
        if raw <= 2.5 * REGISTERS and empty:
            return round(REGISTERS * math.log(REGISTERS / empty))  # linear counting
        return round(raw)
