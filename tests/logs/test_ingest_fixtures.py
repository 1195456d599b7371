"""Ingest of the real public logs in fixtures/logs and fixtures/har."""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from inferload.errors import InferloadError
from inferload.logs import IngestOptions, IngestReport, LogIngest, Session
from inferload.logs.prefetch import GIL_HANDOFF_S
from inferload.spec import load_catalog
from tests.conftest import FIXTURES

LOGS = FIXTURES / "logs"


def ingest(*paths: str | Path, **options: object) -> tuple[list[Session], IngestReport]:
    run = LogIngest(list(paths), None, IngestOptions(**options))  # type: ignore[arg-type]
    sessions = list(run)
    assert run.report is not None
    return sessions, run.report


def test_elastic_apache_combined() -> None:
    sessions, report = ingest(LOGS / "elastic-apache/apache_logs")
    assert report.sources[0].format == "combined"
    assert (report.lines_read, report.records, report.malformed) == (10_000, 9_999, 1)
    assert report.malformed_examples[0].line_no == 8899
    assert report.dropped["static asset"] > 4_000
    assert report.dropped["bot or crawler"] > 1_000
    assert report.kept_requests == sum(len(s) for s in sessions)
    assert report.sessions == len(sessions) > 100
    assert "GET /projects/xdotool" in report.operations


def test_nasa_common_format_and_its_time_zone() -> None:
    sessions, report = ingest(LOGS / "nasa-aug95-20k/nasa.log")
    assert report.sources[0].format == "common"
    assert (report.lines_read, report.malformed) == (20_000, 0)
    # 01/Aug/1995:00:00:01 -0400 is 04:00:01 UTC
    assert report.first_s == pytest.approx(807249601.0, abs=10)
    assert all(s.timestamps_s == tuple(sorted(s.timestamps_s)) for s in sessions)


def test_nasa_broken_records_are_counted_with_their_lines() -> None:
    _, report = ingest(LOGS / "nasa-aug95-subset/NASA_access_log_Aug95")
    assert report.lines_read == 1_930
    assert report.malformed == 89
    assert [m.line_no for m in report.malformed_examples[:2]] == [38, 39]
    assert report.records == 1_930 - 89


def test_shop_log_templates_and_bots() -> None:
    _, report = ingest(LOGS / "lnav-fixtures/logfile_shop_access_log.0")
    assert report.template_source == "inferred from logs"
    assert "GET /product/{id}" in report.operations
    assert "GET /image/{id}/productModel/200x200" in report.operations
    assert report.dropped["bot or crawler"] > 100


def test_bad_access_log() -> None:
    _, report = ingest(LOGS / "lnav-fixtures/logfile_bad_access_log.0")
    assert report.malformed == 1 and report.malformed_examples[0].line_no == 2


def test_control_bytes_are_malformed_lines_not_a_crash(tmp_path: Path) -> None:
    """The line splitter's separator byte (0x1f) in binary garbage, first in a chunk and within
    a valid line: each line stays one line, so line numbers stay exact."""
    lines = (LOGS / "elastic-apache/apache_logs").read_bytes().splitlines(keepends=True)[:40]
    lines[0] = b"\x1f\x00garbage\x1f\n"
    lines[20] = lines[20].replace(b'"-"', b'"\x1f"', 1)  # a referer of one control byte
    lines[30] = b"\x1fmore garbage\n"
    log = tmp_path / "control.log"
    log.write_bytes(b"".join(lines))
    _, report = ingest(log, chunk_bytes=2_000)  # several chunks: some start with garbage
    assert report.lines_read == 40
    assert [m.line_no for m in report.malformed_examples] == [1, 31]
    assert report.records == 38


def test_invalid_utf8_is_replaced_and_the_line_kept(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 (a Latin-1 agent, a cut multi-byte character) become U+FFFD:
    the lines around them, and they themselves, are read; counts and line numbers stay exact."""
    lines = (LOGS / "elastic-apache/apache_logs").read_bytes().splitlines(keepends=True)[:40]
    lines[5] = lines[5].replace(b'"Mozilla', b'"Mozilla \xe9t\xe9', 1)
    lines[25] = lines[25].replace(b'" 200', b'\xe2\x82" 200', 1)  # in the request line
    lines[26] = b"\xff\xfe broken\n"
    log = tmp_path / "latin1.log"
    log.write_bytes(b"".join(lines))
    _, report = ingest(log, chunk_bytes=2_000)
    assert report.lines_read == 40
    assert [m.line_no for m in report.malformed_examples] == [27]
    assert report.records == 39


def test_caddy_json_skips_its_startup_messages() -> None:
    sessions, report = ingest(LOGS / "lnav-fixtures/logfile_caddy_log.0")
    assert report.sources[0].format == "jsonl (caddy)"
    assert report.records == 4 and report.malformed == 0
    assert report.dropped["not an access record"] == report.lines_read - 4 == 35
    assert sum(len(s) for s in sessions) + report.dropped.get("static asset", 0) == 4


def test_cloudflare_json() -> None:
    sessions, report = ingest(LOGS / "lnav-fixtures/logfile_cloudflare.json")
    assert report.sources[0].format == "jsonl (cloudflare)"
    assert report.operations == {"HEAD /": 1}
    assert sessions[0].statuses == (301,)


def test_har_is_one_client_session() -> None:
    sessions, report = ingest(FIXTURES / "har/grafana-har-to-k6/example/full.har")
    assert report.sources[0].format == "har"
    # eight entries: seven to httpbin.org, one to test.k6.io (another host, dropped)
    assert len(sessions) == 1 and len(sessions[0]) == 7
    assert report.dropped == {"another host than the API's": 1}
    assert any("startedDateTime" in note for note in report.notes)


def test_har_recording_with_real_timings() -> None:
    sessions, report = ingest(
        FIXTURES / "har/grafana-har-to-k6/test/e2e/pass/better-variable-avoidance.har"
    )
    assert report.records > 0
    assert all(d is None or d >= 0 for s in sessions for d in s.durations_ms)


def test_gzip_and_stdin_give_the_same_report(tmp_path: Path) -> None:
    source = LOGS / "elastic-apache/apache_logs"
    zipped = tmp_path / "apache_logs.gz"
    with source.open("rb") as raw, gzip.open(zipped, "wb") as packed:
        shutil.copyfileobj(raw, packed)
    _, plain = ingest(source)
    _, from_gzip = ingest(zipped)
    assert (from_gzip.records, from_gzip.operations) == (plain.records, plain.operations)
    completed = subprocess.run(
        [sys.executable, "-m", "inferload", "logs", "-", "--json"],
        stdin=zipped.open("rb"),
        capture_output=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    assert b'"name": "<stdin>"' in completed.stdout
    assert f'"kept_requests": {plain.kept_requests}'.encode() in completed.stdout


def test_the_gil_changes_hands_faster_only_while_ingesting() -> None:
    before = sys.getswitchinterval()
    run = LogIngest([LOGS / "nasa-aug95-20k/nasa.log"], None)
    during = [sys.getswitchinterval() for _ in run]
    assert during and max(during) <= GIL_HANDOFF_S < before
    assert sys.getswitchinterval() == before


def test_apache_vhost_combined_with_microsecond_durations() -> None:
    """lnav's sample is Apache's `vhost_combined` with `%D` appended: detected without
    help, each request's duration read as microseconds (116075 us is 116 ms, not 32 hours)."""
    sessions, report = ingest(LOGS / "lnav-fixtures/logfile_regexp_access_log.0")
    assert report.sources[0].format == "vhost_combined_us"
    assert (report.records, report.malformed) == (2, 0)
    durations = sorted(d for s in sessions for d in s.durations_ms)
    assert durations == pytest.approx([116.075, 156.302])


@pytest.mark.parametrize(
    ("tail", "expected_format", "expected_ms"),
    [
        (" 0.250", "combined_rt", 250.0),  # nginx $request_time: seconds, always with decimals
        (" 250000", "combined_us", 250.0),  # Apache %D: whole microseconds
        (" 0.250 0.248", "combined_rt", 250.0),  # $request_time $upstream_response_time
        # more after an integer: no `%D` (Apache's combinedio: bytes in and out)
        (" 250000 extra", "combined", None),
        (" 512 1024", "combined", None),
        ("", "combined", None),
    ],
)
def test_a_trailing_duration_is_read_in_the_unit_its_writer_uses(
    tmp_path: Path, tail: str, expected_format: str, expected_ms: float | None
) -> None:
    log = tmp_path / "access.log"
    log.write_text(
        "".join(
            f'10.0.0.{i} - - [10/Oct/2024:13:55:{i:02d} +0000] "GET /a/{i} HTTP/1.1" 200 5 '
            f'"-" "Mozilla/5.0"{tail}\n'
            for i in range(10)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == expected_format
    assert report.malformed == 0
    # nginx's durations say nginx, which stamps a request's end; Apache stamps its start
    assert report.sources[0].stamped_at_end == (expected_format == "combined_rt")
    if tail == " 250000 extra":  # named, a format reads lines with more after it
        _, asked = ingest(log, format="combined_us")
        assert asked.sources[0].format == "combined_us" and asked.malformed == 0
    durations = [d for s in sessions for d in s.durations_ms]
    assert len(durations) == 10
    assert durations == [pytest.approx(expected_ms) if expected_ms else None] * 10


def test_ingress_nginx_logs_read_the_request_time_not_the_request_length(tmp_path: Path) -> None:
    """The Kubernetes ingress-nginx default writes `$request_length $request_time` after the
    agent: the integer first is no Apache `%D`. Retried upstreams write lists (`a, b`)."""
    upstream = [
        "[default-lms-8080] [] 10.244.1.7:8080 512 0.004 200",
        "[default-lms-8080] [] 10.244.1.7:8080, 10.244.1.8:8080 0, 88 0.010, 0.011 502, 201",
        "[default-lms-8080] [default-lms-canary-8080] 10.244.1.9:8080 88 0.020 : 0.001 201 : 201",
    ]
    log = tmp_path / "ingress.log"
    log.write_text(
        "".join(
            f'10.244.0.{i} - - [06/Dec/2026:20:00:{i:02d} +0000] "GET /a/{i} HTTP/1.1" 200 512 '
            f'"-" "Mozilla/5.0 (X11; Linux x86_64)" {389 + i} 0.0{i + 1}1 {upstream[i % 3]} '
            f"6a2b7c0e9f1d4a3b8c5d6e7f8a9b0c{i:02d}\n"
            for i in range(9)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "ingress_nginx"
    assert report.malformed == 0
    durations = sorted(d for s in sessions for d in s.durations_ms if d is not None)
    assert durations == pytest.approx([11.0 + 10 * i for i in range(9)])


def test_traefik_logs_read_the_duration_not_the_request_counter(tmp_path: Path) -> None:
    """Traefik's default format puts its request counter after the agent, and the duration last,
    in ms: the counter is no Apache `%D`."""
    log = tmp_path / "traefik.log"
    log.write_text(
        "".join(
            f'192.168.1.{i} - - [06/Dec/2026:20:00:{i:02d} +0000] "GET /a/{i} HTTP/1.1" 200 512 "-" '
            f'"Mozilla/5.0 (X11)" {4000 + i} "{"lms@docker" if i % 2 else "-"}" '
            f'"{"http://172.18.0.3:8080" if i % 2 else "-"}" {7 + i}ms\n'
            for i in range(6)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "traefik"
    assert report.malformed == 0
    assert sorted(d for s in sessions for d in s.durations_ms) == [7.0 + i for i in range(6)]


ISTIO_LINE = (
    '[2020-11-25T21:26:{s:02d}.409Z] "GET /status/{s} HTTP/1.1" 200 - via_upstream - "-" 0 135 {ms} 4'
    ' "{xff}" "Mozilla/5.0 (X11)" "84961386-6d84-929d-98bd-c5aee93b5c88" "httpbin:8000" "10.44.1.27:80"'
    " outbound|8000||httpbin.foo.svc.cluster.local 10.44.1.23:37652 10.44.1.27:80 10.44.1.23:{port} - default"
)
ENVOY_LINE = (
    '[2016-04-15T20:17:{s:02d}.310Z] "POST /api/v1/locations HTTP/2" 204 - 154 0 {ms} 100 "{xff}"'
    ' "nsq2http" "cc21d9b0-cf5c-432b-8c7e-98aeb7988cd2" "locations" "tcp://10.0.2.1:80"'
)


@pytest.mark.parametrize(
    ("line", "expected_format"), [(ISTIO_LINE, "istio"), (ENVOY_LINE, "envoy")]
)
def test_envoy_and_istio_text_logs(tmp_path: Path, line: str, expected_format: str) -> None:
    """Their default text formats open with the start time in brackets; the duration is in ms.
    The client is the first X-Forwarded-For address, else (Istio) the downstream peer, whose
    port changes with each connection."""
    forwarded = ["-", "203.0.113.9, 10.0.0.1", "-", "203.0.113.9"]
    log = tmp_path / "access.log"
    log.write_text(
        "".join(
            line.format(s=i, ms=10 + i, xff=forwarded[i], port=40000 + i) + "\n" for i in range(4)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == expected_format
    assert report.malformed == 0
    assert sorted(d for s in sessions for d in s.durations_ms) == [10.0, 11.0, 12.0, 13.0]
    assert sorted(len(s) for s in sessions) == [2, 2]  # 203.0.113.9, and the peer (or none)


def test_nginx_main_format_keys_clients_by_their_forwarded_address(tmp_path: Path) -> None:
    """nginx's default `main` format adds "$http_x_forwarded_for": behind a load balancer every
    line comes from the balancer's address, and only that header tells the visitors apart (its
    first address; `-` when the request came straight in)."""
    forwarded = ["198.51.100.7", "198.51.100.8, 10.1.1.1", "198.51.100.9", "-"]
    log = tmp_path / "access.log"
    log.write_text(
        "".join(
            f'10.0.0.2 - - [06/Dec/2026:20:00:{i:02d} +0000] "GET /a/{i} HTTP/1.1" 200 5 "-" '
            f'"Mozilla/5.0 (X11; Linux x86_64)" "{forwarded[i % 4]}"\n'
            for i in range(12)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "nginx_main"
    assert sorted(len(s) for s in sessions) == [3, 3, 3, 3]
    seconds = sorted(tuple(int(t) % 60 for t in s.timestamps_s) for s in sessions)
    assert seconds == [tuple(range(start, 12, 4)) for start in range(4)]


@pytest.mark.parametrize("listed", [2, 8], ids=["some lines", "most lines"])
def test_apache_logging_the_forwarded_for_list_first_keys_clients_by_its_first_address(
    tmp_path: Path, listed: int
) -> None:
    """Apache behind a proxy logs `%{X-Forwarded-For}i` where `%h` stands in combined: one
    address per hop. Such lines were malformed (and a log of mostly such lines unrecognised)."""
    forwarded = ["198.51.100.7, 10.1.1.1", "198.51.100.8, 10.1.1.1, 10.2.2.2", "198.51.100.9"]
    log = tmp_path / "access.log"
    log.write_text(
        "".join(
            f"{forwarded[i % 3] if i < listed else forwarded[i % 3].split(',')[0]} - - "
            f'[06/Dec/2026:20:00:{i:02d} +0000] "GET /a/{i} HTTP/1.1" 200 5 "-" "Mozilla/5.0"\n'
            for i in range(12)
        )
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "combined" and report.malformed == 0
    seconds = sorted(tuple(int(t) % 60 for t in s.timestamps_s) for s in sessions)
    assert seconds == [tuple(range(start, 12, 3)) for start in range(3)]  # three visitors


def browser_har(path: Path) -> Path:
    """A page's recording: two API calls, five to a CDN, one to an analytics host."""
    urls = [
        "https://api.test/v1/items", "https://cdn.test/a", "https://cdn.test/b",
        "https://api.test/v1/items/7", "https://cdn.test/c", "https://cdn.test/d",
        "https://cdn.test/e", "https://stats.test/collect?cid=1",
    ]  # fmt: skip
    entries = [
        {"startedDateTime": f"2024-10-10T13:55:{n:02d}Z",
         "request": {"method": "GET", "url": url, "headers": []}, "response": {"status": 200}}
        for n, url in enumerate(urls)
    ]  # fmt: skip
    path.write_text(json.dumps({"log": {"entries": entries}}))
    return path


def test_a_har_keeps_the_hosts_the_specs_servers_name(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(
        "openapi: 3.0.3\ninfo: {title: Items, version: '1'}\n"
        "servers: [{url: 'https://API.test/v1'}]\npaths:\n"
        "  /items: {get: {responses: {'200': {description: ok}}}}\n"
        "  /items/{id}:\n    get:\n      parameters: [{name: id, in: path, required: true, schema: {type: integer}}]\n"
        "      responses: {'200': {description: ok}}\n"
    )
    run = LogIngest([str(browser_har(tmp_path / "page.har"))], load_catalog(spec), IngestOptions())
    list(run)
    assert run.report is not None
    assert run.report.kept_requests == 2  # the CDN is busier, but the spec names api.test
    assert run.report.dropped["another host than the API's"] == 6
    assert "matches no operation" not in run.report.dropped
    assert any("kept the calls to api.test (the spec's servers)" in n for n in run.report.notes)


def test_without_a_spec_a_har_keeps_its_busiest_host(tmp_path: Path) -> None:
    _, report = ingest(browser_har(tmp_path / "page.har"))
    assert report.dropped["another host than the API's"] == 3
    assert set(report.operations) == {"GET /a", "GET /b", "GET /c", "GET /d", "GET /e"}
    assert report.malformed == 0


def test_a_har_entry_without_a_host_is_never_the_api(tmp_path: Path) -> None:
    """har-to-k6's `${proto}://...` entry names no host: tied with the real host's one call,
    it was kept as "the busiest", and the note read "kept the calls to  (the busiest)"."""
    _, report = ingest(
        FIXTURES / "har/grafana-har-to-k6/test/e2e/pass/variable-instead-of-protocol.har"
    )
    assert set(report.operations) == {"POST /"}  # test.k6.io's call
    assert any(
        "kept the calls to test.k6.io (the busiest); dropped (none) 1" in n for n in report.notes
    )


JSON_ACCESS_LOGS = {
    "traefik": '{"ClientAddr":"203.0.113.9:51234","ClientHost":"203.0.113.9",'
    '"DownstreamStatus":201,"Duration":{ms}000000,"RequestMethod":"POST",'
    '"RequestPath":"/api/items/{n}?x=1","StartUTC":"2024-10-10T13:55:{s}.5Z",'
    '"request_User-Agent":"Mozilla/5.0","level":"info","time":"2024-10-10T13:55:{s}Z"}',
    "envoy": '{"start_time":"2024-10-10T13:55:{s}.500Z","method":"POST",'
    '"path":"/api/items/{n}?x=1","response_code":201,"duration":{ms},'
    '"user_agent":"Mozilla/5.0","downstream_remote_address":"203.0.113.9:5{n}"}',
    "google-cloud": '{"httpRequest":{"requestMethod":"POST",'
    '"requestUrl":"https://api.example.com/api/items/{n}?x=1","status":201,'
    '"userAgent":"Mozilla/5.0","remoteIp":"[2001:db8::9]:4{n}","latency":"0.{ms}s"},'
    '"timestamp":"2024-10-10T13:55:{s}.5Z","severity":"INFO"}',
    "json": '{"time_local":"10/Oct/2024:13:55:{s} +0000","remote_addr":"203.0.113.9",'
    '"request":"POST /api/items/{n}?x=1 HTTP/1.1","status":"201","request_time":"0.{ms}",'
    '"http_user_agent":"Mozilla/5.0"}',
}


@pytest.mark.parametrize("shape", sorted(JSON_ACCESS_LOGS))
def test_json_access_logs_of_common_proxies_read_without_help(shape: str, tmp_path: Path) -> None:
    """Traefik, Envoy/Istio, Google Cloud request logs and nginx's `escape=json` logs (with
    `$time_local`): detected, durations in their units (ns, ms, "0.250s", s), a client's port
    or an absolute URL's origin left out, so one visitor stays one session."""
    template = JSON_ACCESS_LOGS[shape]
    lines = [
        template.replace("{n}", str(n)).replace("{s}", f"{10 + n:02d}").replace("{ms}", "250")
        for n in range(5)
    ]
    log = tmp_path / "access.json"
    log.write_text("\n".join(lines) + "\n")
    sessions, report = ingest(log)
    assert report.sources[0].format == f"jsonl ({shape})"
    assert (report.records, report.malformed) == (5, 0)
    assert report.operations == {"POST /api/items/{id}": 5}
    (session,) = sessions  # every port, one client
    assert session.durations_ms == (pytest.approx(250.0),) * 5
    assert session.statuses == (201,) * 5
    assert session.timestamps_s[1] - session.timestamps_s[0] == pytest.approx(1.0)


IIS_HEADER = (
    "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n"
    "#Date: 2024-10-10 13:55:00\n#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query "
    "s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus "
    "sc-win32-status time-taken\n"
)


def iis_line(second: int, client: int, target: str, status: int = 200, taken_ms: int = 31) -> str:
    path, _, query = target.partition("?")
    return (
        f"2024-10-10 13:55:{second:02d} 10.0.0.5 GET {path} {query or '-'} 443 - "
        f"203.0.113.{client} Mozilla/5.0+(Windows+NT+10.0;+Win64;+x64) - {status} 0 0 {taken_ms}\n"
    )


def test_an_iis_w3c_log_reads_by_its_fields_directive(tmp_path: Path) -> None:
    """The columns come from `#Fields:`; directives (also a header repeated after a restart)
    are no requests; a line with a column missing is malformed with its line number."""
    log = tmp_path / "u_ex241010.log"
    log.write_text(
        IIS_HEADER
        + iis_line(1, 1, "/api/orders/17?expand=items")
        + iis_line(2, 2, "/api/orders/18")
        + IIS_HEADER  # the service restarted
        + iis_line(3, 1, "/api/orders/19", status=404, taken_ms=7)
        + "2024-10-10 13:55:04 10.0.0.5 GET /api/orders/20 - 443\n"
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "w3c"
    assert report.malformed == 1 and report.malformed_examples[0].line_no == 12
    assert report.dropped == {"not an access record": 8}
    assert report.operations == {"GET /api/orders/{id}": 3}
    by_count = sorted(sessions, key=len)
    assert [len(s) for s in by_count] == [1, 2]  # two clients (c-ip + the agent, '+' as ' ')
    assert by_count[1].statuses == (200, 404) and by_count[1].durations_ms == (31.0, 7.0)
    assert by_count[1].timestamps_s[1] - by_count[1].timestamps_s[0] == pytest.approx(2.0)


def test_an_iis_request_starts_its_time_taken_before_the_time_iis_logs(tmp_path: Path) -> None:
    """IIS stamps a request when it has answered: an export that took 4 s, logged at :10,
    started at :06, four seconds after the request before it (logged at :02, in 31 ms)."""
    log = tmp_path / "u_ex241010.log"
    log.write_text(
        IIS_HEADER
        + iis_line(2, 1, "/api/orders/17")
        + iis_line(10, 1, "/api/orders/18", taken_ms=4000)
    )
    (session,), report = ingest(log)
    assert session.timestamps_s[1] - session.timestamps_s[0] == pytest.approx(4.0)
    assert report.sources[0].stamped_at_end  # the report says how its times were read


def test_lnavs_w3c_sample_is_detected() -> None:
    _, report = ingest(LOGS / "lnav-fixtures/logfile_w3c.0")
    assert report.sources[0].format == "w3c"
    assert (report.records, report.malformed) == (1, 0)
    assert report.dropped == {"not an access record": 4, "static asset": 1}


def test_asking_for_w3c_on_another_format_says_what_it_looks_like() -> None:
    with pytest.raises(InferloadError) as caught:
        ingest(LOGS / "elastic-apache/apache_logs", format="w3c")
    assert "no line reads as w3c" in caught.value.message
    assert "the lines read as combined: try --format combined" in (caught.value.hint or "")


def test_a_format_that_reads_less_of_the_lines_than_another_is_noted() -> None:
    """`--format common` reads combined lines too, without their agents (bots then pass as
    users): the report says which format reads more of them."""
    _, common = ingest(LOGS / "elastic-apache/apache_logs", format="common")
    assert any("the lines read as combined, which reads more" in note for note in common.notes)
    _, combined = ingest(LOGS / "elastic-apache/apache_logs", format="combined")
    assert not any("reads more" in note for note in combined.notes)


def alb_line(
    second: int, port: int, request: str, target_s: str = "0.048", status: int = 200
) -> str:
    """An AWS Application Load Balancer access log entry, as AWS documents the layout."""
    return (
        f"https 2024-10-10T13:55:{second:02d}.186641Z app/my-lb/50dc6c495c0c9188 "
        f"192.168.131.39:{port} 10.0.0.1:80 0.001 {target_s} 0.000 {status} {status} 0 57 "
        f'"{request}" "Mozilla/5.0 (X11; Linux x86_64)" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 '
        "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/t/73e2d6bc24d8a067 "
        '"Root=1-58337281-1d84f3d73c47ec4e58577259" "api.example.com" "-" 1 '
        '2024-10-10T13:55:00.000000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1\n'
    )


def test_an_aws_alb_log_reads_its_absolute_urls_and_target_times(tmp_path: Path) -> None:
    log = tmp_path / "alb.log"
    log.write_text(
        alb_line(1, 2817, "GET https://api.example.com:443/api/items/7?x=1 HTTP/1.1")
        + alb_line(2, 2901, "POST https://api.example.com:443/api/items HTTP/1.1", status=201)
        + alb_line(3, 3011, "GET https://api.example.com:443 HTTP/1.1", target_s="-1", status=503)
    )
    sessions, report = ingest(log)
    assert report.sources[0].format == "alb"
    assert (report.records, report.malformed) == (3, 0)
    assert report.operations == {"GET /api/items/{id}": 1, "POST /api/items": 1, "GET /": 1}
    (session,) = sessions  # one client however many connections (ports) it opened
    assert session.durations_ms == (pytest.approx(48.0), pytest.approx(48.0), None)  # -1: none
    assert session.statuses == (200, 201, 503)


def test_a_cloudfront_log_is_w3c_with_tabs_and_seconds(tmp_path: Path) -> None:
    fields = (
        "date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status "
        "cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id "
        "x-host-header cs-protocol cs-bytes time-taken x-forwarded-for"
    )
    rows = [
        ["2024-10-10", f"13:55:0{n}", "SEA19-C1", "2390", "203.0.113.9", "GET",
         "d111111abcdef8.cloudfront.net", f"/api/items/{n}", "200", "-",
         "Mozilla/5.0%20(Windows%20NT%2010.0)", "page=2" if n else "-", "-", "Miss",
         "bEnqX==", "api.example.com", "https", "148", "0.125", "-"]
        for n in range(3)
    ]  # fmt: skip
    log = tmp_path / "E2EXAMPLE.2024-10-10-13.log"
    log.write_text(
        "#Version: 1.0\n#Fields: " + fields + "\n" + "".join("\t".join(r) + "\n" for r in rows)
    )
    (session,), report = ingest(log)
    assert report.sources[0].format == "w3c"
    assert (report.records, report.malformed) == (3, 0)
    assert report.operations == {"GET /api/items/{id}": 3}
    assert session.durations_ms == (pytest.approx(125.0),) * 3  # seconds with a decimal point


def test_lnavs_haproxy_log_reads_requests_among_the_proxys_messages() -> None:
    sessions, report = ingest(LOGS / "lnav-fixtures/logfile_haproxy.0")
    assert report.sources[0].format == "haproxy"
    assert (report.lines_read, report.records, report.malformed) == (17, 13, 0)
    # "Proxy ... started." three times and an SSL handshake failure: no requests
    assert report.dropped["not an access record"] == 4
    # Tt, the last timer: the whole request in ms (`0/0/7/1457/1487` for the first request)
    durations = sorted(d for s in sessions for d in s.durations_ms)
    assert durations == [38.0, 62.0, 236.0, 328.0, 1039.0, 1487.0, 2442.0, 2707.0]


def test_a_raw_haproxy_log_with_an_aborted_request(tmp_path: Path) -> None:
    log = tmp_path / "haproxy.log"
    log.write_text(
        '10.1.2.3:4001 [10/Oct/2024:13:55:36.120] fe be/s1 0/0/1/20/21 200 512 - - ---- 1/1/0/0/0 0/0 "GET /api/items/7?x=1 HTTP/1.1"\n'
        '10.1.2.3:4002 [10/Oct/2024:13:55:38.120] fe be/s1 0/0/-1/-1/-1 503 212 - - SC-- 1/1/0/0/0 0/0 "POST /api/items HTTP/1.1"\n'
    )  # fmt: skip
    (session,), report = ingest(log)
    assert report.sources[0].format == "haproxy"
    assert report.operations == {"GET /api/items/{id}": 1, "POST /api/items": 1}
    assert session.durations_ms == (21.0, None) and session.statuses == (200, 503)
    assert session.timestamps_s[1] - session.timestamps_s[0] == pytest.approx(2.0)
