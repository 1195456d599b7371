"""Query parameters whose value is an array or an object reach the server as the spec's style
writes them. The scripts sent `String(value)`: `status=open%2Cclosed` for an exploded array
(Prism: "status.0 must be equal to one of the allowed values") and `filter=%5Bobject%20Object%5D`
for an object."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.design.encoding import query_text
from inferload.spec import load_catalog
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_sessions

SPEC = """
openapi: 3.0.3
info: {title: Filters, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: status, in: query, required: true, example: [open, closed],
           schema: {type: array, items: {type: string, enum: [open, closed]}}}
        - {name: ids, in: query, required: true, explode: false, example: [1, 2],
           schema: {type: array, items: {type: integer}}}
        - {name: tags, in: query, required: true, style: pipeDelimited, explode: false,
           example: [a b, c], schema: {type: array, items: {type: string}}}
        - {name: filter, in: query, required: true, style: deepObject, example: {color: red, size: 3},
           schema: {type: object, properties: {color: {type: string}, size: {type: integer}}}}
        - {name: point, in: query, required: true, example: {x: 1, y: 2},
           schema: {type: object, properties: {x: {type: integer}, y: {type: integer}}}}
        - name: where
          in: query
          required: true
          content: {application/json: {schema: {type: object}, example: {"a": [1, "&"]}}}
      responses: {"200": {description: ok}}
"""
SWAGGER = """
swagger: "2.0"
info: {title: Old, version: "1"}
paths:
  /items:
    get:
      operationId: listItems
      parameters:
        - {name: csv, in: query, type: array, items: {type: string}}
        - {name: multi, in: query, type: array, items: {type: string}, collectionFormat: multi}
        - {name: ssv, in: query, type: array, items: {type: string}, collectionFormat: ssv}
      responses: {"200": {description: ok}}
"""
# what a server's query parser reads from each (parse_qs: repeated keys, decoded values)
EXPECTED = {
    "status": ["open", "closed"],
    "ids": ["1,2"],
    "tags": ["a b|c"],
    "filter[color]": ["red"],
    "filter[size]": ["3"],
    "x": ["1"],
    "y": ["2"],
    "where": ['{"a": [1, "&"]}'],
}


def test_each_style_writes_what_a_query_parser_reads() -> None:
    written = "&".join(
        [
            query_text("status", ["open", "closed"], "form", True),
            query_text("ids", [1, 2], "form", False),
            query_text("tags", ["a b", "c"], "pipeDelimited", False),
            query_text("filter", {"color": "red", "size": 3}, "deepObject", True),
            query_text("point", {"x": 1, "y": 2}, "form", True),
            query_text("where", {"a": [1, "&"]}, "json", False),
        ]
    )
    assert parse_qs(written, strict_parsing=True) == EXPECTED
    assert query_text("box", {"w": 2, "h": True}, "form", False) == "box=w,2,h,true"
    assert query_text("s", ["a", "b"], "spaceDelimited", False) == "s=a%20b"
    assert query_text("q", "a&b=c", "form", True) == "q=a%26b%3Dc"


def test_styles_are_read_from_the_spec_and_swagger_collection_formats(tmp_path: Path) -> None:
    (tmp_path / "new.yaml").write_text(SPEC)
    (tmp_path / "old.yaml").write_text(SWAGGER)
    found = {
        p.name: (p.style, p.explode)
        for spec in ("new.yaml", "old.yaml")
        for p in load_catalog(tmp_path / spec, use_cache=False).operation("listItems").parameters
    }
    assert found == {
        "status": ("form", True), "ids": ("form", False), "tags": ("pipeDelimited", False),
        "filter": ("deepObject", False), "point": ("form", True), "where": ("json", False),
        "csv": ("form", False), "multi": ("form", True), "ssv": ("spaceDelimited", False),
    }  # fmt: skip


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("queries")
    (folder / "spec.yaml").write_text(SPEC)
    runner = CliRunner()
    inferred = runner.invoke(
        main, ["infer", "--spec", str(folder / "spec.yaml"), "-o", str(folder / "w.yaml")]
    )
    assert inferred.exit_code == 0, inferred.output
    emitted = runner.invoke(main, ["generate", str(folder / "w.yaml"), "-o", str(folder / "out")])
    assert emitted.exit_code == 0, emitted.output
    return folder / "out"


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


@pytest.mark.engines
@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_the_engines_send_arrays_and_objects_in_the_specs_style(
    engine: str, generated: Path, server: RecordingServer
) -> None:
    # five sessions: fewer than the ten VUs k6 would start (a configuration error it refused)
    completed = run_sessions(engine, generated, 5, BASE_URL=server.base_url, THINK_SCALE="0")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert server.received
    for request in server.received:
        where = urlsplit(request.path)
        assert where.path == "/items"
        assert parse_qs(where.query, strict_parsing=True) == EXPECTED, where.query
        assert json.loads(parse_qs(where.query)["where"][0]) == {"a": [1, "&"]}
