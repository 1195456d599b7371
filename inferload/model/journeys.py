"""A persona's journey graph: a Markov chain over steps, its think times and its guards.

Transition probabilities are the observed counts normalised per source state. An edge is
dropped only when it is both rare in share (< `EDGE_FLOOR`) and in count (< `EDGE_MIN_COUNT`):
rare-but-real paths stay. Guards are mined rules that hold in every session that could have
broken them: "X only after Y" (`requires`) and "nothing follows X" (`ends_session`); emitters
enforce them so replayed journeys never do impossible things.
"""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

import networkx as nx

from inferload.model.collect import SessionRecord
from inferload.model.thinktime import MIN_SAMPLES, fit_think_time
from inferload.model.workload import END, START, Guard, Journey, ThinkTime

EDGE_FLOOR = 0.01
EDGE_MIN_COUNT = 5
GUARD_MIN_SUPPORT = 20
GUARD_CONFIDENCE = 0.99  # a rule must hold in this share of the sessions that could break it
TOP_JOURNEYS = 5


def transition_counts(sessions: list[SessionRecord]) -> Counter[tuple[str, str]]:
    # one Counter over all pairs: Counter.update per session pays an ABC isinstance each time
    return Counter(
        itertools.chain.from_iterable(
            zip([START, *session.states], [*session.states, END], strict=True)
            for session in sessions
        )
    )


def transition_probabilities(counts: Counter[tuple[str, str]]) -> dict[str, dict[str, float]]:
    by_source: dict[str, Counter[str]] = defaultdict(Counter)
    for (source, target), count in counts.items():
        by_source[source][target] += count
    chain: dict[str, dict[str, float]] = {}
    for source, targets in by_source.items():
        total = sum(targets.values())
        kept = {
            t: c for t, c in targets.items() if c / total >= EDGE_FLOOR or c >= EDGE_MIN_COUNT
        } or dict(targets)
        kept_total = sum(kept.values())
        chain[source] = {t: c / kept_total for t, c in sorted(kept.items())}
    return chain


def think_times(sessions: list[SessionRecord]) -> tuple[dict[str, ThinkTime], ThinkTime]:
    per_edge: dict[tuple[str, str], list[float]] = defaultdict(list)
    for session in sessions:
        states = session.states
        for index, gap in enumerate(session.gaps_s):
            per_edge[(states[index], states[index + 1])].append(gap)
    everything = list(itertools.chain.from_iterable(session.gaps_s for session in sessions))
    overall = fit_think_time(everything) if everything else fit_think_time([1.0])
    fitted = {
        f"{a}->{b}": fit_think_time(gaps)
        for (a, b), gaps in per_edge.items()
        if len(gaps) >= MIN_SAMPLES
    }
    return dict(sorted(fitted.items())), overall


def mine_guards(sessions: list[SessionRecord]) -> list[Guard]:
    """`requires`: some step Y precedes the first X in (nearly: `GUARD_CONFIDENCE`) every
    session with X, seen in at least GUARD_MIN_SUPPORT sessions. `ends_session`: X is (nearly)
    always the last step when it occurs. Real logs carry a little noise (two visits from one
    address merged into one session), hence "nearly"; emitters then apply the rule strictly.

    Candidates for "X requires Y" come from the first sessions with X (a Y missing from more
    than a few of those cannot hold in 99% of all), so the count stays linear in the data.
    """
    firsts: list[dict[str, int]] = []
    with_state: dict[str, list[int]] = defaultdict(list)
    last: Counter[str] = Counter()
    for index, session in enumerate(sessions):
        first: dict[str, int] = {}
        for position, state in enumerate(session.states):
            first.setdefault(state, position)
        firsts.append(first)
        for state in first:
            with_state[state].append(index)
        if session.states:
            last[session.states[-1]] += 1
    occurrences = Counter(itertools.chain.from_iterable(session.states for session in sessions))
    guards: list[Guard] = []
    for state in sorted(with_state):
        holders = with_state[state]
        total = len(holders)
        if total < GUARD_MIN_SUPPORT:
            continue
        probe: Counter[str] = Counter()
        for index in holders[:100]:
            at = firsts[index][state]
            probe.update(y for y, position in firsts[index].items() if position < at)
        candidates = sorted(y for y, c in probe.items() if c >= 0.95 * min(total, 100))
        for earlier in candidates:
            count = sum(1 for i in holders if firsts[i].get(earlier, 1 << 30) < firsts[i][state])
            if count >= GUARD_CONFIDENCE * total:
                guards.append(
                    Guard(kind="requires", operation=state, requires=earlier, support=count)
                )
        if last[state] >= GUARD_CONFIDENCE * occurrences[state]:
            guards.append(Guard(kind="ends_session", operation=state, support=occurrences[state]))
    return _minimal_requires(guards)


def _minimal_requires(guards: list[Guard]) -> list[Guard]:
    """Keep `X requires Y` only for the Y nearest the start chain: if X requires Y and Z, and Y
    requires Z, the rule on Z is implied."""
    requires: dict[str, set[str]] = defaultdict(set)
    for guard in guards:
        if guard.kind == "requires" and guard.requires:
            requires[guard.operation].add(guard.requires)
    kept = []
    for guard in guards:
        if guard.kind == "requires" and guard.requires:
            implied = any(
                guard.requires in requires[other]
                for other in requires[guard.operation]
                if other != guard.requires
            )
            if implied:
                continue
        kept.append(guard)
    return kept


def journey_graph(chain: dict[str, dict[str, float]]) -> nx.DiGraph:
    graph = nx.DiGraph()
    for source, targets in chain.items():
        for target, probability in targets.items():
            graph.add_edge(source, target, probability=probability)
    return graph


def top_journeys(
    chain: dict[str, dict[str, float]], limit: int = TOP_JOURNEYS, max_steps: int = 12
) -> list[Journey]:
    """The most probable complete journeys ($start .. $end), by beam search over the chain."""
    beam: list[tuple[float, list[str]]] = [(1.0, [START])]
    complete: list[tuple[float, list[str]]] = []
    for _ in range(max_steps + 1):
        extended: list[tuple[float, list[str]]] = []
        for probability, path in beam:
            likeliest = sorted(chain.get(path[-1], {}).items(), key=lambda kv: -kv[1])[: limit * 2]
            for target, p in likeliest:
                candidate = (probability * p, [*path, target])
                (complete if target == END else extended).append(candidate)
        beam = sorted(extended, key=lambda item: -item[0])[: limit * 4]
        if not beam:
            break
    best = sorted(complete, key=lambda item: (-item[0], item[1]))[:limit]
    return [Journey(steps=path[1:-1], probability=probability) for probability, path in best]


def typical_journey(chain: dict[str, dict[str, float]], steps: int) -> list[str] | None:
    """The likeliest complete journey of exactly `steps` steps (None when there is none). The
    likeliest journeys overall are the shortest, since each step multiplies the odds by less
    than one: a chain whose sessions take nine steps lists two-step ones first. This one shows
    what a session of the mean length does (best path per state and length: a Viterbi pass)."""
    best: dict[str, tuple[float, list[str]]] = {START: (1.0, [])}
    for _ in range(steps):
        reached: dict[str, tuple[float, list[str]]] = {}
        for state in sorted(best):
            probability, path = best[state]
            for target, p in chain.get(state, {}).items():
                if target == END:
                    continue
                candidate = (probability * p, [*path, target])
                if target not in reached or candidate[0] > reached[target][0]:
                    reached[target] = candidate
        best = reached
    ending = [
        (probability * chain.get(state, {}).get(END, 0.0), path)
        for state, (probability, path) in sorted(best.items())
    ]
    ending = [entry for entry in ending if entry[0] > 0]
    return max(ending, key=lambda entry: entry[0])[1] if ending else None


def is_well_formed(chain: dict[str, dict[str, float]]) -> bool:
    """Every state is reachable from $start and can reach $end."""
    graph = journey_graph(chain)
    if START not in graph or END not in graph:
        return False
    reachable = nx.descendants(graph, START) | {START}
    finishing = nx.ancestors(graph, END) | {END}
    nodes = set(graph.nodes)
    return bool(nodes <= reachable and nodes <= finishing)


__all__ = ["MIN_SAMPLES", "journey_graph", "top_journeys", "typical_journey"]
