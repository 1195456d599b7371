"""Redirects are followed to the target only. Both engines followed a `Location` on any host:
a target that hands a download to a CDN, or a login to an identity provider, would have had the
test send load there. Another loopback address stands in for that other host here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_sessions

pytestmark = pytest.mark.engines
SPEC = """
openapi: 3.0.3
info: {title: Files, version: "1"}
paths:
  /files/latest:
    get:
      operationId: latestFile
      responses: {"200": {description: the newest file}}
  /files/{fileId}:
    get:
      operationId: getFile
      parameters: [{name: fileId, in: path, required: true, schema: {type: string, example: f1}}]
      responses: {"200": {description: a file}}
  /files/{fileId}/download:
    get:
      operationId: downloadFile
      parameters: [{name: fileId, in: path, required: true, schema: {type: string, example: f1}}]
      responses: {"302": {description: to the storage host}}
  /orders:
    post:
      operationId: createOrder
      requestBody:
        content: {application/json: {schema: {type: object, properties: {sku: {type: string, example: A1}}}}}
      responses: {"303": {description: see the order}}
  /orders/{orderId}:
    get:
      operationId: getOrder
      parameters: [{name: orderId, in: path, required: true, schema: {type: string, example: o7}}]
      responses: {"200": {description: an order}}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("redirects")
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
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    with RecordingServer(host="127.0.0.2") as elsewhere:
        moves = {
            ("GET", "/files/latest"): (302, "/files/f9"),  # on the target: followed
            ("POST", "/orders"): (303, "/orders/o8"),  # see other: fetched with a GET
            ("GET", "/files/f1/download"): (302, f"{elsewhere.base_url}/bucket/f1"),
        }
        with RecordingServer(
            status_for=lambda method, path: moves.get((method, path), (200, ""))[0],
            headers_for=lambda method, path: (
                {"Location": moves[(method, path)][1]} if (method, path) in moves else {}
            ),
        ) as target:
            yield target, elsewhere


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_redirects_are_followed_on_the_target_and_nowhere_else(
    engine: str, generated: Path, servers: tuple[RecordingServer, RecordingServer]
) -> None:
    target, elsewhere = servers
    # 200 sessions: POST /orders, reached by one session in nine, is missed by 40 about
    # one run in a hundred
    completed = run_sessions(engine, generated, 200, BASE_URL=target.base_url, THINK_SCALE="0")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    sent = [(request.method, request.path) for request in target.received]
    assert ("GET", "/files/f1/download") in sent
    assert elsewhere.received == []  # the other host got nothing
    for before, after in ((("GET", "/files/latest"), ("GET", "/files/f9")),
                          (("POST", "/orders"), ("GET", "/orders/o8"))):  # fmt: skip
        assert before in sent
        assert sent.count(after) == sent.count(before), (before, after)  # each one followed
    orders = [r for r in target.received if r.path == "/orders/o8"]
    assert all(r.body == b"" for r in orders)  # a 303 is fetched with a GET, without the body
    assert json.loads(next(r.body for r in target.received if r.path == "/orders")) == {"sku": "A1"}
