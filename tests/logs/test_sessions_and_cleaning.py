"""Generated logs whose sessions, drops and secrets the test knows exactly."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import polars as pl
import pytest

from inferload.errors import InferloadError
from inferload.logs import IngestOptions, LogIngest, Session
from inferload.logs.clean import path_drop_reason
from inferload.logs.model import decode_params
from inferload.logs.scrub import client_fingerprint
from inferload.logs.sessions import Sessionizer
from inferload.spec import load_catalog
from tests.conftest import SPECS
from tests.logs.builders import BROWSER, T0, combined, write_log

PETSTORE = SPECS / "petstore-v3/openapi.yaml"


def run(
    paths: list[Path], spec: Path | None = PETSTORE, **options: object
) -> tuple[list[Session], LogIngest]:
    catalog = load_catalog(spec) if spec else None
    ingest = LogIngest(list(paths), catalog, IngestOptions(salt=b"test-salt", **options))  # type: ignore[arg-type]
    return list(ingest), ingest


def test_known_sessions_across_files_chunks_and_late_lines(tmp_path: Path) -> None:
    """Three clients; one pauses 45 min (two sessions); lines a little out of order; the log
    split over two files and read in tiny chunks, so sessions cross chunk boundaries."""
    rng = random.Random(3)
    plan = {
        "198.51.100.1": [0, 20, 45, 90, 3000, 3010],  # gap 2910 s > 1800 s: two sessions
        "198.51.100.2": [5, 8, 400, 1500],
        "198.51.100.3": [100, 101, 102],
    }
    lines: list[tuple[float, str]] = []
    for ip, offsets in plan.items():
        for offset in offsets:
            lines.append((T0 + offset, combined(T0 + offset, "GET /api/v3/pet/7", ip=ip)))
    # request-end order: each line written up to 2 s after its start
    lines.sort(key=lambda item: item[0] + rng.random() * 2)
    half = len(lines) // 2
    first = write_log(
        tmp_path / "a.log",
        [line for _, line in lines[:half:2]] + [line for _, line in lines[half::2]],
    )
    second = write_log(
        tmp_path / "b.log",
        [line for _, line in lines[1:half:2]] + [line for _, line in lines[half + 1 :: 2]],
    )
    sessions, ingest = run([first, second], chunk_bytes=300)
    lengths = sorted(len(s) for s in sessions)
    assert lengths == [2, 3, 4, 4]
    assert all(s.timestamps_s == tuple(sorted(s.timestamps_s)) for s in sessions)
    assert {s.operations for s in sessions} == {("getPetById",) * n for n in (2, 3, 4)}
    assert ingest.report is not None and ingest.report.sessions == 4
    assert ingest.report.operations == {"getPetById": 13}


def test_logs_of_two_servers_joined_into_one_file_are_reported(tmp_path: Path) -> None:
    """A load balancer sent each client's requests to two servers in turn. Their logs as two
    files are merged by time: one session per client, no note. Joined into one file, the second
    server's lines go back an hour: sessions are cut there, and the report says where and why."""
    servers: list[list[str]] = [[], []]
    for minute in range(60):
        for client in range(3):
            at = T0 + 60 * minute + 10 * client + 3  # lines a few seconds out of order are normal
            servers[minute % 2].append(combined(at, "GET /api/v3/pet/7", ip=f"198.51.100.{client}"))
    apart = [write_log(tmp_path / f"server{n}.log", lines) for n, lines in enumerate(servers)]
    sessions, ingest = run(apart, chunk_bytes=2_000)
    assert ingest.report is not None
    assert sorted(len(s) for s in sessions) == [60, 60, 60]
    assert not [note for note in ingest.report.notes if "earlier than a line before" in note]

    joined = write_log(tmp_path / "joined.log", servers[0] + servers[1])
    sessions, ingest = run([joined], chunk_bytes=2_000)
    assert ingest.report is not None
    assert len(sessions) > 3
    notes = [note for note in ingest.report.notes if "earlier than a line before" in note]
    # the first server's last line is at 58 min 23 s: the second's lines up to minute 55 are
    # more than 2 min behind it (28 minutes x 3 clients), the one at 1 min 3 s by 57 min 20 s
    assert notes == [
        f"{joined}: 84 line(s) more than 2 min earlier than a line before them (by up to 57 min;"
        " the first at line 91): sessions are cut there. Logs of several servers joined into one"
        " file? Pass them as separate files: they are merged by time."
    ]


def test_a_session_is_a_frozen_value() -> None:
    """Session sets its fields through their slots itself: it must stay a frozen value."""
    import dataclasses

    session = Session("00ff", ("a", "b"), (1.0, 2.5), (200, 404), (None, 12.0))
    assert (session.client, session.operations, session.timestamps_s) == (
        "00ff",
        ("a", "b"),
        (1.0, 2.5),
    )
    assert (session.statuses, session.durations_ms, len(session)) == ((200, 404), (None, 12.0), 2)
    assert session.duration_s == 1.5
    twin = Session("00ff", ("a", "b"), (1.0, 2.5), (200, 404), (None, 12.0))
    assert session == twin and hash(session) == hash(twin)
    assert session != dataclasses.replace(session, client="0100")
    with pytest.raises(dataclasses.FrozenInstanceError):
        session.client = "0100"  # type: ignore[misc]


def test_session_timeout_is_configurable(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "a.log",
        [combined(T0 + t, "GET /api/v3/store/inventory") for t in (0, 200, 400, 1000)],
    )
    assert len(run([log], session_timeout_s=300)[0]) == 2
    assert len(run([log])[0]) == 1


def test_drops_by_reason_and_unmatched_shapes(tmp_path: Path) -> None:
    log = write_log(
        tmp_path / "a.log",
        [
            combined(T0, "GET /api/v3/pet/1"),
            combined(T0 + 1, "OPTIONS /api/v3/pet/1"),
            combined(T0 + 2, "GET /api/v3/health", agent="ELB-HealthChecker/2.0"),
            combined(T0 + 3, "GET /healthz"),
            combined(T0 + 4, "GET /api/v3/pet/2", agent="Mozilla/5.0 (compatible; Googlebot/2.1)"),
            combined(T0 + 5, "GET /api/v3/pet/3", agent="UptimeRobot/2.0"),
            combined(T0 + 6, "GET /static/app.js"),
            combined(T0 + 7, "GET /api/v3/orders/123/items"),
            combined(T0 + 8, "GET /api/v3/orders/456/items"),
            combined(T0 + 9, "DELETE /api/v3/store/inventory"),
            combined(T0 + 10, "GET /api/v3/pet/4", agent="okhttp/4.12.0"),
            combined(T0 + 11, "GET /api/v3/pet/5", agent="Grafana k6/1.1.0"),
            combined(T0 + 12, "GET /api/v3/pet/6", agent="k6/0.49.0 (https://k6.io/)"),
            combined(T0 + 13, "GET /api/v3/pet/7", agent="Artillery (https://artillery.io)"),
            combined(T0 + 14, "GET /api/v3/pet/8", agent="ApacheBench/2.3"),
        ],
    )
    sessions, ingest = run([log])
    report = ingest.report
    assert report is not None
    assert report.dropped == {
        "OPTIONS preflight": 1,
        "load-test tool": 4,  # a test's own traffic is no user's
        "health check": 2,
        "bot or crawler": 1,
        "monitoring probe": 1,
        "static asset": 1,
        "matches no operation": 3,
    }
    shapes = {(u.method, u.shape): u.count for u in report.unmatched}
    assert shapes[("GET", "/api/v3/orders/{number}/items")] == 2
    assert "DELETE is not documented" in next(
        u.reason for u in report.unmatched if u.method == "DELETE"
    )
    assert report.operations == {"getPetById": 2}  # the browser and the okhttp app


def test_requests_meet_their_own_match_when_pair_hashes_collide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Matches are joined back on a hash of (method, path); with every pair sharing one hash
    the join must still give each request its own pair's match, counts and drops included."""
    lines = [
        combined(T0 + 2 * i, f"{method} {path}", ip=f"192.0.2.{i % 5}")
        for i, (method, path) in enumerate(
            [("GET", "/api/v3/pet/1"), ("DELETE", "/api/v3/pet/1"), ("GET", "/api/v3/store/inventory"),
             ("GET", "/static/app.js"), ("GET", "/healthz"), ("POST", "/api/v3/pet"), ("GET", "/nowhere")] * 6
        )
    ]  # fmt: skip
    log = write_log(tmp_path / "a.log", lines)
    expected_sessions, expected = run([log], chunk_bytes=1500)
    monkeypatch.setattr("inferload.logs.clean._PAIR", pl.lit(7, dtype=pl.UInt64).alias("_pair"))
    sessions, collided = run([log], chunk_bytes=1500)
    assert sessions == expected_sessions
    assert collided.report is not None and expected.report is not None
    assert collided.report.operations == expected.report.operations == {
        "getPetById": 6, "deletePet": 6, "getInventory": 6, "addPet": 6,
    }  # fmt: skip
    assert collided.report.dropped == expected.report.dropped
    assert collided.report.unmatched == expected.report.unmatched


@pytest.mark.parametrize(
    ("path", "claimed", "reason"),
    [
        ("/healthz", False, "health check"),
        ("/api/v3/Health/", True, "health check"),  # a health check even when documented
        ("/actuator/health", False, "health check"),
        ("/api/health/history", False, None),  # the word, but not the last segment
        ("/static/app.js", False, "static asset"),
        ("/ASSETS/logo", False, "static asset"),
        ("/static", False, None),  # the directory's name alone is no file in it
        ("/img/Logo.PNG", False, "static asset"),
        ("/icons/menu.xbm", False, "static asset"),  # the 1990s' icons (NASA's log)
        ("/shuttle/movies/launch.MPG", False, "static asset"),
        ("/app/engine.wasm", False, "static asset"),
        ("/report.pdf", True, None),  # an operation serves it: kept
        ("/a.css/b", False, None),
        ("/api/v3/pet/12", False, None),
    ],
)
def test_health_and_static_paths(path: str, claimed: bool, reason: str | None) -> None:
    paths = pl.DataFrame(
        {"path": [path], "operation_id": ["anOperation" if claimed else None]},
        schema={"path": pl.String, "operation_id": pl.String},
    )
    assert path_drop_reason(paths).get_column("path_drop").to_list() == [reason]


def test_nothing_personal_leaves_the_ingest(tmp_path: Path) -> None:
    secrets = [
        "jane.doe@example.com",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "sk_live_51HqLyjWDarjtT1zdp7dcXhQ7PZqEEVuU9hH3kXtSfN2",
        "192.0.2.44",
        "s3cr3t-cookie-value",
    ]
    log_format = (
        '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
        '"$http_user_agent" "$http_authorization" "$http_cookie"'
    )
    lines = [
        f'192.0.2.44 - - [14/Nov/2023:22:13:21 +0000] "GET /api/v3/user/login?username={secrets[0]}&password=hunter2 HTTP/1.1" 200 5 "Mozilla" "Bearer {secrets[1]}" "sessionid={secrets[4]}"',
        f'192.0.2.44 - - [14/Nov/2023:22:13:25 +0000] "GET /api/v3/user/{secrets[0]}?api_key={secrets[2]}&page=2 HTTP/1.1" 200 5 "Mozilla" "Bearer {secrets[1]}" "-"',
        f'192.0.2.44 - - [14/Nov/2023:22:13:29 +0000] "GET /api/v3/pet/findByStatus?status=sold&ref={secrets[3]} HTTP/1.1" 200 5 "Mozilla" "-" "sessionid={secrets[4]}"',
    ]
    log = write_log(tmp_path / "a.log", lines)
    sessions, ingest = run([log], log_format=log_format, aggregate_operations=True)
    assert sum(len(s) for s in sessions) == 3
    aggregates = ingest.aggregates  # the per-operation values that feed the data pools
    dumped = (
        json.dumps([s.__repr__() for s in sessions])
        + json.dumps(ingest.report.to_dict(), default=str)  # type: ignore[union-attr]
        + repr((aggregates.params, aggregates.queries))
    )
    for secret in [*secrets, "hunter2"]:
        assert secret not in dumped
    queries = [q for counter in aggregates.queries.values() for q in counter]
    assert "status=sold&ref=<ip>" in queries
    assert any("page=2" in q and "api_key=<redacted>" in q for q in queries)
    params = [decode_params(p) for counter in aggregates.params.values() for p in counter]
    assert (("username", "<email>"),) in params
    # the bearer token and the session cookie identify the same user in different requests:
    # they are different keys, yet each client is a 16-hex-digit hash
    assert all(len(s.client) == 16 for s in sessions)


def test_each_client_is_the_keyed_hash_of_its_key(tmp_path: Path) -> None:
    """The client of a session is the salted BLAKE2b of its key's fingerprint: the user field
    first, else IP + agent. Keys seen in several chunks, or only once, hash the same way."""
    lines = []
    for minute in range(40):  # three clients, many chunks: each chunk hashes its own keys
        at = T0 + 45 * minute
        lines.append(combined(at, "GET /api/v3/pet/1", ip="192.0.2.1"))
        lines.append(combined(at + 1, "GET /api/v3/pet/2", ip="192.0.2.1", agent="okhttp/4.12.0"))
        lines.append(combined(at + 2, "GET /api/v3/pet/3", ip=f"192.0.2.{2 + minute}", user="ada"))
    sessions, _ = run([write_log(tmp_path / "a.log", lines)], chunk_bytes=2000)

    def keyed(identity: str | None, ip: str, agent: str) -> str:
        parts = {"identity": identity, "authorization": None, "cookie": None, "client_ip": ip,
                 "user_agent": agent}  # fmt: skip
        row = pl.DataFrame(
            {name: [value] for name, value in parts.items()}, schema=dict.fromkeys(parts, pl.String)
        )
        fingerprint = row.select(client_fingerprint()).item()
        return hashlib.blake2b(
            fingerprint.to_bytes(8, "big"), key=b"test-salt", digest_size=8
        ).hexdigest()

    assert {s.client: len(s) for s in sessions} == {
        keyed(None, "192.0.2.1", BROWSER): 40,
        keyed(None, "192.0.2.1", "okhttp/4.12.0"): 40,
        keyed("ada", "203.0.113.9", "any"): 40,  # one user from forty addresses
    }


def test_sessions_are_cut_in_client_time_and_log_order() -> None:
    """Within a chunk, requests are ordered by client, time, then place in the log, whatever
    order they arrive in: equal times keep log order, and a chunk spanning years (too wide
    for the packed sort key) is ordered the same way."""
    import polars as pl

    rng = random.Random(11)
    # ten minutes, rows in log order or not, clients told apart by their hashes' top bits or
    # only by their low bits; back to 1970 (a zeroed time field), in log order
    for span_s, shuffled, low in (
        (600.0, False, 1),
        (600.0, True, 1),
        (600.0, False, 3),
        (T0, False, 1),
    ):
        rows = [
            (
                rng.randrange(30) * 2**58 + rng.randrange(low),
                T0 - rng.choice([0.0, 0.5, rng.random() * span_s]),
                seq,
            )
            for seq in range(3000)
        ]
        if shuffled:
            rng.shuffle(rows)
        events = pl.DataFrame(
            {
                "client": [client for client, _, _ in rows],
                "ts": [ts for _, ts, _ in rows],
                "operation_id": [str(seq) for _, _, seq in rows],
                "status": [200] * len(rows),
                "request_time_ms": [None] * len(rows),
                "seq": [seq for _, _, seq in rows],
            },
            schema_overrides={"client": pl.UInt64, "request_time_ms": pl.Float64},
        )
        pieces = Sessionizer(timeout_s=1e12).cut(events)
        expected = sorted(rows)
        assert pieces.clients == [f"{client:016x}" for client in sorted({c for c, _, _ in rows})]
        assert pieces.columns[1] == tuple(str(seq) for _, _, seq in expected)


def test_bounded_memory_closes_sessions_as_the_stream_advances() -> None:
    """Open sessions track concurrently active clients, not the log's size."""
    import polars as pl

    sessionizer = Sessionizer(timeout_s=60, lateness_s=0)
    closed = 0
    max_open = 0
    for chunk in range(50):
        start = T0 + chunk * 100
        events = pl.DataFrame(
            {
                "client": [chunk * 100 + i for i in range(20)],
                "ts": [start + i for i in range(20)],
                "operation_id": ["op"] * 20,
                "status": [200] * 20,
                "request_time_ms": [None] * 20,
                "seq": [chunk * 20 + i for i in range(20)],
            },
            schema_overrides={
                "client": pl.UInt64,
                "request_time_ms": pl.Float64,
                "query": pl.String,
            },
        )
        closed += len(sessionizer.feed(sessionizer.cut(events), watermark_s=start + 19))
        max_open = max(max_open, sessionizer.open_sessions)
    closed += len(sessionizer.close_all())
    assert closed == 1000
    assert max_open <= 40


@pytest.mark.parametrize(
    ("content", "options", "message", "hint"),
    [
        (b"", {}, "empty log", None),
        (b"\n\n   \n", {}, "empty log", None),
        (b"\x00\x01\x02binary\xff\xfe" * 200, {}, "binary content, not a text log", "Decompress"),
        (b"\x00\x01\x02binary\xff\xfe" * 200, {"format": "combined"}, "binary content", None),
        (
            b'{"ts": 1, "msg": "x"}\n',
            {"format": "combined"},
            "no line reads as combined",
            "try --format jsonl",
        ),
        (
            b'1.2.3.4 - - [01/Aug/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 5\n',
            {"format": "jsonl"},
            "no line reads as jsonl",
            "the lines read as common: try --format common",
        ),
        (  # the format that reads the lines, not a list that repeats the one asked for
            b'1.2.3.4 - - [01/Aug/1995:00:00:01 -0400] "GET / HTTP/1.0" 200 5\n',
            {"format": "combined"},
            "no line reads as combined",
            "the lines read as common: try --format common",
        ),
        (
            b"1.2.3.4 said hello\n",
            {"format": "combined"},
            "no line reads as combined",
            "text access log; try --format combined, common or --log-format",
        ),
    ],
)
def test_bad_inputs_are_clear_errors(
    tmp_path: Path, content: bytes, options: dict[str, str], message: str, hint: str | None
) -> None:
    log = tmp_path / "input.log"
    log.write_bytes(content)
    with pytest.raises(InferloadError) as caught:
        run([log], spec=None, **options)
    assert message in caught.value.message
    if hint:
        assert hint in (caught.value.hint or "")
    assert str(log) in caught.value.one_line()


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InferloadError, match="no such file"):
        run([tmp_path / "nope.log"])
