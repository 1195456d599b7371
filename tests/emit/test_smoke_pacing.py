"""k6's smoke profile is two users (a closed model); each pauses between sessions as a person
does. Sessions of one quick request followed each other with no pause at all: a smoke run of
USPTO's spec-only model sent 550 requests a second to the mock it was checking."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_k6
from tests.spec.builders import get, openapi3, write_spec

pytestmark = pytest.mark.engines
SMOKE_S = 6.0  # DURATION_SCALE 0.1 of the profile's minute
THINK_SCALE = 0.1  # the README's smoke command


def test_smoke_users_pause_between_sessions_of_one_request(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, openapi3({"/articles": {"get": get("listArticles")}}))
    runner = CliRunner()
    workload = tmp_path / "workload.yaml"
    assert runner.invoke(main, ["infer", "--spec", str(spec), "-o", str(workload)]).exit_code == 0
    emitted = runner.invoke(main, ["generate", str(workload), "--tool", "k6", "-o", str(tmp_path / "out")])  # fmt: skip
    assert emitted.exit_code == 0, emitted.output
    with RecordingServer() as server:
        completed = run_k6(
            tmp_path / "out" / "k6", BASE_URL=server.base_url, BASE_PATH="", PROFILE="smoke",
            THINK_SCALE=str(THINK_SCALE), DURATION_SCALE=str(SMOKE_S / 60),
        )  # fmt: skip
        sent = list(server.received)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    # two users, a pause of the default think time (median 3.5 s) x 0.1 between sessions:
    # about 2 x 6 s / 0.35 s = 34 sessions of one request (it was thousands)
    assert 10 <= len(sent) <= 80, len(sent)
    assert {request.path for request in sent} == {"/articles"}
