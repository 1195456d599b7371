"""Merge a workload re-inferred from a new sample with the one the team keeps in git.

What the team set by hand survives: personas marked `pinned: true` stay exactly as they are
(weight included; the others share what is left), and any value whose provenance is `user`
(load levels, data pools, correlations) is kept. Everything else is the new sample's. Personas
keep their ids and names across refreshes (refresh/identity.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from inferload.model.personas import persona_number, renumbered
from inferload.model.workload import Load, Measured, Persona, Provenance, Workload
from inferload.refresh.identity import match_personas


@dataclass(frozen=True, slots=True)
class Refreshed:
    workload: Workload
    notes: tuple[str, ...]


def merge_refresh(old: Workload, fresh: Workload) -> Refreshed:
    notes: list[str] = []
    matches = match_personas(old.personas, fresh.personas)
    taken = {old.personas[j].id for j in matches.values()}
    # A new persona keeps its number unless an old persona has it (kept, or no longer seen):
    # then it takes the first number nobody has, so no two personas read "p1-...".
    old_numbers = {number for p in old.personas if (number := persona_number(p.id))}
    reserved = old_numbers | {
        number
        for index, p in enumerate(fresh.personas)
        if index not in matches and (number := persona_number(p.id))
    }
    personas: list[Persona] = []
    for index, persona in enumerate(fresh.personas):
        if index in matches:
            previous = old.personas[matches[index]]
            if previous.pinned:
                personas.append(previous)
                notes.append(f"persona {previous.id} kept as pinned")
            else:
                personas.append(
                    persona.model_copy(update={"id": previous.id, "name": previous.name})
                )
        else:
            identifier = persona.id
            if persona_number(identifier) in old_numbers:
                number = next(n for n in itertools.count(1) if n not in reserved)
                reserved.add(number)
                identifier = renumbered(identifier, number)
            personas.append(
                persona.model_copy(
                    update={"id": _unused(identifier, taken | {p.id for p in personas})}
                )
            )
            notes.append(f"new persona {personas[-1].id} ({persona.weight:.1%} of sessions)")
    for persona in old.personas:
        if persona.id not in {p.id for p in personas}:
            if persona.pinned:
                personas.append(persona)
                notes.append(f"persona {persona.id} kept as pinned (not seen in the new sample)")
            else:
                notes.append(f"persona {persona.id} no longer seen")
    personas = _reweighted(personas)
    operations = dict(fresh.operations)
    for persona in personas:
        for step in persona.steps.values():
            for operation in step:
                if operation not in operations and operation in old.operations:
                    operations[operation] = old.operations[operation]
    for operation_id, before in old.operations.items():
        # how often its query parameters are sent, set by hand: the rest is the new sample's
        if before.provenance == Provenance.USER and operation_id in operations:
            operations[operation_id] = operations[operation_id].model_copy(
                update={"query_shares": before.query_shares, "provenance": Provenance.USER}
            )
            notes.append(f"operation {operation_id}: query_shares kept (provenance: user)")
    data_pools = dict(fresh.data_pools)
    for name, pool in old.data_pools.items():
        if pool.provenance == Provenance.USER:
            data_pools[name] = pool
            notes.append(f"data pool {name} kept (provenance: user)")
    correlations = {consumer: dict(params) for consumer, params in fresh.correlations.items()}
    for consumer, params in old.correlations.items():
        for parameter, correlation in params.items():
            if correlation.provenance == Provenance.USER:
                correlations.setdefault(consumer, {})[parameter] = correlation
                notes.append(f"correlation {consumer}.{parameter} kept (provenance: user)")
    load, kept = _load(old.load, fresh.load)
    notes.extend(f"load.{name} kept (provenance: user)" for name in kept)
    merged = fresh.model_copy(
        update={"personas": personas, "operations": operations, "data_pools": data_pools,
                "correlations": correlations, "load": load}
    )  # fmt: skip
    return Refreshed(Workload.model_validate(merged.model_dump()), tuple(notes))


def _reweighted(personas: list[Persona]) -> list[Persona]:
    pinned = sum(p.weight for p in personas if p.pinned)
    free = sum(p.weight for p in personas if not p.pinned)
    room = max(1.0 - pinned, 0.0)
    if free <= 0:
        return personas
    return [
        p if p.pinned else p.model_copy(update={"weight": p.weight * room / free}) for p in personas
    ]


def _load(old: Load, fresh: Load) -> tuple[Load, list[str]]:
    kept = {
        name: value
        for name, value in old
        if isinstance(value, Measured) and value.provenance == Provenance.USER
    }
    return fresh.model_copy(update=kept), sorted(kept)


def _unused(identifier: str, taken: set[str]) -> str:
    candidate, number = identifier, 2
    while candidate in taken:
        candidate, number = f"{identifier}-{number}", number + 1
    return candidate
