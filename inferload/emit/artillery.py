"""Render the Artillery test: a YAML script (written with yaml.safe_dump: no value from the spec
or logs is spliced into it) and a processor that walks the journey graphs, reading plan.json.
Data pools are `config.payload` CSV files, loaded whole (`loadAll`) under a name the processor
finds in plan.json.

Profiles are Artillery environments: `artillery run -e load script.yml`. Rates are sessions per
second (`arrivalRate`/`rampTo` accept fractions); smoke is one arrival a second, at most five
sessions at once.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

from inferload.design.plan import ORIGINS
from inferload.design.profiles import error_rate_below
from inferload.emit.pools import pool_files
from inferload.templating import TEMPLATES, environment

REQUEST_TIMEOUT_S = 60  # k6's default request timeout


def render_artillery(plan: dict[str, Any]) -> dict[str, str]:
    personas = [
        {
            "comment": json.dumps(
                f"{p['id']}: {p['name']} ({p['weight']:.1%} of sessions)", ensure_ascii=True
            )
        }
        for p in plan["personas"]
    ]
    processor = (
        environment()
        .get_template("artillery/processor.js.j2")
        .render(title=json.dumps(plan["api"]["title"], ensure_ascii=True), personas=personas)
    )
    plan, pools = pool_files(plan)
    for index, pool in enumerate(plan["pools"].values()):
        pool["payload"] = f"__pool{index}"
        # field names of our own: a parameter's name (`weight`, `__proto__`) could clash
        pool["fields"] = [f"c{column}" for column in range(pool["columns"])] + ["weight"]
    payload = [
        {
            "path": f"./{pool['file']}", "fields": pool["fields"], "skipHeader": True,
            "cast": False, "loadAll": True, "name": pool["payload"],
        }
        for pool in plan["pools"].values()
    ]  # fmt: skip
    script = {
        "config": {
            "target": "{{ $env.BASE_URL }}",
            # a response may take 60 s, as in k6, before it counts as failed (Artillery's own
            # default, 10 s, would make a slow answer under stress an error in one engine only)
            "http": {"timeout": REQUEST_TIMEOUT_S},
            "processor": "./processor.js",
            **({"payload": payload} if payload else {}),
            "plugins": {
                # names are set per request by the processor: group by them, after it ran
                "metrics-by-endpoint": {"useOnlyRequestNames": True, "groupDynamicURLs": False},
                # listed here or Artillery never loads it (a bare `config.ensure` checks nothing)
                "ensure": _ensure(plan),
            },
            "environments": {
                name: {"phases": _phases({**profile, "smoke": name == "smoke"})}
                for name, profile in plan["profiles"].items()
            },
        },
        "scenarios": [
            {
                "name": persona["id"],
                "weight": max(1, round(persona["weight"] * 1000)),
                "flow": [
                    {"function": f"startPersona{index}"},
                    {
                        "loop": [
                            {"function": "chooseNextStep"},
                            {"think": "{{ __think }}"},
                            {
                                "loop": [
                                    {
                                        "post": {
                                            "url": "/",
                                            "ifTrue": "hasRequest",
                                            "beforeRequest": "prepareRequest",
                                            "afterResponse": "captureResponse",
                                        }
                                    }  # fmt: skip
                                ],
                                "whileTrue": "hasMoreInStep",
                            },
                        ],
                        "whileTrue": "sessionGoesOn",
                    },
                ],
            }
            for index, persona in enumerate(plan["personas"])
        ],
    }
    header = (
        f"# Artillery load test for {json.dumps(plan['api']['title'], ensure_ascii=True)}: "
        f"{ORIGINS[plan['inferred_from']]}.\n"
        f"# Run: BASE_URL=http://127.0.0.1:8800 {BY_HAND_OFFLINE}npx artillery run -e smoke script.yml  (profiles: "
        + ", ".join(plan["profiles"])
        + ")\n"
    )
    return {
        "artillery/script.yml": header + yaml.safe_dump(script, sort_keys=False, width=120),
        "artillery/processor.js": processor,
        "artillery/offline.js": OFFLINE_PRELOAD.read_text(),
        "artillery/plan.json": json.dumps(plan, indent=1, sort_keys=True, ensure_ascii=True) + "\n",
        **{f"artillery/{path}": text for path, text in pools.items()},
    }


# Artillery sends telemetry, and a PostHog event even with it off (see offline.js): the folder
# carries the preload that stops it, which `inferload run` loads too, and the commands a user runs
# by hand set both
OFFLINE_PRELOAD = TEMPLATES / "artillery" / "offline.js"
BY_HAND_OFFLINE = "ARTILLERY_DISABLE_TELEMETRY=true NODE_OPTIONS=--require=./offline.js "
SMOKE_ARRIVALS_PER_S = (
    1  # Artillery's smoke: sessions arriving each second, whatever the plan's rate
)


def _phases(profile: dict[str, Any]) -> list[dict[str, Any]]:
    """Artillery phases from the profile's stages (rates are sessions per second)."""
    phases: list[dict[str, Any]] = []
    rate = profile["start"]
    for duration, target in profile["stages"]:
        phase: dict[str, Any] = {"duration": int(duration), "arrivalRate": round(rate, 4)}
        if abs(target - rate) > 1e-9:
            phase["rampTo"] = round(target, 4)
        phases.append(phase)
        rate = target
    if profile.get("smoke"):
        # a few users walking every journey: one arrival a second, at most five at once
        return [{"duration": int(profile["stages"][0][0]), "arrivalRate": SMOKE_ARRIVALS_PER_S,
                 "maxVusers": 5}]  # fmt: skip
    return phases


def _ensure(plan: dict[str, Any]) -> dict[str, Any]:
    """The SLA as Artillery checks it at the end of a run (exit 1 when one fails): p95, p99 and
    the error rate. A failed request is a failed response (counted by the processor) or a
    transport error, which fails its virtual user (`vusers.failed`); a run that sent nothing
    fails too (the division gives no number)."""
    sla = plan["targets"]["sla"]
    operator, limit = error_rate_below(sla["error_rate"])
    error_rate = f"(checks.failed_responses + vusers.failed) / http.requests {operator} {limit}"
    return {
        "thresholds": [
            {"http.response_time.p95": sla["p95_ms"]},
            {"http.response_time.p99": sla["p99_ms"]},
        ],
        "conditions": [{"expression": error_rate}],
    }
