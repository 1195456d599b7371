"""The session sample behind personas and chains must be uniform over the whole log."""

from __future__ import annotations

from scipy.stats import chisquare

from inferload.logs.model import Session
from inferload.model.collect import SESSION_SAMPLE, Collected


def test_the_reservoir_keeps_a_uniform_sample_of_a_long_log() -> None:
    collected = Collected(burst_window_s=1.0)
    total = 6 * SESSION_SAMPLE
    for index in range(total):
        collected.add(Session("c", ("op",), (float(index),), (200,), (None,)))
    collected.finish()
    assert len(collected.intervals) == total
    starts = [record.start_s for record in collected.sessions]
    assert len(starts) == len(set(starts)) == SESSION_SAMPLE
    sixths = [0] * 6
    for start in starts:
        sixths[int(6 * start / total)] += 1
    # early and late sessions are kept alike (a biased reservoir fails this by far)
    assert chisquare(sixths).pvalue > 0.001, sixths
