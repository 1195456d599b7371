"""Persona identity across refreshes: new clusters take the ids and names of the old personas
they resemble, so a refreshed workload.yaml diffs as what changed, not as renamed everything.

Resemblance is the cosine of expected calls per operation per session; the assignment is the
one that maximises total resemblance (Hungarian method), and a pair below 0.5 is not a match:
the new cluster is a new persona, the old one is gone.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from inferload.model.chains import cosine, operation_profile
from inferload.model.workload import Persona

MIN_RESEMBLANCE = 0.5


def match_personas(old: list[Persona], new: list[Persona]) -> dict[int, int]:
    """new index -> old index, for the pairs that are the same persona."""
    if not old or not new:
        return {}
    old_profiles = [operation_profile(p) for p in old]
    new_profiles = [operation_profile(p) for p in new]
    similarity = np.array([[cosine(n, o) for o in old_profiles] for n in new_profiles])
    rows, columns = linear_sum_assignment(-similarity)
    return {
        int(r): int(c)
        for r, c in zip(rows, columns, strict=True)
        if similarity[r, c] >= MIN_RESEMBLANCE
    }
