"""Both real engines execute here: each sends requests to a throwaway server on 127.0.0.1, and
nothing else: whatever an engine would send elsewhere (telemetry, usage reports: all on HTTPS)
is sent through the proxy its environment names, a second server on 127.0.0.1, which must see
no request (Artillery 2.0.21 sends PostHog a "test run" event whatever its setting says)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import polars as pl
import pytest

from inferload.logs.agents import flagged_agents
from inferload.run.engines import engine_environment, find_artillery, find_k6
from tests.engines.recording_server import RecordingServer

pytestmark = pytest.mark.engines


def test_k6_runs_a_script_against_loopback_and_sends_nothing_else(tmp_path: Path) -> None:
    script = tmp_path / "smoke.js"
    script.write_text(
        "import http from 'k6/http';\n"
        "export const options = { vus: 2, iterations: 6 };\n"
        "export default function () { http.get(`${__ENV.BASE_URL}/k6/${__VU}/${__ITER}`); }\n"
    )
    with RecordingServer() as server, RecordingServer() as elsewhere:
        completed = subprocess.run(
            [str(find_k6()), "run", "--quiet", str(script)],
            env=engine_environment(BASE_URL=server.base_url, HTTPS_PROXY=elsewhere.base_url),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert completed.returncode == 0, completed.stderr
    assert len(server.requests) == 6
    assert elsewhere.requests == []
    assert all(method == "GET" and path.startswith("/k6/") for method, path in server.requests)
    assert_ingest_drops_the_agent_of(server)


def test_artillery_runs_a_script_against_loopback_and_sends_nothing_else(tmp_path: Path) -> None:
    script = tmp_path / "smoke.yml"
    script.write_text(
        "config:\n"
        '  target: "{{ $env.BASE_URL }}"\n'
        "  phases:\n"
        "    - duration: 1\n"
        "      arrivalCount: 3\n"
        "scenarios:\n"
        "  - flow:\n"
        "      - post:\n"
        '          url: "/artillery/hello"\n'
        "          json: { greeting: hi }\n"
    )
    with RecordingServer() as server, RecordingServer() as elsewhere:
        completed = subprocess.run(
            [str(find_artillery()), "run", str(script)],
            env=engine_environment(BASE_URL=server.base_url, HTTPS_PROXY=elsewhere.base_url),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert server.requests == [("POST", "/artillery/hello")] * 3
    assert elsewhere.requests == []
    assert_ingest_drops_the_agent_of(server)


def assert_ingest_drops_the_agent_of(server: RecordingServer) -> None:
    """The engine's own User-Agent is a load-test tool's to the log stage: the target's log of
    a test run teaches the model nothing (and `refresh` reports no drift from it)."""
    agents = {request.user_agent for request in server.received}
    assert len(agents) == 1 and None not in agents, agents
    flagged = flagged_agents(pl.Series(sorted(agents), dtype=pl.String)).rows()
    assert flagged == [(agents.pop(), "load-test tool")]
