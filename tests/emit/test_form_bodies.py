"""Form and multipart request bodies, end to end with both engines: an API in Stripe's style (an
OAuth2 password login and charges as `application/x-www-form-urlencoded`, nested fields in
`deepObject` style), a multipart upload and a JSON body that is a string. The server decodes what it receives as a web
framework would; credentials with `&`, `=`, `+` and spaces must arrive intact."""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import default as email_policy
from pathlib import Path
from urllib.parse import parse_qs

import pytest
from click.testing import CliRunner

from inferload.cli import main
from tests.engines.recording_server import Received, RecordingServer
from tests.engines.runs import run_sessions

pytestmark = pytest.mark.engines
USERNAME = "alice+ops@example.test"
PASSWORD = 'p&ss=w rd+"1"'
TOKEN = "token-issued-by-the-test-server"
FORM = "application/x-www-form-urlencoded"
SPEC = """
openapi: 3.0.3
info: {title: Payments, version: "1"}
paths:
  /oauth/token:
    post:
      operationId: issueToken
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [grant_type, username, password]
              properties:
                grant_type: {type: string, enum: [password]}
                username: {type: string}
                password: {type: string}
      responses:
        "200":
          description: a bearer token
          content:
            application/json:
              schema: {type: object, properties: {access_token: {type: string}}}
  /v1/charges:
    post:
      operationId: createCharge
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [amount, currency, metadata, expand, tags]
              properties:
                amount: {type: integer, minimum: 50}
                currency: {type: string, pattern: "^[a-z]{3}$"}
                metadata:
                  type: object
                  required: [order]
                  properties: {order: {type: string, example: "A&B=1 \u00fc"}}
                expand: {type: array, items: {type: string, example: customer}}
                tags: {type: array, items: {type: string, enum: [x, y]}}
            encoding:
              metadata: {style: deepObject, explode: true}
              expand: {style: deepObject, explode: true}
      responses: {"200": {description: charged}}
  /v1/files:
    post:
      operationId: uploadFile
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          multipart/form-data:
            schema:
              type: object
              required: [purpose, file, options]
              properties:
                purpose: {type: string, enum: [dispute_evidence]}
                file: {type: string, format: binary}
                options:
                  type: object
                  required: [keep]
                  properties: {keep: {type: boolean}}
      responses: {"200": {description: stored}}
  /v1/notes:
    post:
      operationId: addNote
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: string, enum: ["refund \\"asked\\""]}
      responses: {"200": {description: noted}}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("forms")
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
    answer = lambda _method, path: {"access_token": TOKEN} if path == "/oauth/token" else {}  # noqa: E731
    with RecordingServer(document_for=answer) as running:
        yield running


def assert_bodies_decode(received: list[Received]) -> None:
    by_path: dict[str, list[Received]] = {}
    for request in received:
        by_path.setdefault(request.path, []).append(request)
    assert {"/oauth/token", "/v1/charges", "/v1/files", "/v1/notes"} <= set(by_path), sorted(
        by_path
    )
    for login in by_path["/oauth/token"]:
        assert login.content_type == FORM
        assert parse_qs(login.body.decode(), strict_parsing=True) == {
            "grant_type": ["password"], "username": [USERNAME], "password": [PASSWORD],
        }  # fmt: skip
    for charge in by_path["/v1/charges"]:
        assert (charge.content_type, charge.authorization) == (FORM, f"Bearer {TOKEN}")
        fields = parse_qs(charge.body.decode(), strict_parsing=True)
        assert fields.pop("currency")[0].isalpha()  # drawn from the pattern ^[a-z]{3}$
        assert fields == {
            "amount": ["50"], "metadata[order]": ["A&B=1 \u00fc"], "expand[0]": ["customer"],
            "tags": ["x"],
        }  # fmt: skip
    for upload in by_path["/v1/files"]:
        assert upload.content_type is not None and upload.authorization == f"Bearer {TOKEN}"
        message = BytesParser(policy=email_policy).parsebytes(
            b"Content-Type: " + upload.content_type.encode() + b"\r\n\r\n" + upload.body
        )
        assert message.get_content_type() == "multipart/form-data" and not message.defects
        parts = {part.get_param("name", header="content-disposition"): part for part in message.iter_parts()}  # fmt: skip
        assert parts["purpose"].get_content() == "dispute_evidence"
        assert (
            parts["file"].get_filename()
            and parts["file"].get_content_type() == "application/octet-stream"
        )
        assert json.loads(parts["options"].get_content()) == {"keep": True}
    for note in by_path["/v1/notes"]:  # a JSON body that is a string is a JSON string
        assert note.content_type == "application/json"
        assert json.loads(note.body) == 'refund "asked"'


@pytest.mark.parametrize("engine", ["k6", "artillery"])
def test_the_engines_send_form_and_multipart_bodies_a_server_can_read(
    engine: str, generated: Path, server: RecordingServer
) -> None:
    completed = run_sessions(
        engine, generated, 40, BASE_URL=server.base_url, THINK_SCALE="0",
        LOGIN_USERNAME=USERNAME, LOGIN_PASSWORD=PASSWORD,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert_bodies_decode(server.received)
