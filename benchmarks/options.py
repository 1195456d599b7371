"""Command-line options the benchmarks share (each runs as a script from this folder)."""

from __future__ import annotations


def split_runs(arguments: list[str], default: int = 3) -> tuple[int, list[str]]:
    """`--runs N` taken out of `arguments`: (N, or `default`; the other arguments)."""
    if "--runs" not in arguments:
        return default, list(arguments)
    at = arguments.index("--runs")
    return int(arguments[at + 1]), arguments[:at] + arguments[at + 2 :]
