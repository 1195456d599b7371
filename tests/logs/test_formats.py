"""nginx log_format strings compile to parsers; the built-in formats are such strings."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import polars as pl
import pytest

from inferload.errors import InferloadError
from inferload.logs.detect import CADDY, TRAEFIK, JsonShape, shape_from_fields
from inferload.logs.formats import BUILTIN_FORMATS, LineFormat, compile_log_format
from inferload.logs.har import read_har
from inferload.logs.parse import DROPPED_AT_READ, NO_REQUEST, parse_json_lines, parse_text_lines

T_HAR = 1728568536.0  # 2024-10-10T13:55:36Z


def frame(*lines: str) -> pl.DataFrame:
    return pl.DataFrame({"line_no": list(range(1, len(lines) + 1)), "line": list(lines)})


def test_custom_format_with_timings_and_upstreams() -> None:
    line_format = compile_log_format(
        '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_user_agent" rt=$request_time urt="$upstream_response_time" sid=$cookie_sessionid'
    )
    records = parse_text_lines(
        frame(
            '10.1.2.3 - alice [10/Oct/2024:13:55:36 +0200] "POST /api/x?y=1 HTTP/2.0" 201 12 '
            '"curl/8" rt=0.250 urt="0.100, 0.120" sid=abc123',
            '10.1.2.4 - - [10/Oct/2024:13:55:37 +0200] "GET /api/z HTTP/1.1" 200 0 "-" rt=- urt="-" sid=-',
        ),
        line_format,
        source=0,
    )
    first, second = records.to_dicts()
    assert first["malformed"] is None and second["malformed"] is None
    assert (first["method"], first["path"], first["query"], first["status"]) == (
        "POST", "/api/x", "y=1", 201,
    )  # fmt: skip
    # nginx's time is the request's end, in whole seconds: a request of 250 ms started in it
    assert first["ts"] == pytest.approx(1728561336.0, abs=1e-6)
    assert second["ts"] == pytest.approx(1728561337.0, abs=1e-6)
    assert first["request_time_ms"] == pytest.approx(250.0)
    assert first["identity"] == "abc123"  # the session cookie beats $remote_user
    assert second["request_time_ms"] is None and second["identity"] is None


def test_unread_and_repeated_variables_are_matched_without_a_group() -> None:
    """$host and $body_bytes_sent feed nothing, and a repeated variable is read where it first
    appears: the pattern still has to match them, but only read fields cost a capture group."""
    line_format = compile_log_format(
        '$host $remote_addr [$time_local] "$request" $status $body_bytes_sent $remote_addr'
    )
    assert line_format.fields == ("client_ip", "time_local", "method", "path", "query", "status")
    assert re.compile(line_format.regex).groups == len(line_format.fields)
    (record,) = parse_text_lines(
        frame(
            'api.example 10.0.0.1 [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 512 10.9.9.9'
        ),
        line_format,
        0,
    ).to_dicts()
    assert (record["client_ip"], record["path"], record["status"]) == ("10.0.0.1", "/a", 200)
    assert record["malformed"] is None
    (short,) = parse_text_lines(
        frame('api.example 10.0.0.1 [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200'),
        line_format,
        0,
    ).to_dicts()
    assert short["malformed"] == "does not match the custom format"


def test_upstream_time_alone_is_summed_over_upstreams() -> None:
    line_format = compile_log_format('[$time_local] "$request" $status $upstream_response_time')
    (record,) = parse_text_lines(
        frame('[10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 502 0.010, 0.030'), line_format, 0
    ).to_dicts()
    assert record["request_time_ms"] == pytest.approx(40.0)


def test_apache_escaped_quotes_and_extra_spaces_fall_back_to_the_tolerant_pattern() -> None:
    records = parse_text_lines(
        frame(
            '1.2.3.4 - - [01/Aug/1995:00:00:01 -0400] "GET /a HTTP/1.0" 200 5 "-" "Agent \\"quoted\\" v1"',
            '1.2.3.4  -  -  [01/Aug/1995:00:00:02 -0400] "GET /b HTTP/1.0" 200 5 "-" "Agent"',
        ),
        BUILTIN_FORMATS["combined"],
        0,
    )
    assert records.get_column("malformed").to_list() == [None, None]
    assert records.get_column("path").to_list() == ["/a", "/b"]


_REQUEST_LINES = [
    # request line -> (method, path, query): split at the first two spaces, then the first `?`
    ("GET /a?b=1&c=2 HTTP/1.1", ("GET", "/a", "b=1&c=2")),
    ("GET /a?b?c HTTP/1.1", ("GET", "/a", "b?c")),
    ("GET /a? HTTP/1.1", ("GET", "/a", "")),
    ("get /a HTTP/1.1", ("GET", "/a", None)),
    ("GET /a", ("GET", "/a", None)),
    ("GET  /a HTTP/1.1", ("GET", "", None)),
    ("GET /a b c HTTP/1.1", ("GET", "/a", None)),
    ("GET", ("GET", None, None)),
]


@pytest.mark.parametrize("agent", ["curl/8", 'Agent \\"quoted\\"'], ids=["fast", "tolerant"])
@pytest.mark.parametrize(("request_line", "expected"), _REQUEST_LINES)
def test_the_request_line_is_split_into_method_path_and_query(
    request_line: str, expected: tuple[str | None, ...], agent: str
) -> None:
    """The regex splits `$request` itself; it must split as the line's spaces and first `?`
    do, whether the fast pattern reads the line or the tolerant one (an Apache-escaped quote in
    the agent sends it there)."""
    line = f'10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "{request_line}" 200 5 "-" "{agent}"'
    (record,) = parse_text_lines(frame(line), BUILTIN_FORMATS["combined"], 0).to_dicts()
    assert (record["method"], record["path"], record["query"]) == expected


@pytest.mark.parametrize("url", ["/a?b=1&c=2", "/a?b?c", "/a?", "/a"])
def test_a_url_field_is_split_at_its_first_question_mark_as_the_request_line_is(
    url: str, tmp_path: Path
) -> None:
    """`$request_uri` in a custom format, a JSON shape's URL and a HAR entry's URL give the path
    and query that `$request` gives (see the request-line cases above): the query is everything
    after the first `?`, later ones included; a bare `?` is an empty query, none is null."""
    request = f'10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET {url} HTTP/1.1" 200 5 "-" "curl/8"'
    (from_request,) = parse_text_lines(frame(request), BUILTIN_FORMATS["combined"], 0).to_dicts()
    custom = compile_log_format('$remote_addr [$time_local] "$request_method $request_uri" $status')
    line = f'10.0.0.1 [10/Oct/2024:13:55:36 +0000] "GET {url}" 200'
    (from_text,) = parse_text_lines(frame(line), custom, 0).to_dicts()
    document = {"ts": "2024-10-10T13:55:36Z", "method": "GET", "uri": url, "status": 200}
    paths = {"time_iso": "$.ts", "method": "$.method", "url": "$.uri", "status": "$.status"}
    (from_json,) = parse_json_lines(
        frame(json.dumps(document)), paths, None, 0, stamped_at_end=True
    ).to_dicts()
    entry = {"request": {"method": "GET", "url": f"http://127.0.0.1:8080{url}", "headers": []},
             "response": {"status": 200}, "startedDateTime": "2024-10-10T13:55:36Z"}  # fmt: skip
    har = tmp_path / "recording.har"
    har.write_text(json.dumps({"log": {"entries": [entry]}}))
    (from_har,) = read_har(har, 0)[0].to_dicts()
    for record in (from_text, from_json, from_har):
        assert record["malformed"] is None
        assert (record["path"], record["query"]) == (from_request["path"], from_request["query"])


@pytest.mark.parametrize(
    ("times", "expected"),
    [
        ([None, None, "2024-10-10T13:55:36Z", None], [-2, -1, 0, 1]),  # around the timed one
        ([None, None], [1 - T_HAR, 2 - T_HAR]),  # none timed: 1 s apart from the epoch
    ],
)
def test_har_entries_without_a_time_sit_next_to_the_timed_ones(
    times: list[str | None], expected: list[float], tmp_path: Path
) -> None:
    entries = [
        {"request": {"method": "GET", "url": f"https://api.test/{n}", "headers": []},
         "response": {"status": 200}} | ({"startedDateTime": t} if t else {})
        for n, t in enumerate(times)
    ]  # fmt: skip
    har = tmp_path / "recording.har"
    har.write_text(json.dumps({"log": {"entries": entries}}))
    records, notes = read_har(har, 0)
    assert [ts - T_HAR for ts in records["ts"].to_list()] == expected
    assert notes and "startedDateTime" in notes[0]


def test_methods_are_upper_cased_and_checked_per_row_in_a_mixed_chunk() -> None:
    """Methods are upper-cased and checked once per distinct value: each row must still get
    its own method and verdict, in a chunk that mixes valid, lower-case and invalid ones."""
    requests = ["GET /a HTTP/1.1", "get /b HTTP/1.1", "Post /c HTTP/1.1", "-", "G3T /d HTTP/1.1",
                "GET /e HTTP/1.1"]  # fmt: skip
    records = parse_text_lines(
        frame(
            *(f'10.0.0.1 - - [15/Feb/2013:06:00:31 +0000] "{r}" 200 0 "-" "-"' for r in requests)
        ),
        BUILTIN_FORMATS["combined"],
        0,
    )
    assert records.get_column("method").to_list() == ["GET", "GET", "POST", "-", "G3T", "GET"]
    bad = "request line is not 'METHOD URL PROTOCOL'"
    assert records.get_column("malformed").to_list() == [None, None, None, NO_REQUEST, bad, None]


def test_reading_the_last_quoted_value_by_a_split_gives_what_the_whole_pattern_gives() -> None:
    """A format ending in a quoted value reads its head by regex and that value by a split: on
    any line, records must be those of the whole pattern, malformed lines included."""
    head = '10.0.0.1 - - [15/Feb/2013:06:00:31 +0000] "GET /a?b=1 HTTP/1.1" 200 5'
    lines = [
        f'{head} "-" "Mozilla/5.0 (X11; Linux x86_64)"',
        f'{head} "" ""',  # empty referer and agent
        f'{head} "-" "curl/8" trailing fields after the agent',
        f'{head} "-" "no closing quote',
        f'{head} "-"',  # no agent at all
        f'{head} "ref" "agent" "third"',
        f'{head} "-" "Agent \\"quoted\\" v1"',  # Apache's escape: the tolerant pattern
        '10.0.0.1 " " [15/Feb/2013:06:00:31 +0000] "GET /b HTTP/1.1" 200 "" "ref" "agent"',
        f'{head} "-" "Ünïcödé агент 代理"',
        "garbage",
    ]
    combined = BUILTIN_FORMATS["combined"]
    assert combined.head_regex is not None
    whole = dataclasses.replace(combined, head_regex=None)
    by_split = parse_text_lines(frame(*lines), combined, 0)
    assert by_split.equals(parse_text_lines(frame(*lines), whole, 0))
    assert by_split.get_column("user_agent").to_list()[:3] == [
        "Mozilla/5.0 (X11; Linux x86_64)", "", "curl/8",
    ]  # fmt: skip
    assert by_split.get_column("malformed").null_count() == 7


def test_malformed_reasons() -> None:
    """A `"-"` request is how nginx and Apache log a connection that sent none (closed, timed
    out, TLS to a plain port): a well-formed line, counted as a drop, not as malformed."""
    records = parse_text_lines(
        frame(
            '10.0.0.1 - - [15/Feb/2013:06:00:31 +0000] "-" 400 0 "-" "-"',
            "garbage that is no log line",
            '10.0.0.1 - - [99/Xyz/2013:06:00:31 +0000] "GET / HTTP/1.1" 200 0 "-" "-"',
            '10.0.0.1 - - [15/Feb/2013:06:00:31 +0000] "\x16\x03\x01" 400 0 "-" "-"',
        ),
        BUILTIN_FORMATS["combined"],
        0,
    )
    assert records.get_column("malformed").to_list() == [
        NO_REQUEST,
        "does not match the combined format",
        "unreadable time",
        "request line is not 'METHOD URL PROTOCOL'",
    ]
    assert NO_REQUEST in DROPPED_AT_READ


def test_epoch_times_that_are_no_number_are_unreadable() -> None:
    records = parse_text_lines(
        frame(
            *(f'{msec} "GET /a HTTP/1.1" 200' for msec in ("nan", "inf", "1e400", "1700000000.5"))
        ),
        compile_log_format('$msec "$request" $status'),
        0,
    )
    assert records.get_column("malformed").to_list() == ["unreadable time"] * 3 + [None]
    assert records.get_column("ts").to_list()[3] == 1_700_000_000.5


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("no variables at all", "has no $variables"),
        ('$remote_addr "$request"', "lacks a time"),
        ("$remote_addr [$time_local]", "lacks $request or $request_uri"),
    ],
)
def test_unusable_formats_are_refused(source: str, message: str) -> None:
    with pytest.raises(InferloadError, match=re.escape(message)):
        compile_log_format(source)


PLAIN_MAIN = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_referer" "$http_user_agent" "$http_x_forwarded_for"'
)


@pytest.mark.parametrize(
    "pasted",
    [
        # nginx.conf's default `main`, as written there: quoted pieces over three lines
        """log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
                      '$status $body_bytes_sent "$http_referer" '
                      '"$http_user_agent" "$http_x_forwarded_for"';""",
        f"log_format main escape=json '{PLAIN_MAIN}';",
        f'log_format main "{PLAIN_MAIN.replace(chr(34), chr(92) + chr(34))}"',
    ],
)
def test_a_log_format_directive_pasted_from_nginx_conf_reads_as_its_string(pasted: str) -> None:
    assert compile_log_format(pasted).regex == compile_log_format(PLAIN_MAIN).regex
    (record,) = parse_text_lines(
        frame(
            '203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 612 "-" '
            '"Mozilla/5.0" "198.51.100.7, 10.0.0.1"'
        ),
        compile_log_format(pasted),
        0,
    ).to_dicts()
    assert (record["path"], record["client_ip"]) == ("/a", "198.51.100.7")


def test_a_log_format_directive_with_an_unclosed_quote_is_refused() -> None:
    with pytest.raises(InferloadError, match="cannot read the log_format directive"):
        compile_log_format('log_format main \'$remote_addr [$time_local] "$request"')


def test_microseconds_followed_by_another_field_read_in_a_custom_format() -> None:
    """The end-of-field check of a bare value belongs to the format's end only: inside a
    format, the next literal already delimits it (it used to swallow that literal's space)."""
    line_format = compile_log_format(
        '$remote_addr [$time_local] "$request" $status $request_time_us $host'
    )
    (record,) = parse_text_lines(
        frame('10.0.0.1 [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 250000 api.test'),
        line_format,
        0,
    ).to_dicts()
    assert record["malformed"] is None and record["request_time_ms"] == pytest.approx(250.0)


T_LINE = 1728568536.0  # 10/Oct/2024:13:55:36 +0000
CLF_HEAD = '10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8"'


@pytest.mark.parametrize(
    ("line_format", "line", "started"),
    [
        # nginx: the end; `$time_local` is whole seconds, so the start is whole seconds earlier
        (BUILTIN_FORMATS["combined_rt"], f"{CLF_HEAD} 3.200", T_LINE - 3),
        (BUILTIN_FORMATS["combined_rt"], f"{CLF_HEAD} 0.012", T_LINE),  # within that second
        (compile_log_format('$msec "$request" $status $request_time'),
         f'{T_LINE + 0.75:.3f} "GET /a HTTP/1.1" 200 3.200', T_LINE + 0.75 - 3.2),  # ms: exact
        # Apache, Traefik and Envoy: the start
        (BUILTIN_FORMATS["combined_us"], f"{CLF_HEAD} 3200000", T_LINE),
        (BUILTIN_FORMATS["traefik"], f'{CLF_HEAD} 7 "r@docker" "http://10.0.0.9:80" 3200ms', T_LINE),
        (BUILTIN_FORMATS["envoy"], '[2024-10-10T13:55:36.000Z] "GET /a HTTP/1.1" 200 - 0 5 3200 3180 '
                                   '"-" "curl/8" "id" "api" "10.0.0.9:80"', T_LINE),
    ],
)  # fmt: skip
def test_a_text_formats_time_is_taken_as_its_server_stamps_it(
    line_format: LineFormat, line: str, started: float
) -> None:
    """Records carry when each request started: nginx writes (and stamps) a line when the
    response is done, so its start is `$request_time` earlier; Apache, Traefik and Envoy stamp
    the start."""
    (record,) = parse_text_lines(frame(line), line_format, 0).to_dicts()
    assert record["malformed"] is None
    assert record["request_time_ms"] > 0
    assert record["ts"] == pytest.approx(started, abs=1e-6)


@pytest.mark.parametrize(
    ("shape", "document", "started"),
    [
        (CADDY, {"logger": "http.log.access", "ts": T_LINE + 0.75, "duration": 0.5,
                 "request": {"method": "GET", "uri": "/a"}, "status": 200}, T_LINE + 0.25),
        (TRAEFIK, {"StartUTC": "2024-10-10T13:55:36.75Z", "Duration": 500_000_000,
                   "RequestMethod": "GET", "RequestPath": "/a", "DownstreamStatus": 200}, T_LINE + 0.75),
        (shape_from_fields({"time": "at", "url": "uri", "duration_s": "took"}),
         {"at": T_LINE + 0.75, "uri": "/a", "took": 0.5, "method": "GET", "status": 200}, T_LINE + 0.25),
        (shape_from_fields({"time": "start_time", "url": "uri", "duration_s": "took"}),
         {"start_time": T_LINE + 0.75, "uri": "/a", "took": 0.5, "method": "GET", "status": 200},
         T_LINE + 0.75),
    ],
)  # fmt: skip
def test_a_json_records_time_is_its_end_unless_its_key_names_the_start(
    shape: JsonShape, document: dict[str, object], started: float
) -> None:
    """Loggers write an access record when the response is done and mostly stamp it then
    (Caddy, nginx's JSON, app middleware); `StartUTC` or `start_time` is the start."""
    shape = dataclasses.replace(shape, paths={"method": "$.method", "status": "$.status",
                                              **shape.paths})  # fmt: skip
    lines = frame(json.dumps(document))
    (record,) = parse_json_lines(
        lines, shape.paths, None, 0, stamped_at_end=shape.stamped_at_end
    ).to_dicts()
    assert record["malformed"] is None
    assert record["request_time_ms"] == pytest.approx(500.0)
    assert record["ts"] == pytest.approx(started, abs=1e-6)
