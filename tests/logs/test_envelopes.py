"""Access-log lines inside syslog, Kubernetes, kubectl, docker compose and Docker JSON envelopes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from inferload.errors import InferloadError
from inferload.logs import IngestOptions, IngestReport, LogIngest, Session
from tests.conftest import FIXTURES
from tests.logs.builders import T0, combined, write_log

WRAPS: dict[str, Callable[[int, str], str]] = {
    "syslog": lambda i, line: f"Dec  6 20:00:{i:02d} web1 nginx: {line}",
    "syslog ": lambda i, line: f"<190>Dec  6 20:00:{i:02d} web1 nginx[812]: {line}",
    "syslog  ": lambda i, line: f"2026-12-06T20:00:{i:02d}.123456+00:00 web1 nginx: {line}",
    "syslog (RFC 5424)": lambda i, line: f'<190>1 2026-12-06T20:00:{i:02d}Z web1 nginx - - [meta seq="{i}"] {line}',
    "Kubernetes container log": lambda i, line: f"2026-12-06T20:00:{i:02d}.123456789Z stdout F {line}",
    "timestamped (kubectl/docker logs)": lambda i, line: f"2026-12-06T20:00:{i:02d}.123456789Z {line}",
    "docker compose": lambda i, line: f"web-1  | {line}",
    "docker json-file": lambda i, line: json.dumps({"log": line + "\n", "stream": "stdout", "time": "2026-12-06T20:00:00Z"}),
}  # fmt: skip
REQUESTS = [f"GET /v1/items/{i}" for i in range(10)]


def ingest(path: Path, **options: object) -> tuple[list[Session], IngestReport]:
    run = LogIngest([path], None, IngestOptions(**options))  # type: ignore[arg-type]
    sessions = list(run)
    assert run.report is not None
    return sessions, run.report


def wrapped_log(path: Path, wrap: Callable[[int, str], str]) -> Path:
    lines = [
        combined(T0 + 7 * i, request, extra=f"{(i + 1) / 100:.3f}")
        for i, request in enumerate(REQUESTS)
    ]
    return write_log(path, [wrap(i, line) for i, line in enumerate(lines)])


@pytest.mark.parametrize("envelope", WRAPS)
def test_the_access_line_inside_an_envelope_is_read_with_its_own_time(
    tmp_path: Path, envelope: str
) -> None:
    """Detected without help; times, paths and durations are the inner line's (the envelope's
    own time, where it has one, is another clock and not read)."""
    sessions, report = ingest(wrapped_log(tmp_path / "wrapped.log", WRAPS[envelope]))
    assert report.sources[0].format == f"combined_rt in {envelope.strip()}"
    assert (report.records, report.malformed, report.dropped) == (10, 0, {})
    assert [s.timestamps_s for s in sessions] == [tuple(T0 + 7 * i for i in range(10))]
    assert sessions[0].durations_ms == pytest.approx([10.0 * (i + 1) for i in range(10)])
    assert report.operations == {"GET /v1/items/{id}": 10}


def test_a_format_named_on_the_command_line_is_found_inside_an_envelope(tmp_path: Path) -> None:
    log = wrapped_log(tmp_path / "cri.log", WRAPS["Kubernetes container log"])
    _, report = ingest(log, format="combined")
    assert report.sources[0].format == "combined in Kubernetes container log"
    assert report.records == 10 and report.malformed == 0


def test_other_programs_in_a_syslog_stream_are_no_access_records(tmp_path: Path) -> None:
    """A syslog file holds sudo's and cron's messages too: dropped as not an access record. A
    broken access line in it is still malformed, with its line number."""
    wrap = WRAPS["syslog"]
    lines = [wrap(i, combined(T0 + i, request)) for i, request in enumerate(REQUESTS)]
    lines[3:3] = [
        "Dec  6 20:00:03 web1 sudo: ops : TTY=pts/0 ; PWD=/home/ops ; COMMAND=/bin/ls",
        "Dec  6 20:00:03 web1 --- last message repeated 2 times ---",
        wrap(3, '203.0.113.7 - - [broken "GET /v1/items/3 HTTP/1.1" 200'),
    ]
    _, report = ingest(write_log(tmp_path / "syslog", lines))
    assert report.sources[0].format == "combined in syslog"
    assert report.dropped == {"not an access record": 2}
    assert report.malformed == 1
    assert [example.line_no for example in report.malformed_examples] == [6]
    assert report.kept_requests == 10


def test_caddy_json_inside_dockers_json_file_is_read_as_caddy(tmp_path: Path) -> None:
    """The JSON envelope holds JSON: lnav's Caddy sample, as Docker's json-file driver
    stores it, reads as the Caddy sample itself does."""
    caddy = FIXTURES / "logs/lnav-fixtures/logfile_caddy_log.0"
    inner = [line.split("| ", 1)[1] for line in caddy.read_text().splitlines()]
    log = write_log(
        tmp_path / "container-json.log",
        [json.dumps({"log": text + "\n", "stream": "stderr", "time": "2025-10-21T04:10:22Z"}) for text in inner],
    )  # fmt: skip
    plain_sessions, plain = ingest(caddy)
    sessions, report = ingest(log)
    assert report.sources[0].format == "jsonl (caddy) in docker json-file"
    assert (report.records, report.dropped, report.operations) == (
        plain.records,
        plain.dropped,
        plain.operations,
    )
    assert [s.timestamps_s for s in sessions] == [s.timestamps_s for s in plain_sessions]
    _, asked = ingest(log, format="jsonl")
    assert asked.operations == plain.operations


def test_lines_in_no_envelope_and_no_format_are_refused_clearly(tmp_path: Path) -> None:
    """lnav's syslog sample carries Tomcat lines without a time of their own: no format reads
    them, wrapped or not, and the error names the file's first line."""
    with pytest.raises(InferloadError, match="unrecognised log format") as raised:
        ingest(FIXTURES / "logs/lnav-fixtures/logfile_syslog_with_access_log.0")
    assert raised.value.location is not None and raised.value.location.line == 1


def test_haproxy_logging_to_a_containers_stdout_is_read_inside_the_kubernetes_log(
    tmp_path: Path,
) -> None:
    """HAProxy in a container logs raw lines to stdout (`log stdout format raw`): on the node
    they sit behind CRI's prefix. lnav's HAProxy sample, its syslog header replaced so, reads
    as the sample itself does."""
    sample = FIXTURES / "logs/lnav-fixtures/logfile_haproxy.0"
    raw = [line.split("]: ", 1)[1] for line in sample.read_text().splitlines()]
    log = write_log(
        tmp_path / "haproxy.log",
        [f"2019-02-25T16:19:49.000000000Z stdout F {line}" for line in raw],
    )
    plain_sessions, plain = ingest(sample)
    sessions, report = ingest(log)
    assert report.sources[0].format == "haproxy in Kubernetes container log"
    assert (report.records, report.dropped, report.malformed) == (
        plain.records,
        plain.dropped,
        plain.malformed,
    )
    assert [s.timestamps_s for s in sessions] == [s.timestamps_s for s in plain_sessions]
    _, asked = ingest(log, format="haproxy")
    assert asked.records == plain.records
