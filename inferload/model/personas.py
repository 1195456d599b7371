"""The behaviour mix: sessions clustered into personas by what they use.

1. Each session is a vector of the operations it touched (presence, weighted by inverse
   document frequency so that what everybody does, such as logging in, does not count), scaled
   to unit length.
2. k-means for k = 2..8 on a sample; k is the best silhouette score. Below
   `MIN_SILHOUETTE` the sessions do not separate and form one persona.
3. k-means readily splits one persona into its short and long sessions (a learner who only
   browses, a learner who studies). Clusters are therefore merged when their *characteristic
   operations* (used by at least half of a cluster's sessions, leaving out those used by most
   sessions overall) are alike: one inside the other, or a Jaccard similarity of at least 1/3.
   A cluster with no characteristic operation joins the cluster nearest to it.

A mixture of Markov chains would seem the natural model, but it cannot tell apart personas
that part ways after a shared first step: one chain branching there explains the sessions
equally well. What users *use* can. Fixed seeds make the result reproducible.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances, silhouette_score
from sklearn.preprocessing import normalize

from inferload.model.collect import SessionRecord

MAX_PERSONAS = 8
MIN_SILHOUETTE = 0.25
CHARACTERISTIC = 0.5  # share of a cluster's sessions an operation must appear in
UBIQUITOUS = 0.5  # share of all sessions above which an operation characterises nobody
SAME_VOCABULARY = 1 / 3  # Jaccard similarity of characteristic sets that makes one persona
_SAMPLE = 2000
_SEED = 7


@dataclass(frozen=True, slots=True)
class Clustering:
    labels: list[int]  # one per session, 0..k-1
    k: int
    silhouette: float | None
    merged_from: int  # k-means clusters before merging


def presence_vectors(
    sessions: list[SessionRecord], step_operations: dict[str, tuple[str, ...]]
) -> tuple[sparse.csr_matrix, list[str]]:
    """Sessions x operations, 1 where used: sparse, as a session touches few of many operations."""
    vocabulary = sorted({op for ops in step_operations.values() for op in ops})
    column = {op: i for i, op in enumerate(vocabulary)}
    rows: list[int] = []
    columns: list[int] = []
    for row, session in enumerate(sessions):
        used = {
            column[operation] for state in session.states for operation in step_operations[state]
        }
        rows.extend([row] * len(used))
        columns.extend(used)
    presence = sparse.csr_matrix(
        (np.ones(len(rows)), (rows, columns)), shape=(len(sessions), len(vocabulary))
    )
    return presence, vocabulary


def cluster_sessions(
    sessions: list[SessionRecord], step_operations: dict[str, tuple[str, ...]]
) -> Clustering:
    presence, _ = presence_vectors(sessions, step_operations)
    count = len(sessions)
    document_frequency = np.asarray(presence.mean(axis=0)).ravel()
    idf = np.log(1.0 / np.maximum(document_frequency, 1e-9))
    vectors = normalize(presence @ sparse.diags(idf))
    rng = np.random.default_rng(_SEED)
    # sparse rows (a session uses a few of many operations): k-means is ~10x faster on them
    sample = vectors[rng.choice(count, size=min(_SAMPLE, count), replace=False)]
    distinct = len(np.unique(sample.toarray(), axis=0))
    if count < 10 or distinct < 2:
        return Clustering([0] * count, 1, None, 1)
    best: tuple[float, KMeans] | None = None
    distances = pairwise_distances(sample)  # once, for the silhouette of every k
    for k in range(2, min(MAX_PERSONAS, distinct) + 1):
        model = KMeans(n_clusters=k, n_init=1, random_state=_SEED).fit(sample)
        score = float(silhouette_score(distances, model.labels_, metric="precomputed"))
        if best is None or score > best[0]:
            best = (score, model)
    if best is None or best[0] < MIN_SILHOUETTE:
        return Clustering([0] * count, 1, best[0] if best else None, 1)
    score, model = best
    raw = model.predict(vectors)
    groups = _merge_by_vocabulary(
        presence, raw, model.n_clusters, document_frequency, model.cluster_centers_
    )
    ordered = {
        g: i for i, g in enumerate(sorted(set(groups.values()), key=lambda g: -np.sum(raw == g)))
    }
    labels = [ordered[groups[int(label)]] for label in raw]
    return Clustering(labels, len(ordered), score, model.n_clusters)


def _merge_by_vocabulary(
    presence: np.ndarray,
    labels: np.ndarray,
    k: int,
    document_frequency: np.ndarray,
    centers: np.ndarray,
) -> dict[int, int]:
    """Union-find over clusters sharing a characteristic operation -> {cluster: group root}."""
    parent = list(range(k))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    characteristic: list[set[int]] = []
    for cluster in range(k):
        members = presence[np.flatnonzero(labels == cluster)]
        share = (
            np.asarray(members.mean(axis=0)).ravel()
            if members.shape[0]
            else np.zeros(presence.shape[1])
        )
        characteristic.append(
            {
                int(i)
                for i in np.flatnonzero(
                    (share >= CHARACTERISTIC) & (document_frequency < UBIQUITOUS)
                )
            }
        )
    for a in range(k):
        for b in range(a + 1, k):
            if _same_vocabulary(characteristic[a], characteristic[b]):
                parent[root(a)] = root(b)
    for cluster in range(k):
        if not characteristic[cluster]:
            others = [c for c in range(k) if characteristic[c]]
            if others:
                nearest = max(others, key=lambda c: float(centers[cluster] @ centers[c]))
                parent[root(cluster)] = root(nearest)
    return {cluster: root(cluster) for cluster in range(k)}


def _same_vocabulary(a: set[int], b: set[int]) -> bool:
    """One set inside the other (short and long sessions of one persona), or a Jaccard
    similarity of at least `SAME_VOCABULARY`."""
    if not a or not b:
        return False
    return a <= b or b <= a or len(a & b) / len(a | b) >= SAME_VOCABULARY


def persona_names(
    sessions: list[SessionRecord],
    step_operations: dict[str, tuple[str, ...]],
    labels: list[int],
    k: int,
) -> list[str]:
    """A readable name per persona from the operations that set it apart (share x lift)."""
    states_of: list[list[str]] = [[] for _ in range(k)]
    for label, session in zip(labels, sessions, strict=True):
        states_of[label].extend(session.states)
    per_cluster: list[Counter[str]] = []
    for states in states_of:
        counter: Counter[str] = Counter()
        for state, times in Counter(states).items():
            for operation in step_operations[state]:
                counter[operation] += times
        per_cluster.append(counter)
    overall: Counter[str] = sum(per_cluster, Counter())
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
    """`createEnrollment` -> `create enrollment`; an id made of method and template (logs
    without a spec, an operation without an id) stays as requests are written: `GET /a/{id}`."""
    if re.match(r"[A-Z]+ /", operation_id):
        return operation_id
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", operation_id).replace("_", " ")
    return spaced.lower()


def persona_id(index: int, name: str) -> str:
    """`p2-` and the name as a slug; of `GET /ksc.html` only the path (`p2-ksc-html`)."""
    paths = re.sub(r"\b[A-Z]+ (?=/)", "", name)
    slug = re.sub(r"[^a-z0-9]+", "-", paths.lower()).strip("-")[:40]
    return f"p{index + 1}-{slug}" if slug else f"p{index + 1}"


_NUMBERED = re.compile(r"p(\d+)(?=-|$)")  # the head `persona_id` writes: `p3-browse-courses`


def persona_number(identifier: str) -> int | None:
    """The number `persona_id` gave (`p3-browse-courses` -> 3), None for an id an engineer wrote."""
    found = _NUMBERED.match(identifier)
    return int(found.group(1)) if found else None


def renumbered(identifier: str, number: int) -> str:
    """`persona_id`'s id under another number (`p1-browse` -> `p4-browse`)."""
    return _NUMBERED.sub(f"p{number}", identifier, count=1)
