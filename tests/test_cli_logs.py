"""`inferload logs`: the report people read, JSON for machines, one-line errors."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import FIXTURES, SPECS
from tests.logs.builders import T0, combined, write_log


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_report_with_a_spec(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "access.log",
        [combined(T0 + i, f"GET /api/v3/pet/{i}") for i in range(5)]
        + [combined(T0 + 9, "GET /api/v3/nothing/here"), "not a log line"],
    )
    code, out, _ = invoke("logs", str(log), "--spec", str(SPECS / "petstore-v3/openapi.yaml"))
    assert code == 0
    assert "lines read 7; requests parsed 6; malformed 1; kept 5 (URL templates: spec)" in out
    assert f"{log}:7: does not match the combined format" in out
    assert "getPetById" in out and "/api/v3/nothing/here" in out
    assert "sessions 1" in out


def test_json_report_and_session_timeout(tmp_path: Path) -> None:
    log = write_log(tmp_path / "a.log", [combined(T0 + t, "GET /x/1") for t in (0, 100, 700)])
    code, out, _ = invoke("logs", str(log), "--json", "--session-timeout", "5m")
    assert code == 0
    report = json.loads(out)
    assert report["sessions"] == 2 and report["session_timeout_s"] == 300
    assert report["operations"] == {"GET /x/{id}": 3}
    assert report["peak_requests_per_s"] == 1


def test_bad_input_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.log"
    empty.write_text("")
    code, _, err = invoke("logs", str(empty))
    assert code == 2 and f"inferload: error: {empty}: empty log" in err
    code, _, err = invoke(
        "logs", str(FIXTURES / "logs/lnav-fixtures/logfile_caddy_log.0"), "--format", "common"
    )
    assert code == 2 and "try --format jsonl" in err
    code, _, err = invoke("logs", str(empty), "--session-timeout", "soon")
    assert code == 2 and "duration" in err
    code, _, err = invoke("logs", str(empty), "--field", "nonsense")
    assert code == 2 and "NAME=KEY" in err
    code, _, err = invoke("logs", str(empty), "--field", "time=at", "--field", "urll=req.target")
    assert code == 2
    assert "--field urll=req.target: no field is called 'urll'" in err and "url" in err
    code, _, err = invoke("logs", str(tmp_path))  # no spec: inputs read once are spooled
    assert code == 2 and f"{tmp_path}: is a directory, not a file" in err
    assert "Traceback" not in err


def test_a_utf16_log_is_named_as_such_with_the_way_to_convert_it(tmp_path: Path) -> None:
    """Windows PowerShell's `>` writes UTF-16 with CRLF: "binary content" would send the user
    looking for a compression format."""
    lines = (FIXTURES / "logs/nasa-aug95-20k/nasa.log").read_text().splitlines()[:20]
    log = tmp_path / "sample.log"
    log.write_bytes("\r\n".join(lines).encode("utf-16"))
    code, _, err = invoke("logs", str(log))
    assert code == 2 and "UTF-16 text, not UTF-8" in err and "iconv -f UTF-16" in err
    noise = tmp_path / "noise.log"
    noise.write_bytes(bytes(range(256)) * 40)
    code, _, err = invoke("logs", str(noise))
    assert code == 2 and "binary content" in err


def test_json_lines_with_a_field_mapping(tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text(
        "\n".join(
            json.dumps(
                {
                    "at": T0 + i,
                    "req": {"verb": "GET", "target": f"/orders/{i}"},
                    "code": 200,
                    "who": "u1",
                }
            )
            for i in range(3)
        )
    )
    code, out, _ = invoke(
        "logs", str(log), "--format", "jsonl", "--json",
        "--field", "time=at", "--field", "method=req.verb", "--field", "url=req.target",
        "--field", "status=code", "--field", "user=who",
    )  # fmt: skip
    assert code == 0, out
    report = json.loads(out)
    assert report["operations"] == {"GET /orders/{id}": 3} and report["sessions"] == 1


def test_json_lines_with_path_and_query_in_fields_of_their_own(tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    records = [
        {"at": T0 + i, "verb": "GET", "path": f"/orders/{i}", "q": "expand=items", "code": 200}
        for i in range(3)
    ] + [{"at": T0 + 3, "verb": "GET", "q": "a=1", "code": 200}]  # no path: unreadable
    log.write_text("\n".join(json.dumps(record) for record in records))
    code, out, _ = invoke(
        "logs", str(log), "--format", "jsonl", "--json", "--field", "time=at",
        "--field", "method=verb", "--field", "path=path", "--field", "query=q",
        "--field", "status=code",
    )  # fmt: skip
    assert code == 0, out
    report = json.loads(out)
    assert report["operations"] == {"GET /orders/{id}": 3}
    assert report["malformed_by_reason"] == {"no request URL": 1}


def test_infer_takes_the_same_log_options(tmp_path: Path) -> None:
    log = tmp_path / "app.jsonl"
    log.write_text(
        "\n".join(
            json.dumps(
                {
                    "at": T0 + 600 * s + 5 * i,
                    "req": {"verb": "GET", "target": f"/api/v3/pet/{i}"},
                    "code": 200,
                    "who": f"u{s}",
                }
            )
            for s in range(12)
            for i in range(3)
        )
    )
    out = tmp_path / "workload.yaml"
    code, output, err = invoke(
        "infer", "--spec", str(SPECS / "petstore-v3/openapi.yaml"), "--logs", str(log), "--format", "jsonl",
        "--field", "time=at", "--field", "method=req.verb", "--field", "url=req.target",
        "--field", "status=code", "--field", "user=who", "--session-timeout", "5m", "-o", str(out),
    )  # fmt: skip
    assert code == 0, output + err
    text = out.read_text()
    assert "getPetById" in text and "sessions: 12" in text


def _pipe_in(path: Path, text: str) -> threading.Thread:
    """A named pipe at `path` that a thread fills with `text`, as `<(zcat access.log.gz)` is."""
    os.mkfifo(path)

    def fill() -> None:
        with path.open("w") as pipe:
            pipe.write(text)

    writer = threading.Thread(target=fill, daemon=True)
    writer.start()
    return writer


def test_a_pipe_is_read_like_a_file(tmp_path: Path) -> None:
    """A log from a pipe (`inferload logs <(zcat a.gz)`), read in one pass with a spec and in
    two without one (spooled for that): no `tell()` on it for the progress (a traceback,
    'Illegal seek', before)."""
    lines = [combined(T0 + i, f"GET /api/v3/pet/{i}") for i in range(5)]
    text = "\n".join(lines) + "\n"
    writer = _pipe_in(tmp_path / "with-spec", text)
    code, out, err = invoke("logs", str(tmp_path / "with-spec"), "--json",
                            "--spec", str(SPECS / "petstore-v3/openapi.yaml"))  # fmt: skip
    writer.join(timeout=10)
    assert code == 0, err
    assert json.loads(out)["operations"] == {"getPetById": 5}
    writer = _pipe_in(tmp_path / "no-spec", text)
    code, out, err = invoke("logs", str(tmp_path / "no-spec"), "--json")
    writer.join(timeout=10)
    assert code == 0, err
    report = json.loads(out)
    assert report["operations"] == {"GET /api/v3/pet/{id}": 5} and report["lines_read"] == 5


def test_a_har_from_a_pipe(tmp_path: Path) -> None:
    """A HAR is one JSON document: from a pipe it is read from its spooled copy when there is no
    spec (two passes), and named as given; with a spec (one pass, nothing spooled) a clear
    error says to save it (it was 'invalid HAR JSON', the pipe's start already read)."""
    har = FIXTURES / "har/grafana-har-to-k6/test/e2e/pass/x-www-form-url-encoded.har"
    writer = _pipe_in(tmp_path / "recording", har.read_text())
    code, out, err = invoke("logs", str(tmp_path / "recording"), "--json")
    writer.join(timeout=10)
    assert code == 0, err
    report = json.loads(out)
    assert report["sources"][0]["format"] == "har" and report["kept_requests"] > 0
    assert report["sources"][0]["name"] == str(tmp_path / "recording")
    assert not any("inferload-spool" in note for note in report["notes"]), report["notes"]
    writer = _pipe_in(tmp_path / "with-spec", har.read_text())
    code, _, err = invoke("logs", str(tmp_path / "with-spec"),
                          "--spec", str(SPECS / "petstore-v3/openapi.yaml"))  # fmt: skip
    writer.join(timeout=10)
    assert code == 2 and f"{tmp_path / 'with-spec'}: a HAR must be a file" in err
    assert "save it to a file" in err and "Traceback" not in err
