"""The live progress line follows the engines' output (no engine run needed here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inferload.run.progress import ArtilleryWatcher, K6Watcher


def point(time: str, ms: float, failed: bool = False) -> str:
    return json.dumps({
        "metric": "http_req_duration", "type": "Point",
        "data": {"time": time, "value": ms, "tags": {"expected_response": str(not failed).lower()}},
    })  # fmt: skip


def test_k6_window_spans_midnight(tmp_path: Path) -> None:
    points = tmp_path / "points.json"
    lines = [
        '{"metric":"vus","type":"Point","data":{"time":"2026-11-28T23:59:50+01:00","value":7}}',
        point("2026-11-28T23:59:50.250000001+01:00", 100),  # more than 10 s before the last
        point("2026-11-28T23:59:58.5+01:00", 200, failed=True),
        point("2026-11-29T00:00:03.123456789+01:00", 300),
    ]
    points.write_text("\n".join(lines) + "\n")
    progress = K6Watcher(points).poll(elapsed_s=30)
    assert progress.users == 7
    assert progress.requests == 3
    assert progress.rps == pytest.approx(2 / 10)  # the last 10 s, across midnight
    assert progress.error_rate == pytest.approx(1 / 3)
    assert progress.p95_ms == pytest.approx(295)


def test_k6_window_drops_points_older_than_ten_seconds(tmp_path: Path) -> None:
    points = tmp_path / "points.json"
    points.write_text(
        point("2026-11-28T12:00:00Z", 100) + "\n" + point("2026-11-28T12:00:20Z", 50) + "\n"
    )
    progress = K6Watcher(points).poll(elapsed_s=60)
    assert (progress.requests, progress.rps, progress.p95_ms) == (2, pytest.approx(0.1), 50)


def test_artillery_period_summaries() -> None:
    watcher = ArtilleryWatcher()
    periods = [
        [
            "http.codes.200: ................................................ 18",
            "http.codes.500: ................................................ 2",
            "http.request_rate: ............................................. 4/sec",
            "http.requests: ................................................. 20",
            "http.response_time:",
            "  min: ......................................................... 1",
            "  p95: ......................................................... 87.4",
            "vusers.completed: .............................................. 2",
            "vusers.created: ................................................ 5",
        ],
        [
            "http.requests: ................................................. 10",
            "vusers.created: ................................................ 4",
            "vusers.completed: .............................................. 3",
            "vusers.failed: ................................................. 1",
        ],
        [
            "Summary report @ 12:00:30(+0000)",
            "http.requests: ................................................. 999",
        ],
    ]
    for line in periods[0]:
        watcher.feed(line)
    first = watcher.poll(elapsed_s=10)
    assert (first.requests, first.users, first.p95_ms) == (20, 3, 87.4)  # 5 started, 2 done
    assert first.error_rate == pytest.approx(0.1)
    for line in periods[1] + periods[2]:
        watcher.feed(line)
    second = watcher.poll(elapsed_s=20)
    assert (second.requests, second.users) == (30, 3)  # 3 + 4 started - 4 ended


def test_k6_users_are_the_sessions_begun_and_not_ended(tmp_path: Path) -> None:
    """k6's `vus` also counts sessions waiting for their random start; the script counts the
    sessions it began and ended, and those are the users in flight."""
    points = tmp_path / "points.json"
    counted = [  # compact, as k6 writes its lines
        json.dumps({"metric": metric, "type": "Point", "data": {"time": "2026-11-28T12:00:01Z", "value": 1}}, separators=(",", ":"))
        for metric in ["sessions_begun"] * 5 + ["sessions_ended"] * 2
    ]  # fmt: skip
    vus = '{"metric":"vus","type":"Point","data":{"time":"2026-11-28T12:00:01Z","value":12}}'
    points.write_text("\n".join([vus, *counted]) + "\n")
    assert K6Watcher(points).poll(elapsed_s=2).users == 3


def test_artillery_users_are_the_sessions_begun_and_not_ended() -> None:
    watcher = ArtilleryWatcher()
    for line in [
        "sessions.begun: ................................................ 6",
        "vusers.completed: .............................................. 2",
        "vusers.created: ................................................ 11",  # 5 still waiting
    ]:
        watcher.feed(line)
    assert watcher.poll(elapsed_s=10).users == 4
