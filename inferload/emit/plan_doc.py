"""TEST-PLAN.md and the output folder's README: written as a performance engineer would."""

from __future__ import annotations

import math
import re
from pathlib import PurePath
from typing import Any

from inferload.design.profiles import kill_switch_rate
from inferload.emit.artillery import BY_HAND_OFFLINE
from inferload.emit.pools import pool_paths
from inferload.model.chains import expected_visits
from inferload.model.journeys import typical_journey
from inferload.model.workload import END, START, DataPool, Workload
from inferload.templating import environment, figure

# a pool whose values were asked for in fewer of production's requests than this is flagged
HOT_DATA_COVERAGE = 0.8
_SCRIPTS = {"k6": "k6/script.js", "artillery": "artillery/script.yml"}  # by tool


def render_plan(workload: Workload, plan: dict[str, Any], tools: tuple[str, ...]) -> dict[str, str]:
    """TEST-PLAN.md and README.md for a folder holding the scripts of `tools` (k6, artillery)."""
    profiles = [_profile(name, p) for name, p in plan["profiles"].items()]
    scripts = ", ".join(f"`{_SCRIPTS[tool]}`" for tool in tools)
    goals = _goals(plan["targets"])
    credentials = "".join(f"{name}=... " for name in credential_variables(plan["auth"]))
    kill_percent = 100 * kill_switch_rate(plan["targets"]["sla"]["error_rate"])
    staging = _staging(plan["allow_hosts"])
    base = _base(workload)
    addresses = _addresses(plan)
    text = environment().get_template("plan/TEST-PLAN.md.j2").render(
        api=plan["api"],
        source=_source(workload),
        t=plan["targets"],
        operations=[
            {"id": _cell(op_id), "method": op.method, "path": _cell(op.path), "share": op.share,
             "priority": op.priority, "reasons": _cell("; ".join(op.reasons))}
            for op_id, op in sorted(workload.operations.items(), key=lambda kv: -kv[1].share)
        ],
        left_out=[{"id": _cell(op_id), "why": _cell(why)} for op_id, why in workload.left_out.items()],
        personas=[_persona(p) for p in workload.personas],
        profiles=profiles,
        tools=tools,
        scripts=scripts,
        pools=", ".join(sorted(plan["pools"])) or "none",
        withheld=", ".join(f"`{_cell(name)}`" for name in sorted(_withheld(workload, plan))),
        addresses=addresses,
        high=", ".join(op_id for op_id, op in workload.operations.items() if op.priority == "high") or "none",
        goals=goals,
        assumptions=_assumptions(workload, goals) + _fixed_queries(plan),
        lint=_lint(workload, plan),
        has_login=bool(plan["auth"]["login"]),
        accounts={name: f"{math.ceil(plan['profiles'][name]['in_flight']):,}" for name in ("load", "stress")},
        credentials=credentials,
        kill_percent=kill_percent,
        staging=staging,
        base=base,
        artillery_offline=BY_HAND_OFFLINE,
        drain=_duration(plan["targets"]["drain_s"]),
        arrivals=plan["arrivals"],
    )  # fmt: skip
    readme = (
        environment()
        .get_template("plan/README.md.j2")
        .render(
            api=plan["api"],
            tools=tools,
            profiles=profiles,
            credentials=credentials,
            kill_percent=kill_percent,
            staging=staging,
            base=base,
            addresses=addresses,
            artillery_offline=BY_HAND_OFFLINE,
        )  # fmt: skip
    )
    return {"TEST-PLAN.md": text, "README.md": readme}


def _base(workload: Workload) -> dict[str, str]:
    """The base path before every operation's path, and where it came from (a script sending a
    prefix the server does not serve meets only 404s: the reader must see it before a run)."""
    path = workload.api.base_path
    if workload.source.logs:
        origin = (
            "the base path production's requests carried"
            if path
            else "production's requests carried no base path"
        )
    else:
        origin = "the spec's first server" if path else "the spec's first server has no base path"
    return {"path": _cell(path), "origin": origin}


def _addresses(plan: dict[str, Any]) -> str:
    """`POST /streams`: query.callbackUrl; ...: the requests that hand the server an address
    it may call (a callback, a webhook), which the scripts point at CALLBACK_URL."""
    return "; ".join(
        f"{_endpoint(op)}: {_cell(', '.join(op['sends_urls']))}"
        for op in plan["operations"].values()
        if op["sends_urls"]
    )


def _staging(allow_hosts: list[str]) -> dict[str, str]:
    """The staging host of the examples: the first the targets allow (the scripts accept it as
    is), else a placeholder that must be allowed for the run (`ALLOW_HOSTS`)."""
    if allow_hosts:
        return {"host": allow_hosts[0], "allow": ""}
    return {"host": "staging.example.internal", "allow": "ALLOW_HOSTS=staging.example.internal "}


def credential_variables(auth: dict[str, Any]) -> list[str]:
    """The variables a run needs for this API's auth (none for an open API)."""
    scheme = auth["scheme"]
    if auth["login"] or (scheme and scheme["type"] == "http" and scheme["scheme"] == "basic"):
        return ["LOGIN_USERNAME", "LOGIN_PASSWORD"]
    return ["API_TOKEN"] if scheme else []


def _cell(text: str) -> str:
    """Safe inside a Markdown table cell: no pipes, no line breaks, no HTML."""
    return re.sub(r"[\r\n]+", " ", text).replace("|", "\\|").replace("<", "&lt;").replace("`", "'")


# The journey graph drawn in the plan: the transitions that carry most of a session's steps.
# A persona learnt from a big site's logs has thousands (NASA's log: 1,578 for one persona,
# 230 kB of Mermaid), which no reader follows and which GitHub refuses to draw (50,000
# characters, 500 edges at most).
GRAPH_EDGES = 60
GRAPH_FLOW = 0.9  # of the expected transitions per session


def _journey_graph(persona: Any) -> tuple[list[str], str]:
    """Mermaid lines for the busiest transitions (expected uses per session: visits to the
    source x probability), until they carry GRAPH_FLOW of all or GRAPH_EDGES are drawn; and a
    sentence on what was left out ("" when nothing was)."""
    visits = {START: 1.0, **expected_visits(persona)}
    flows = sorted(
        ((visits.get(source, 0.0) * probability, source, target)
         for source, targets in persona.transitions.items() for target, probability in targets.items()),
        key=lambda edge: (-edge[0], edge[1], edge[2]),
    )  # fmt: skip
    total = sum(flow for flow, _, _ in flows) or 1.0
    drawn: list[tuple[str, str]] = []
    carried = 0.0
    for flow, source, target in flows:
        if len(drawn) >= GRAPH_EDGES or carried >= GRAPH_FLOW * total:
            break
        drawn.append((source, target))
        carried += flow
    ids: dict[str, str] = {}  # states by first use: short ids no two names can share
    lines = []
    for source, target in drawn:
        for state in (source, target):
            if state not in ids:
                ids[state] = f"s{len(ids)}"
                lines.append(f'{ids[state]}["{_label(state)}"]')
        probability = persona.transitions[source][target]
        lines.append(f"{ids[source]} -->|{probability:.0%}| {ids[target]}")
    left = len(flows) - len(drawn)
    note = (
        f"The {len(drawn)} busiest transitions, {carried / total:.0%} of a session's steps; "
        f"{left:,} rarer ones are not drawn (workload.yaml has them all)."
        if left
        else ""
    )
    return lines, note


def _persona(persona: Any) -> dict[str, Any]:
    graph, left_out = _journey_graph(persona)
    journeys = [
        {
            "text": " -> ".join(_cell(step) for step in journey.steps) or "(leaves at once)",
            "probability": journey.probability,
        }
        for journey in persona.top_journeys
    ]
    steps = round(persona.session_length_steps)
    shortest = min((len(journey.steps) for journey in persona.top_journeys), default=steps)
    typical = typical_journey(persona.transitions, steps) if steps > shortest + 1 else None
    guards = "; ".join(
        f"{_cell(g.operation)} only after {_cell(g.requires or '')}"
        if g.kind == "requires"
        else f"nothing after {_cell(g.operation)}"
        for g in persona.guards
    )
    return {"id": persona.id, "name": _cell(persona.name), "weight": persona.weight, "length": persona.session_length_steps,
            "journeys": journeys, "guards": guards, "graph": graph, "left_out": left_out,
            "typical": " -> ".join(_cell(step) for step in typical) if typical else None}  # fmt: skip


def _label(state: str) -> str:
    if state == START:
        return "start"
    if state == END:
        return "end"
    return re.sub(r'["\[\]{}<>|`]', "", state)


def _profile(name: str, profile: dict[str, Any]) -> dict[str, Any]:
    total = sum(duration for duration, _ in profile["stages"])
    stages = ", ".join(f"{_duration(d)} -> {figure(rate * 60)}" for d, rate in profile["stages"])
    peak = max([profile["start"], *(rate for _, rate in profile["stages"])])
    return {"name": name, "description": profile["description"], "duration": _duration(total), "peak": peak,
            "pre": profile["pre_allocated_vus"], "max": profile["max_vus"], "stages": stages}  # fmt: skip


def _duration(seconds: float) -> str:
    """`4 h 7 min`, `13 min 40 s`: a stage length a reader can set a timer by."""
    hours, rest = divmod(round(seconds), 3600)
    minutes, rest = divmod(rest, 60)
    parts = [
        f"{value} {unit}" for value, unit in ((hours, "h"), (minutes, "min"), (rest, "s")) if value
    ]
    return " ".join(parts) or "0 s"


def _source(workload: Workload) -> str:
    """The spec and logs by file name: workload.yaml records the spec's path from its own
    folder and the logs' as given, neither of which reads right from the plan's folder."""
    logs = ", ".join(
        f"`{_cell(PurePath(log.path).name)}` ({log.lines:,} lines)" for log in workload.source.logs
    )
    window = (
        f" from {workload.source.window_start} to {workload.source.window_end}"
        if workload.source.window_start
        else ""
    )
    if workload.source.spec_path is None:
        return f"{logs}{window}, without a spec (URL templates inferred from the paths logged)"
    spec = f"`{_cell(PurePath(workload.source.spec_path).name)}`"
    return f"{spec} and {logs}{window}" if logs else f"{spec} alone (no production logs)"


def _exact(value: float) -> str:
    """A target as set (107.25 sessions/min stays that), grouped and without trailing zeros;
    below 1, two significant digits (a quiet site's 0.006 sessions/min is not 0.01)."""
    return f"{value:,.2f}".rstrip("0").rstrip(".") if abs(value) >= 1 else figure(value)


def _goals(targets: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The goals table's rows: (target, value, where it came from: `Resolved.origin`)."""
    origin, sla = targets["origin"], targets["sla"]
    rows = [
        (label, f"{_exact(targets[key] * 60)} sessions/min", origin[key])
        for key, label in (("normal_arrival_rate_per_s", "normal load"),
                           ("peak_arrival_rate_per_s", "peak load"), ("max_arrival_rate_per_s", "survive"))
    ]  # fmt: skip
    rows += [
        ("p95 latency", f"< {sla['p95_ms']:.0f} ms", origin["sla.p95_ms"]),
        ("p99 latency", f"< {sla['p99_ms']:.0f} ms", origin["sla.p99_ms"]),
        ("error rate", f"< {100 * sla['error_rate']:.2f}%", origin["sla.error_rate"]),
    ]
    return rows


def _assumptions(workload: Workload, goals: list[tuple[str, str, str]]) -> list[str]:
    found = [f"{label}: {origin}" for label, _, origin in goals if origin.startswith("default:")]
    for name, measured in workload.load:
        if hasattr(measured, "provenance") and measured.provenance.value != "logs":
            found.append(
                f"load.{name} = {measured.value:g} ({measured.provenance.value}{': ' + measured.note if measured.note else ''})"
            )
    for persona in workload.personas:
        if persona.provenance.value != "logs":
            found.append(
                f"persona {persona.id}: journeys and mix from the {persona.provenance.value}, not observed"
            )
        if persona.default_think.provenance.value == "default":
            found.append(
                f"persona {persona.id}: think times from rules of thumb (median {persona.default_think.median_s:g} s)"
            )
    for name, pool in workload.data_pools.items():
        if pool.provenance.value == "default":
            found.append(f"data pool {name}: placeholder values {[v.value for v in pool.values]}")
    return found


def _endpoint(operation: dict[str, Any]) -> str:
    """A plan operation as the plan names it: `GET /pets/{petId}`, in code."""
    return f"`{_cell(operation['method'] + ' ' + operation['path'])}`"


def _fixed_queries(plan: dict[str, Any]) -> list[str]:
    """The query values every request sends as the spec gives them (no pool of production's
    values): a filter, a page or a date from the spec's example is one value for every user,
    which a cache or an index may serve far better than production's spread of values."""
    return [
        f"query of {_endpoint(op)}: "
        + ", ".join(
            f"`{_cell(name)}`"
            + (f" (in {q['share']:.0%} of its requests)" if q["share"] < 1 else "")
            for name, q in fixed
        )
        + " always the spec's example (or a value of its type): a pool `query.<name>` under"
        " `data_pools` in workload.yaml varies it"
        for op in plan["operations"].values()
        if (fixed := [(name, q) for name, q in op["query"].items() if q["pool"] is None])
    ]


def _lint(workload: Workload, plan: dict[str, Any]) -> list[tuple[str, str]]:
    operations = {op for p in workload.personas for ops in p.steps.values() for op in ops}
    thinks = [t for p in workload.personas for t in p.think_times.values()] + [
        p.default_think for p in workload.personas
    ]
    load = plan["profiles"]["load"]["stages"]
    return [
        ("single endpoint", "ok: " + f"{len(operations)} operations" if len(operations) > 1 else "FAIL: one operation only"),
        ("no think time", "ok: lognormal think times per transition" if all(t.median_s > 0 for t in thinks) else "WARN: zero think times"),
        ("no ramp", "ok: load ramps up over " + _duration(load[0][0]) if load and load[0][0] > 0 else "FAIL: no ramp-up"),
        ("no thresholds", f"ok: {sum(len(v) for v in plan['thresholds'].values())} thresholds" if plan["thresholds"] else "FAIL: none"),
        ("closed model only", "ok: arrival-rate (open) executors"),
        ("hot data only", _hot_data(workload, plan)),
    ]  # fmt: skip


def _withheld(workload: Workload, plan: dict[str, Any]) -> dict[str, DataPool]:
    """The pools the plan does not replay: they hold no value, production's being personal
    data (emails, addresses), scrubbed."""
    return {name: pool for name, pool in workload.data_pools.items() if name not in plan["pools"]}


def _hot_data(workload: Workload, plan: dict[str, Any]) -> str:
    """Whether the pools' values stand for production's, or only for its most requested few:
    a test that asks for 500 ids of a catalogue of 50,000 finds every one in the target's
    caches after the first minute, and measures a faster service than production's. A
    parameter whose values were all personal data has none: every request sends one example."""
    coverage = {  # measured where production's distinct values were counted
        n: p.coverage
        for n, p in workload.data_pools.items()
        if p.coverage is not None and (p.distinct_values is not None or not p.values)
    }
    if not coverage:
        return "n/a: no path or query values measured in logs"
    files = pool_paths(plan)  # the names only: the CSV text is the emitters' to write
    withheld = _withheld(workload, plan)
    thin = sorted(
        (share, name)
        for name, share in coverage.items()
        if share < HOT_DATA_COVERAGE and name not in withheld
    )
    if not thin and not withheld:
        lowest = min(coverage.values())
        return f"ok: each pool's values were asked for in at least {100 * lowest:.0f}% of production's requests"
    pools = workload.data_pools
    found = [
        f"`{_cell(name)}` kept none of its values, personal data in the logs: its "
        f"{f'{pool.requests:,} ' if pool.requests else ''}requests all send one example (add test values under "
        f"`data_pools.{_cell(name)}.values` in workload.yaml and generate again)"
        for name, pool in sorted(withheld.items())
    ] + [
        f"`{_cell(name)}` {len(pools[name].values)} of about {pools[name].distinct_values or 0:,} values, "
        f"{100 * share:.0f}% of its requests (`{files[name]}`)"
        for share, name in thin
    ]  # fmt: skip
    more = f"; {len(found) - 5} more" if len(found) > 5 else ""
    advice = (
        "add real values (with their weights) to those files next to each script"
        if thin
        else "test values there spread the load as production's did"
    )
    return (
        f"WARN: {'; '.join(found[:5])}{more}. The test asks for fewer values than production "
        f"did, so the target's caches will hit more often than in production: for a "
        f"cache-sensitive test, {advice}"
    )
