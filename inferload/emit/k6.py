"""Render the k6 script. Returns {relative path: text}; the CLI writes the files.

Safety: every value that came from the spec or the logs (paths, names, examples, pool values)
travels in plan.json or a pool's CSV file, read by the script as data; the template
interpolates into code only a JSON-encoded comment per persona (ASCII-only, so no line
terminator can end it) and, JSON-encoded too, this module's own list of system tags.
"""

from __future__ import annotations

import json
from typing import Any

from inferload.design.plan import ORIGINS
from inferload.emit.pools import pool_files
from inferload.templating import environment

# The tags each sample carries: k6's defaults but `url` (the full URL: a tag set per id, so k6's
# memory and a results file grow with the ids a run touches, when the `name` tag already names
# the endpoint), `proto`, `subproto`, `tls_version` and gRPC's `service`: nothing reads them.
K6_SYSTEM_TAGS = (
    "status", "method", "name", "group", "check", "error", "error_code", "scenario",
    "expected_response",
)  # fmt: skip


def render_k6(plan: dict[str, Any]) -> dict[str, str]:
    personas = [
        {
            "comment": json.dumps(
                f"{p['id']}: {p['name']} ({p['weight']:.1%} of sessions)", ensure_ascii=True
            )
        }
        for p in plan["personas"]
    ]
    script = (
        environment()
        .get_template("k6/script.js.j2")
        .render(
            title=json.dumps(plan["api"]["title"], ensure_ascii=True),
            origin=ORIGINS[plan["inferred_from"]],
            personas=personas,
            system_tags=json.dumps(list(K6_SYSTEM_TAGS)),
        )
    )
    plan, pools = pool_files(plan)
    return {
        "k6/script.js": script,
        "k6/plan.json": json.dumps(plan, indent=1, sort_keys=True, ensure_ascii=True) + "\n",
        **{f"k6/{path}": text for path, text in pools.items()},
    }
