"""What a persona's Markov chain implies: expected visits per state and per operation.

Absorbing-chain algebra: with Q the transitions between steps, N = (I - Q)^-1 gives the expected
number of visits to each step in a session started from $start. Visits give a spec-only model
its traffic mix and session length (what the scripts walking the chain will send), size the
samples behind each transition probability (drift tests) and describe a persona by what it does
(matching personas across refreshes).
"""

from __future__ import annotations

import bisect
import itertools
import random

import numpy as np

from inferload.model.workload import END, START, Persona

_MAX_STEPS = 200  # a session's steps at most, as the scripts stop one


def expected_visits(persona: Persona) -> dict[str, float]:
    """Expected visits per session to each step (state) of the persona's chain."""
    states = sorted(persona.steps)
    if not states:
        return {}
    index = {state: i for i, state in enumerate(states)}
    q = np.zeros((len(states), len(states)))
    for source, targets in persona.transitions.items():
        if source == START:
            continue
        for target, probability in targets.items():
            if target in index:
                q[index[source], index[target]] = probability
    start = np.zeros(len(states))
    for target, probability in persona.transitions.get(START, {}).items():
        if target in index:
            start[index[target]] = probability
    try:
        visits = np.linalg.solve((np.eye(len(states)) - q).T, start)
    except np.linalg.LinAlgError:
        visits = np.linalg.lstsq((np.eye(len(states)) - q).T, start, rcond=None)[0]
    return {state: max(float(visits[index[state]]), 0.0) for state in states}


def operation_profile(persona: Persona) -> dict[str, float]:
    """Expected calls per session to each operation (bursts count every operation they run)."""
    profile: dict[str, float] = {}
    for state, visits in expected_visits(persona).items():
        for operation in persona.steps[state]:
            profile[operation] = profile.get(operation, 0.0) + visits
    return profile


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    keys = sorted(a.keys() | b.keys())
    x = np.array([a.get(k, 0.0) for k in keys])
    y = np.array([b.get(k, 0.0) for k in keys])
    norm = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / norm if norm else 0.0


def expected_think_s(persona: Persona) -> float:
    """Mean seconds a session spends thinking, from its first request to its last: each
    transition between two steps, as often as the chain takes it, times its law's mean (a
    lognormal's: exp(mu + sigma^2 / 2)). What a session walking the chain lasts, response
    times aside."""
    visits = expected_visits(persona)
    laws = persona.think_times
    return sum(
        visits.get(source, 0.0)
        * probability
        * laws.get(f"{source}->{target}", persona.default_think).mean_s
        for source, targets in persona.transitions.items()
        if source != START
        for target, probability in targets.items()
        if target != END
    )


def think_quantile_s(persona: Persona, quantile: float, walks: int = 2000) -> float:
    """The `quantile` of a session's think seconds, from `walks` seeded walks of the chain
    (the same figure on every run): a sum of lognormals over a random number of steps has no
    closed form. A walk stops after `_MAX_STEPS`, as the scripts' sessions do."""
    rng = random.Random(0)
    edges = {
        source: (list(targets), list(itertools.accumulate(targets.values())))
        for source, targets in persona.transitions.items()
    }
    laws = {  # each edge's (mu, sigma) once, not per step of every walk
        (source, target): persona.think_times.get(f"{source}->{target}", persona.default_think).law
        for source, targets in persona.transitions.items()
        for target in targets
    }
    totals = []
    for _ in range(walks):
        state, total = START, 0.0
        for _ in range(_MAX_STEPS):
            targets, cumulative = edges.get(state, ([END], [1.0]))
            at = bisect.bisect_left(cumulative, rng.random() * cumulative[-1])
            target = targets[min(at, len(targets) - 1)]
            if target == END:
                break
            if state != START:
                total += rng.lognormvariate(*laws[state, target])
            state = target
        totals.append(total)
    totals.sort()
    return totals[min(int(quantile * len(totals)), len(totals) - 1)]
