"""The behaviour mix: sessions clustered into personas by a mixture of Markov chains.

A persona *is* a Markov chain over steps (that is also how the emitters replay it), so sessions
are clustered by which chain explains them best: EM over a mixture of K chains, each session a
sparse vector of its transition counts. K runs from 1 to 8 and the one with the lowest BIC wins
(log-likelihood penalised by the free transition probabilities and K - 1 weights, times ln N).
k-means-style clustering of operation frequencies over-splits long and short sessions of the
same users; the chain mixture does not. Fixed seeds make the result reproducible.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import logsumexp
from sklearn.cluster import KMeans
from sklearn.preprocessing import normalize

from inferload.model.collect import SessionRecord
from inferload.model.workload import END, START

MAX_PERSONAS = 8
_SMOOTHING = 1e-3  # pseudo-count per observed transition cell
_ITERATIONS = 200
_SEED = 7
_SAMPLE = 5000  # sessions the mixture is fitted on; all are then assigned


@dataclass(frozen=True, slots=True)
class Clustering:
    labels: list[int]  # one per session
    k: int
    weights: list[float]
    bic: list[float]  # by k, from 1


def transition_matrix(sessions: list[SessionRecord]) -> tuple[sparse.csr_matrix, list[str]]:
    states = sorted({state for s in sessions for state in s.states})
    names = [START, *states, END]
    index = {name: i for i, name in enumerate(names)}
    size = len(names)
    rows: list[int] = []
    columns: list[int] = []
    for row, session in enumerate(sessions):
        path = [index[START], *(index[s] for s in session.states), index[END]]
        for a, b in zip(path, path[1:], strict=False):
            rows.append(row)
            columns.append(a * size + b)
    counts = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(sessions), size * size)
    )
    counts.sum_duplicates()
    return counts, names


def cluster_sessions(sessions: list[SessionRecord]) -> Clustering:
    """Fit the mixture on a sample (bounded cost), then give every session its likeliest chain."""
    counts, names = transition_matrix(sessions)
    size = len(names)
    observed = np.asarray(counts.sum(axis=0)).ravel() > 0
    sources_used = len({cell // size for cell in np.flatnonzero(observed)})
    free_per_chain = int(observed.sum()) - sources_used
    rng = np.random.default_rng(_SEED)
    sample = counts[rng.choice(counts.shape[0], size=min(_SAMPLE, counts.shape[0]), replace=False)]
    sample_size = sample.shape[0]
    best: tuple[float, int, np.ndarray] | None = None
    bics: list[float] = []
    previous: np.ndarray | None = None
    for k in range(1, min(MAX_PERSONAS, sample_size) + 1):
        log_likelihood, responsibilities = _fit(sample, k, observed, size, previous)
        previous = responsibilities
        bic = -2 * log_likelihood + (k * free_per_chain + k - 1) * math.log(sample_size)
        bics.append(bic)
        if best is None or bic < best[0]:
            best = (bic, k, responsibilities)
        elif k > best[1] + 1:
            break  # two larger k in a row did worse: the curve has turned
    assert best is not None
    _, k, responsibilities = best
    log_chains = _log_chains(sample, responsibilities, observed, size)
    joint = counts @ log_chains.T + np.log(responsibilities.mean(axis=0) + 1e-300)
    labels = np.asarray(joint).argmax(axis=1)
    shares = np.bincount(labels, minlength=k) / len(labels)
    return Clustering([int(x) for x in labels], k, [float(w) for w in shares], bics)


def _fit(
    counts: sparse.csr_matrix,
    k: int,
    observed: np.ndarray,
    size: int,
    previous: np.ndarray | None,
) -> tuple[float, np.ndarray]:
    """EM from several starts, keeping the likeliest: the k - 1 solution with one of its
    personas split in two by k-means (each in turn: this finds small, distinct personas that a
    global start misses), and k-means over all sessions."""
    starts: list[np.ndarray] = []
    n = counts.shape[0]
    if k == 1:
        starts.append(np.ones((n, 1)))
    else:
        vectors = normalize(counts)
        if previous is not None:
            hard = previous.argmax(axis=1)
            for component in range(previous.shape[1]):
                members = np.flatnonzero(hard == component)
                if len(members) < 4:
                    continue
                halves = KMeans(n_clusters=2, n_init=2, random_state=_SEED).fit_predict(
                    vectors[members]
                )
                labels = hard.copy()
                labels[members[halves == 1]] = k - 1
                starts.append(_soft(labels, k))
        starts.append(
            _soft(KMeans(n_clusters=k, n_init=1, random_state=_SEED).fit_predict(vectors), k)
        )
    best: tuple[float, np.ndarray] | None = None
    for responsibilities in starts:
        log_likelihood, responsibilities = _em(counts, responsibilities, observed, size)
        if best is None or log_likelihood > best[0]:
            best = (log_likelihood, responsibilities)
    assert best is not None
    return best


def _soft(labels: np.ndarray, k: int) -> np.ndarray:
    responsibilities = np.full((len(labels), k), 0.1 / (k - 1))
    responsibilities[np.arange(len(labels)), labels] = 0.9
    return responsibilities


def _em(
    counts: sparse.csr_matrix, responsibilities: np.ndarray, observed: np.ndarray, size: int
) -> tuple[float, np.ndarray]:
    previous = -np.inf
    log_likelihood = previous
    for _ in range(_ITERATIONS):
        log_chains = _log_chains(counts, responsibilities, observed, size)
        weights = responsibilities.mean(axis=0)
        joint = counts @ log_chains.T + np.log(weights + 1e-300)
        totals = logsumexp(joint, axis=1, keepdims=True)
        responsibilities = np.exp(joint - totals)
        log_likelihood = float(totals.sum())
        if log_likelihood - previous < 1e-7 * abs(log_likelihood):
            break
        previous = log_likelihood
    return log_likelihood, responsibilities


def _log_chains(
    counts: sparse.csr_matrix, responsibilities: np.ndarray, observed: np.ndarray, size: int
) -> np.ndarray:
    """M step: each chain's transition log-probabilities from responsibility-weighted counts.
    Only cells seen somewhere in the data get smoothing; the rest stay impossible (-inf would
    break the algebra, so a very low log-probability)."""
    weighted = np.asarray((counts.T @ responsibilities).T)  # k x size*size
    weighted = np.where(observed, weighted + _SMOOTHING, 0.0).reshape(
        len(responsibilities[0]), size, size
    )
    totals = weighted.sum(axis=2, keepdims=True)
    probabilities = np.divide(weighted, totals, out=np.zeros_like(weighted), where=totals > 0)
    with np.errstate(divide="ignore"):
        logs = np.log(probabilities)
    return np.maximum(logs, -50.0).reshape(len(responsibilities[0]), size * size)


def persona_names(
    sessions: list[SessionRecord],
    step_operations: dict[str, tuple[str, ...]],
    labels: list[int],
    k: int,
) -> list[str]:
    """A readable name per persona from the operations that set it apart (share x lift)."""
    per_cluster: list[Counter[str]] = [Counter() for _ in range(k)]
    overall: Counter[str] = Counter()
    for label, session in zip(labels, sessions, strict=True):
        for state in session.states:
            for operation in step_operations[state]:
                per_cluster[label][operation] += 1
                overall[operation] += 1
    grand_total = sum(overall.values())
    names: list[str] = []
    for counter in per_cluster:
        total = sum(counter.values()) or 1
        ranked = sorted(
            counter,
            key=lambda op: (
                -(counter[op] / total)
                * math.log(1 + (counter[op] / total) / (overall[op] / grand_total)),
                op,
            ),
        )
        names.append(", ".join(_words(op) for op in ranked[:2]) or "visitor")
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return unique


def _words(operation_id: str) -> str:
    """`createEnrollment` -> `create enrollment`; `GET /a/{id}` -> `get /a/{id}`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", operation_id).replace("_", " ")
    return spaced.lower()


def persona_id(index: int, name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40]
    return f"p{index + 1}-{slug}" if slug else f"p{index + 1}"
