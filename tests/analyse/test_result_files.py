"""The readers on real engine output (fixtures/results, see its NOTE), checked against the
engines' own totals, and `report` on them end to end."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.analyse.levels import load_levels
from inferload.analyse.readers import read_run
from inferload.analyse.samples import ALL
from inferload.cli import main
from tests.conftest import FIXTURES

RESULTS = FIXTURES / "results"


def test_k6_points_match_k6s_own_summary() -> None:
    run = read_run(RESULTS / "k6-smoke")
    summary = json.loads((RESULTS / "k6-smoke" / "k6-summary.json").read_text())["metrics"]
    overall = run.samples.stats(0, run.samples.span_s + 1)[ALL]
    assert overall.requests == summary["http_reqs"]["values"]["count"]
    duration = summary["http_req_duration"]["values"]
    assert overall.p95_ms == pytest.approx(duration["p(95)"], rel=0.02)
    assert overall.max_ms == pytest.approx(duration["max"])
    assert overall.errors == round(summary["http_req_failed"]["values"]["rate"] * overall.requests)
    assert (
        run.checks[1]
        == summary["checks"]["values"]["passes"] + summary["checks"]["values"]["fails"]
    )
    assert run.users.height > 0 and run.users["users"].max() >= 1


def test_k6_endpoints_are_method_and_path_template() -> None:
    stats = read_run(RESULTS / "k6-smoke").samples.stats(0, 1e9)
    names = set(stats) - {ALL}
    assert "POST /api/auth/login" in names
    assert any(name.startswith("GET /api/courses/{") for name in names)
    assert all(name.split(" ", 1)[0] in ("GET", "POST", "PUT", "PATCH", "DELETE") for name in names)


def test_artillery_periods_add_up_to_artillerys_aggregate() -> None:
    run = read_run(RESULTS / "artillery-smoke")
    aggregate = json.loads((RESULTS / "artillery-smoke" / "artillery-report.json").read_text())[
        "aggregate"
    ]
    stats = run.samples.stats(0, run.samples.span_s + 1)
    assert stats[ALL].requests == aggregate["counters"]["http.requests"]
    assert stats[ALL].max_ms == aggregate["summaries"]["http.response_time"]["max"]
    by_endpoint = sum(s.requests for name, s in stats.items() if name != ALL)
    assert by_endpoint == stats[ALL].requests
    assert "GET /api/courses/{course_id}" in stats  # Artillery's (course_id) back to the template
    assert run.dropped_sessions == aggregate["counters"].get("vusers.skipped", 0)


def test_resources_are_aligned_and_counters_become_rates() -> None:
    run = read_run(RESULTS / "k6-smoke")
    metrics = set(run.resources["metric"].to_list())
    assert {"cpu_percent", "rss_bytes", "threads", "open_fds"} <= metrics
    assert "process_cpu_seconds_per_s" in metrics and "process_cpu_seconds_total" not in metrics
    span = run.samples.span_s
    assert run.resources["t"].min() >= -5 and run.resources["t"].max() <= span + 60
    rates = run.resources.filter(run.resources["metric"] == "process_cpu_seconds_per_s")["value"]
    assert 0 <= rates.max() <= 8  # CPU seconds per second on a small machine


def _k6_point(metric: str, at_s: float, value: float) -> str:
    time = datetime.fromtimestamp(1_780_000_000 + at_s, tz=UTC).isoformat().replace("+00:00", "Z")
    tags = {"name": "/a", "method": "GET", "status": "200", "expected_response": "true"}
    data = {"time": time, "value": value, "tags": tags}
    return json.dumps({"metric": metric, "type": "Point", "data": data})


def test_k6_stages_are_timed_from_the_first_request_not_from_the_first_point(
    tmp_path: Path,
) -> None:
    """k6 reports `vus` while it is still initialising its VUs, seconds before the first
    request on a busy machine. The profile's stages are offsets from the test's start, so each
    level must hold the requests sent at its own rate: 10 requests of 50 ms at the first
    plateau, 20 of 200 ms at the second (a point's time is its request's end)."""
    results = tmp_path / "stepped"
    shutil.copytree(RESULTS / "k6-smoke", results)
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["profile"], manifest["load_model"] = "stress", "open"
    manifest["stages"] = [
        {"start_s": 0.0, "end_s": 10.0, "from_per_s": 1.0, "to_per_s": 1.0},
        {"start_s": 10.0, "end_s": 20.0, "from_per_s": 2.0, "to_per_s": 2.0},
    ]
    (results / "manifest.json").write_text(json.dumps(manifest))
    initialising = [_k6_point("vus", second, 0) for second in range(4)]
    first = [_k6_point("http_req_duration", 4 + i + 0.05, 50) for i in range(10)]
    second = [_k6_point("http_req_duration", 14 + i / 2 + 0.2, 200) for i in range(20)]
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(initialising + first + second) + "\n")
    run = read_run(results)
    levels = load_levels(run)
    assert [(level.overall.requests, level.overall.max_ms) for level in levels] == [
        (10, 50), (20, 200)
    ]  # fmt: skip
    assert run.users.height == 0  # the initialising VUs' points lie before the start


def test_k6_users_are_the_sessions_begun_and_not_ended(tmp_path: Path) -> None:
    """A session waiting for its random start holds a VU, and k6's `vus` counts it: the
    sessions in flight are the script's `sessions_begun` less its `sessions_ended` so far, at
    each `vus` point (k6 reports it once a second)."""
    results = tmp_path / "waiting"
    shutil.copytree(RESULTS / "k6-smoke", results)
    points = [_k6_point("http_req_duration", 4.0, 0)]  # the test starts at 4 s
    points += [_k6_point("vus", second, 10) for second in range(4, 10)]
    points += [_k6_point("sessions_begun", at, 1) for at in (4.5, 5.2, 6.1, 6.9)]
    points += [_k6_point("sessions_ended", at, 1) for at in (5.5, 8.0)]
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(points) + "\n")
    users = read_run(results).users
    assert users.rows() == [(0.0, 0.0), (1.0, 1.0), (2.0, 1.0), (3.0, 3.0), (4.0, 2.0), (5.0, 2.0)]


@pytest.mark.parametrize("run_name", ["k6-smoke", "artillery-smoke"])
def test_report_writes_the_three_documents(run_name: str, tmp_path: Path) -> None:
    results = tmp_path / run_name
    shutil.copytree(RESULTS / run_name, results)
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    markdown = (out / "REPORT.md").read_text()
    for heading in ("## Test configuration", "## Results against targets", "## Endpoint breakdown", "## Recommendations", "## Caveats"):  # fmt: skip
        assert heading in markdown
    assert "| p95 latency | < 500 ms |" in markdown and "**PASS**" in markdown
    html = (out / "report.html").read_text()
    assert (
        html.count("<svg") >= 3
        and "<script" not in html
        and "<link" not in html
        and 'src="http' not in html
    )
    document = json.loads((out / "report.json").read_text())
    assert document["overall"]["requests"] > 100 and document["run"]["tool"] in run_name
    assert "Closed model" in markdown or run_name.startswith("artillery")
    assert ("not exact" in markdown) == run_name.startswith("artillery")
    # a smoke run is read as one: no capacity claimed, a load run advised next
    assert "A smoke run checks that the journeys work; it measures no capacity." in markdown
    assert "Highest load sustained" not in markdown
    assert "breakpoint" not in markdown.split("## Recommendations")[1].split("## Caveats")[0]
    assert "1. Run the load profile next" in markdown
    assert ("| 1 | - (closed model) |" in markdown) == run_name.startswith("k6")


def test_report_refuses_to_overwrite_and_prints_json(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / "mine.md").write_text("keep")
    refused = CliRunner().invoke(main, ["report", str(RESULTS / "k6-smoke"), "-o", str(out)])
    assert refused.exit_code == 2 and "refusing to overwrite" in refused.stderr
    printed = CliRunner().invoke(
        main, ["report", str(RESULTS / "k6-smoke"), "-o", str(out), "--force", "--json"]
    )
    assert printed.exit_code == 0 and json.loads(printed.stdout)["run"]["profile"] == "smoke"
    assert (out / "mine.md").read_text() == "keep"


def test_a_broken_results_file_is_a_clear_error(tmp_path: Path) -> None:
    results = tmp_path / "broken"
    shutil.copytree(RESULTS / "artillery-smoke", results)
    (results / "artillery-report.json").write_text("{not json")
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not an Artillery JSON report" in result.stderr
    assert "Traceback" not in result.output + result.stderr


def test_a_results_file_cut_short_is_read_but_its_half_written_line(tmp_path: Path) -> None:
    """A killed run (or a full disk) stops k6 and the resource monitor in the middle of a line:
    the report reads the rest and says what it left out, instead of refusing the run."""
    results = tmp_path / "cut"
    shutil.copytree(RESULTS / "k6-smoke", results)
    points = [_k6_point("http_req_duration", 4.0 + i, 50) for i in range(30)]
    points.insert(10, "{ not json")  # a stray line in the middle, as a bad disk block gives
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(points) + '\n{"metric": "http_req_dur')
    samples = gzip.decompress((results / "resources.jsonl.gz").read_bytes()).decode()
    (results / "resources.jsonl.gz").unlink()
    (results / "resources.jsonl").write_text(samples + '{"t": 17000')
    run = read_run(results)
    assert run.samples.stats(0, 1e9)[ALL].requests == 30
    assert "cpu_percent" in set(run.resources["metric"].to_list())
    assert [(u.file, u.lines, u.first_line_no) for u in run.unreadable] == [
        ("k6-points.json", 2, 11),
        ("resources.jsonl", 1, samples.count("\n") + 1),
    ]
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    assert (
        "k6-points.json: 2 line(s) that are no JSON were left out"
        in (out / "REPORT.md").read_text()
    )


def test_artillery_periods_cut_short_keep_the_periods_written(tmp_path: Path) -> None:
    """A run stopped early keeps Artillery's periods one a line: a half-written last period is
    left out, the others read."""
    results = tmp_path / "stopped"
    shutil.copytree(RESULTS / "artillery-smoke", results)
    periods = json.loads((results / "artillery-report.json").read_text())["intermediate"]
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["files"]["report"] = "artillery-periods.jsonl"
    (results / "manifest.json").write_text(json.dumps(manifest))
    lines = [json.dumps(period) for period in periods]
    (results / "artillery-periods.jsonl").write_text("\n".join(lines) + "\n" + lines[-1][:40])
    run = read_run(results)
    written = sum(p["counters"].get("http.requests", 0) for p in periods)
    assert run.samples.stats(0, 1e9)[ALL].requests == written
    assert [(u.file, u.lines, u.first_line_no) for u in run.unreadable] == [
        ("artillery-periods.jsonl", 1, len(periods) + 1)
    ]


def test_a_key_endpoint_over_its_own_p95_limit_fails_the_run(tmp_path: Path) -> None:
    """The smoke run meets every global target; one endpoint's limit set below its p95 makes
    the verdict FAIL and the exit code 1, as the engine's per-endpoint threshold would."""
    results = tmp_path / "k6-smoke"
    shutil.copytree(RESULTS / "k6-smoke", results)
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["sla"]["endpoint_p95_ms"]["/api/dashboard"] = 0.001
    (results / "manifest.json").write_text(json.dumps(manifest))
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(tmp_path / "report"), "--json"])  # fmt: skip
    assert result.exit_code == 1, result.output + result.stderr
    verdicts = {v["target"]: v["status"] for v in json.loads(result.stdout)["verdicts"]}
    assert verdicts["p95 of GET /api/dashboard"] == "FAIL"
    assert verdicts["p95 latency"] == "PASS" and verdicts["p95 of POST /api/auth/login"] == "PASS"
    assert (
        "**Verdict: FAIL** (p95 of GET /api/dashboard over the limit)"
        in (tmp_path / "report/REPORT.md").read_text()
    )


def test_sessions_begun_just_before_the_first_request_are_in_flight(tmp_path: Path) -> None:
    """A session is counted as it begins, a moment before its first request, the test's time 0:
    those points were left out, so each first session stayed out of the count all run long (a
    smoke run's 2 users read as 0)."""
    results = tmp_path / "smoke"
    shutil.copytree(RESULTS / "k6-smoke", results)
    points = [_k6_point("http_req_duration", 4.0, 0)]
    points += [_k6_point("sessions_begun", at, 1) for at in (3.9, 3.95)]
    points += [_k6_point("vus", second, 2) for second in range(4, 7)]
    points += [_k6_point("sessions_ended", 5.5, 1), _k6_point("sessions_begun", 5.6, 1)]
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(points) + "\n")
    assert read_run(results).users.rows() == [(0.0, 2.0), (1.0, 2.0), (2.0, 2.0)]


def test_a_soak_report_compares_the_held_levels_first_and_last_thirds(tmp_path: Path) -> None:
    """A soak (one level held for long) with latency and the target's memory creeping up: the
    report says so in its own section and advises finding what accumulates, not "run the
    breakpoint profile"."""
    results = tmp_path / "soak"
    shutil.copytree(RESULTS / "k6-smoke", results)
    manifest = json.loads((results / "manifest.json").read_text())
    held = 900.0
    manifest.update(profile="soak", load_model="open", think_scale=1.0, duration_scale=1.0,
                    stages=[{"start_s": 0.0, "end_s": held, "from_per_s": 1.0, "to_per_s": 1.0}],
                    monitors=["process"])  # fmt: skip
    (results / "manifest.json").write_text(json.dumps(manifest))
    points = [
        _k6_point("http_req_duration", at / 4, 20 + 100 * at / (4 * held) + at % 7)
        for at in range(int(4 * held))
    ]
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(points) + "\n")
    start = 1_780_000_000 - 20 / 1000  # the first request's start: its end less its duration
    rows = [
        {"t": start + at, "source": "process", "metric": "rss_bytes", "value": 1e8 + 2e5 * at}
        for at in range(0, int(held), 5)
    ]
    (results / "resources.jsonl.gz").unlink()
    (results / "resources.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code == 0, result.output + result.stderr
    markdown = (out / "REPORT.md").read_text()
    assert "## Over time\n\nLevel 1 was held for 15 min." in markdown
    assert "| first third |" in markdown and "| last third |" in markdown
    assert "\n- `rss_bytes`: 130 MB -> 250 MB\n" in markdown
    assert "\nLatency drifted up while the load held steady.\n" in markdown
    assert "Find what accumulates while the load holds steady" in markdown
    assert "breakpoint" not in markdown.split("## Recommendations")[1].split("## Caveats")[0]
    assert "\n\n\n" not in markdown
    over_time = json.loads((out / "report.json").read_text())["over_time"]
    assert over_time["latency_drifted"] and over_time["growths"][0]["metric"] == "rss_bytes"
