"""Addresses the requests hand the server (a callback URL, a webhook endpoint, a file to fetch)
are calls the server may make at the test's rate: the scripts point them at CALLBACK_URL, never
at the spec example's host, whichever way the value is written (query, JSON, form)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_sessions, script_start

pytestmark = pytest.mark.engines
SPEC = """
openapi: 3.0.3
info: {title: Subscriptions, version: "1"}
paths:
  /streams:
    post:
      operationId: subscribe
      parameters:
        - name: callbackUrl
          in: query
          required: true
          schema: {type: string, format: uri, example: "https://tonys-server.com"}
        - name: X-Notify-Url
          in: header
          required: true
          schema: {type: string, example: "https://tonys-server.com/notify"}
      responses: {"201": {description: subscribed}}
  /webhooks:
    post:
      operationId: addWebhook
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [url, events]
              properties:
                url: {type: string, format: uri, example: "https://hooks.partner.example.net/in?team=7"}
                events: {type: array, items: {type: string, example: order.paid}}
      responses: {"201": {description: added}}
  /imports:
    post:
      operationId: importFile
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [source_url, label]
              properties:
                source_url: {type: string, format: uri}
                label: {type: string, example: "https://docs.vendor.example.org is where it came from"}
      responses: {"201": {description: importing}}
"""
SINK = "http://127.0.0.1:9/sink"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("callbacks")
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


def test_the_plan_names_the_addresses_and_where_they_point(generated: Path) -> None:
    plan = (generated / "TEST-PLAN.md").read_text()
    assert "`POST /streams`: query.callbackUrl, header.X-Notify-Url" in plan
    assert "`POST /webhooks`: body.url" in plan
    assert "`POST /imports`: body.source_url" in plan
    for artifact in ("TEST-PLAN.md", "README.md", "k6/plan.json", "artillery/plan.json"):
        text = (generated / artifact).read_text()
        assert "tonys-server.com" not in text and "partner.example.net" not in text, artifact


@pytest.mark.parametrize("engine", ["k6", "artillery"])
@pytest.mark.parametrize("sink", [SINK, None], ids=["set", "default"])
def test_addresses_the_server_may_call_point_at_the_callback_url(
    engine: str, sink: str | None, generated: Path, server: RecordingServer
) -> None:
    env = {"CALLBACK_URL": SINK + "/"} if sink else {}  # a trailing slash is not doubled
    completed = run_sessions(
        engine, generated, 30, BASE_URL=server.base_url, THINK_SCALE="0", **env
    )
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    base = sink or "https://callback.example.test"
    seen = set()
    for request in server.received:
        where = urlsplit(request.path)
        seen.add(where.path)
        if where.path == "/streams":
            assert parse_qs(where.query) == {"callbackUrl": [base]}
            sent = {name.lower(): value for name, value in request.headers}
            assert sent["x-notify-url"] == f"{base}/notify"
        elif where.path == "/webhooks":
            assert json.loads(request.body) == {
                "url": f"{base}/in?team=7",
                "events": ["order.paid"],
            }
        elif where.path == "/imports":
            assert parse_qs(request.body.decode(), strict_parsing=True) == {
                "source_url": [f"{base}/item"],  # the schema's format, no example
                "label": ["https://docs.vendor.example.org is where it came from"],  # not a URL
            }
    assert seen == {"/streams", "/webhooks", "/imports"}


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_a_callback_url_that_would_break_the_bodies_is_refused(
    engine: str, generated: Path
) -> None:
    said = script_start(
        engine, generated, BASE_URL="http://127.0.0.1:9", CALLBACK_URL='http://x/"};alert(1)'
    )
    assert "is not an http(s) URL without spaces, quotes or braces" in said
