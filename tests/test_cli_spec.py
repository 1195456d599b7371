"""`inferload spec`: the summary people read, the JSON machines read, and clean failures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import SPECS

PETSTORE = str(SPECS / "petstore-v3/openapi.yaml")


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_readable_summary_lists_methods_tags_servers_and_schemes() -> None:
    code, out, _ = run("spec", PETSTORE)
    assert code == 0
    assert "Swagger Petstore - OpenAPI 3.0" in out
    assert "19 operations" in out
    assert "https://petstore3.swagger.io/api/v3  (base path /api/v3)" in out
    assert "api_key: apiKey in header 'api_key'" in out
    assert "getPetById" in out


def test_json_has_summary_and_every_operation() -> None:
    code, out, _ = run("spec", PETSTORE, "--json")
    assert code == 0
    payload = json.loads(out)
    assert payload["summary"]["by_method"] == {"DELETE": 3, "GET": 8, "POST": 6, "PUT": 2}
    operations = {op["operation_id"]: op for op in payload["catalog"]["operations"]}
    assert len(operations) == 19
    assert operations["getPetById"]["parameters"][0]["location"] == "path"


def test_links_and_match_in_json() -> None:
    code, out, _ = run(
        "spec",
        str(SPECS / "oai-examples/v3.0/link-example.yaml"),
        "--json",
        "--match",
        "GET /2.0/users/alice",
        "--match",
        "GET /nowhere",
    )
    assert code == 1  # a request the spec does not cover: the check failed, the output stands
    payload = json.loads(out)
    assert {
        "source": "getUserByName",
        "status": "200",
        "name": "userRepositories",
        "target": "getRepositoriesByOwner",
    } in payload["summary"]["links"]
    first, second = payload["matches"]
    assert first["operation_id"] == "getUserByName" and first["params"] == {"username": "alice"}
    assert second["unmatched"] == "no operation's path matches"
    covered = run(
        "spec",
        str(SPECS / "oai-examples/v3.0/link-example.yaml"),
        "--match",
        "GET /2.0/users/alice",
    )
    assert covered[0] == 0


def test_bad_input_is_one_line_exit_2_without_traceback(tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    spec.write_text("openapi: 3.0.0\npaths:\n  /a: {get: [\n")
    completed = subprocess.run(
        [sys.executable, "-m", "inferload", "spec", str(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"inferload: error: {spec}:4")
    assert "Traceback" not in completed.stderr


def test_missing_file_and_bad_match_argument_exit_2(tmp_path: Path) -> None:
    code, _, err = run("spec", str(tmp_path / "missing.yaml"))
    assert code == 2 and "no such file" in err
    code, _, err = run("spec", PETSTORE, "--match", "GET")
    assert code == 2 and "METHOD URL" in err


def test_infer_says_the_spec_problems_that_change_the_scripts(tmp_path: Path) -> None:
    """A placeholder server URL becomes every scripted request's base path: `infer` says so,
    with the rest of the spec's problems, instead of leaving it to `inferload spec`."""
    from tests.spec.builders import get, openapi3, write_spec

    paths = {f"/things{n}": {"get": get(f"listThings{n}")} for n in range(4)}
    paths["/[draft]"] = {"get": {"operationId": "draft"}}  # no responses: a problem
    paths["/drafts"] = {"get": {"operationId": "d1"}, "put": {"operationId": "d2"}}
    spec = write_spec(tmp_path, openapi3(paths, servers=[{"url": "TODO"}]))
    code, out, _ = run("infer", "--spec", str(spec), "-o", str(tmp_path / "w.yaml"))
    assert code == 0
    assert "Spec problems (4):" in out
    assert "servers.0.url 'TODO' is relative to where the document is served" in out
    assert "paths./[draft].get: no responses documented" in out  # brackets are not markup
    assert f"... and 1 more: `inferload spec {spec}` lists them all" in out
    code, out, _ = run("infer", "--spec", str(spec), "-o", str(tmp_path / "j.yaml"), "--json")
    assert code == 0
    assert len(json.loads(out)["spec_problems"]) == 4
