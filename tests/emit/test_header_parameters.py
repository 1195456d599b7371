"""Header parameters the spec requires are sent: a tenant or an API version the server refuses
a request without. An idempotency key or a request id is new for every request (one value for
all would have the server answer all but the first from its idempotency store)."""

from __future__ import annotations

import re
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
info: {title: Tenants, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      parameters:
        - {name: X-Tenant, in: header, required: true, schema: {type: string, enum: [acme, globex]}}
        - {name: X-Api-Version, in: header, required: true, example: "2024-06-01\\r\\nX-Evil: 1", schema: {type: string}}
        - {name: X-Features, in: header, required: true, example: [beta, fast], schema: {type: array, items: {type: string}}}
        - {name: Idempotency-Key, in: header, required: true, example: same-for-all, schema: {type: string}}
        - {name: X-Request-ID, in: header, required: true, schema: {type: string, format: uuid}}
        - {name: X-Debug, in: header, required: false, example: "on", schema: {type: string}}
        - {name: Accept, in: header, required: true, example: text/csv, schema: {type: string}}
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {sku: {type: string, example: A1}}}}}
      responses: {"201": {description: created}}
"""
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("headers")
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


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_required_header_parameters_are_sent_and_keys_are_fresh(
    engine: str, generated: Path, server: RecordingServer
) -> None:
    completed = run_sessions(engine, generated, 10, BASE_URL=server.base_url, THINK_SCALE="0")
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    sent = [
        {name.lower(): value for name, value in request.headers}
        for request in server.received
        if request.path == "/orders"
    ]
    assert len(sent) >= 10
    for headers in sent:
        assert headers["x-tenant"] == "acme"
        assert headers["x-api-version"] == "2024-06-01 X-Evil: 1"  # no header injected
        assert "x-evil" not in headers
        assert headers["x-features"] == "beta,fast"
        assert UUID.match(headers["x-request-id"]), headers["x-request-id"]
        assert "x-debug" not in headers  # optional: left to the server's default
        assert headers.get("accept") != "text/csv"  # not a parameter: the response types say
    for fresh in ("idempotency-key", "x-request-id"):
        values = [headers[fresh] for headers in sent]
        assert len(set(values)) == len(values), (fresh, values[:5])
