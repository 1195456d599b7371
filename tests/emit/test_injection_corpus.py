"""Hostile names and paths in a spec cannot change what a generated script does: it parses, it
sends exactly those paths, and nothing from the spec is interpolated as code."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import find_k6
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_artillery, run_k6

pytestmark = pytest.mark.engines

BASE = 'it"em`s/$(process.exit)'  # braces would make it a path template, by OpenAPI's rules
HOSTILE = {
    "openapi": "3.0.3",
    "info": {"title": 'Hostile </script> `${x}` "api"', "version": "1"},
    "paths": {
        f"/{BASE}": {"get": {"operationId": 'list`${1}"</script>', "responses": {"200": {"description": "ok"}}}},
        f"/{BASE}/{{id}}": {
            "get": {
                "operationId": "get\u2028item\nnext",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "example": "7${process.exit()}`"}],
                "responses": {"200": {"description": "ok"}},
            }
        },
        f"/{BASE}/{{id}}/</script>\nnote?x#y": {
            "post": {
                "operationId": "note');process.exit('",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "required": ["note"],
                    "properties": {"note": {"type": "string", "example": "</script>${injected}`"}}}}}},
                "responses": {"200": {"description": "ok"}},
            }
        },
        "/a b/x?y#z": {"get": {"operationId": "GET /a b", "responses": {"200": {"description": "ok"}}}},
        # names JavaScript objects already answer to
        **{f"/{name}": {"get": {"operationId": name, "responses": {"200": {"description": "ok"}}}}
           for name in ("constructor", "__proto__", "toString", "hasOwnProperty")},
    },
}  # fmt: skip
VALUE = "7${process.exit()}`"
EXPECTED = {f"/{BASE}", f"/{BASE}/{VALUE}", f"/{BASE}/{VALUE}/</script>\nnote?x#y", "/a b/x?y#z",
            "/constructor", "/__proto__", "/toString", "/hasOwnProperty"}  # fmt: skip


def test_hostile_spec_gives_a_script_that_parses_and_sends_exactly_its_paths(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(yaml.safe_dump(HOSTILE))
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml")]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]
    )
    assert result.exit_code == 0, result.output
    k6_folder = tmp_path / "out" / "k6"
    script = (k6_folder / "script.js").read_text()
    assert "process.exit()" not in script and "</script>" not in script.split("// Run:")[1]
    inspect = subprocess.run(
        [str(find_k6()), "inspect", "-e", "BASE_URL=http://127.0.0.1:9", "script.js"],
        cwd=k6_folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert inspect.returncode == 0, inspect.stderr
    with RecordingServer() as server:
        run = run_k6(
            # enough sessions that the POST, two steps deep at 12% (list -> item -> note), is
            # walked: a 3-second smoke run's 20-odd sessions missed it about one run in thirty
            k6_folder, timeout=120, BASE_URL=server.base_url, THINK_SCALE="0",
            SESSIONS="300", SUMMARY_PATH=str(tmp_path / "summary.json"),
        )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    sent = {unquote(path) for _, path in server.requests}
    assert sent == EXPECTED
    assert ("POST", next(p for _, p in server.requests if "note" in unquote(p))) in server.requests


def test_hostile_spec_gives_an_artillery_test_that_sends_exactly_its_paths(tmp_path: Path) -> None:
    spec = tmp_path / "hostile.yaml"
    spec.write_text(yaml.safe_dump(HOSTILE))
    runner = CliRunner()
    assert (
        runner.invoke(
            main, ["infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml")]
        ).exit_code
        == 0
    )
    assert (
        runner.invoke(
            main,
            [
                "generate",
                str(tmp_path / "w.yaml"),
                "--tool",
                "artillery",
                "-o",
                str(tmp_path / "out"),
            ],
        ).exit_code
        == 0
    )
    folder = tmp_path / "out" / "artillery"
    script = yaml.safe_load((folder / "script.yml").read_text())  # still valid YAML
    assert "process.exit" not in (folder / "script.yml").read_text()
    assert (
        "process.exit" not in (folder / "processor.js").read_text()
    )  # spec text stays in plan.json
    assert script["config"]["processor"] == "./processor.js"
    with RecordingServer() as server:
        run = run_artillery(folder, 120, duration=3, BASE_URL=server.base_url, THINK_SCALE="0")
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert {unquote(path) for _, path in server.requests} == EXPECTED
