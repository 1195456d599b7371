"""Logs alone, no spec: `infer --logs` learns URL templates from the paths, and the workload
still generates scripts and refreshes; arrival rates of a short sample are per covered time."""

from __future__ import annotations

from pathlib import Path

import yaml
from click.testing import CliRunner

from inferload.cli import main
from tests.logs.builders import T0, combined, write_log

SESSIONS = 60
SAMPLE_S = 600.0  # a ten-minute sample, inside one clock hour


def shop_log(path: Path, sessions: int = SESSIONS, first_product: int = 100) -> Path:
    """`sessions` clients, one every SAMPLE_S / sessions seconds, each: the catalogue, a
    product, then an order on it."""
    lines = []
    for n in range(sessions):
        at, ip = T0 + n * SAMPLE_S / sessions, f"198.51.100.{n}"
        product = first_product + n
        lines += [
            combined(at, "GET /catalog", ip=ip),
            combined(at + 3, f"GET /products/{product}", ip=ip),
            combined(at + 8, f"POST /products/{product}/orders", ip=ip, status=201),
        ]
    return write_log(path, lines)


def infer(tmp_path: Path, *args: str) -> dict:
    result = CliRunner().invoke(main, ["infer", *args, "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 0, result.output
    return yaml.safe_load((tmp_path / "w.yaml").read_text())


def test_a_workload_from_logs_alone_has_templates_and_the_rate_of_its_sample(
    tmp_path: Path,
) -> None:
    workload = infer(tmp_path, "--logs", str(shop_log(tmp_path / "access.log")))
    assert workload["source"]["spec_path"] is None
    assert set(workload["operations"]) == {
        "GET /catalog", "GET /products/{id}", "POST /products/{id}/orders",
    }  # fmt: skip
    # 60 sessions in ten minutes: 0.1/s (per hour of clock time it would read 60/3600 s)
    rate = workload["load"]["normal_arrival_rate_per_s"]["value"]
    assert abs(rate - SESSIONS / SAMPLE_S) < 0.005, rate
    assert workload["load"]["peak_arrival_rate_per_s"]["value"] == rate
    pool = workload["data_pools"]["id"]  # the logged ids, for the scripts to draw from
    assert {v["value"] for v in pool["values"]} == {str(100 + n) for n in range(SESSIONS)}


def test_a_spec_less_workload_generates_scripts_and_a_plan(tmp_path: Path) -> None:
    infer(tmp_path, "--logs", str(shop_log(tmp_path / "access.log")))
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = (tmp_path / "out/TEST-PLAN.md").read_text()
    assert "without a spec" in plan and "/products/{id}/orders" in plan
    assert (tmp_path / "out/k6/script.js").is_file()


def test_refresh_without_a_spec_infers_templates_afresh(tmp_path: Path) -> None:
    infer(tmp_path, "--logs", str(shop_log(tmp_path / "old.log")))
    new_log = shop_log(tmp_path / "new.log", sessions=90, first_product=5000)
    with new_log.open("a") as handle:  # a new endpoint, seen by many clients
        for n in range(30):
            handle.write(combined(T0 + 700 + n, f"GET /reviews/{n + 1}", ip=f"192.0.2.{n}") + "\n")
    result = CliRunner().invoke(
        main,
        ["refresh", str(tmp_path / "w.yaml"), "--logs", str(new_log), "--json",
         "-o", str(tmp_path / "w2.yaml")],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    refreshed = yaml.safe_load((tmp_path / "w2.yaml").read_text())
    assert refreshed["source"]["spec_path"] is None
    assert "GET /reviews/{id}" in refreshed["operations"]
    assert "GET /reviews/{id}" in result.output  # reported as drift


def test_infer_needs_a_spec_or_logs(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["infer", "-o", str(tmp_path / "w.yaml")])
    assert result.exit_code == 2
    assert "give --spec, --logs or both" in result.output
    assert not (tmp_path / "w.yaml").exists()


def test_templates_learnt_from_pages_do_not_claim_static_assets(tmp_path: Path) -> None:
    """`/history/{a}/{b}` is learnt from pages; the image under it stays a static asset."""
    lines = []
    for n in range(40):
        at, ip = T0 + n * 10, f"198.51.100.{n}"
        lines += [
            combined(at, f"GET /history/mission-{n}/page-{n}.html", ip=ip),
            combined(at + 1, "GET /history/images/logo.gif", ip=ip),
            combined(at + 2, f"GET /search?STS-{n}", ip=ip),  # a keyless search term
            combined(at + 3, f"GET /search?page={n % 3}&STS-{n}", ip=ip),
        ]
    workload = infer(tmp_path, "--logs", str(write_log(tmp_path / "access.log", lines)))
    # `mission-12` reads as an id by its shape, `mission-7` (too short) by its likeness to it
    assert {op: o["requests"] for op, o in workload["operations"].items()} == {
        "GET /history/{historyId}/{itemId}": 40,  # the pages, not the logo
        "GET /search": 80,
    }
    pools = workload["data_pools"]
    assert {v["value"] for v in pools["query.page"]["values"]} == {"0", "1", "2"}
    assert not [name for name in pools if "STS" in name]  # a search term is no parameter


def test_a_sample_too_small_for_a_rate_gives_placeholders_not_measurements(
    tmp_path: Path,
) -> None:
    """One recorded session (a HAR, a handful of lines) over 8 s would read as 7.5 sessions a
    minute "from logs": the plan would present it as production's load. Fewer than 30
    sessions measure no rate: the rates are placeholders that say why, listed as assumptions."""
    workload = infer(tmp_path, "--logs", str(shop_log(tmp_path / "one.log", sessions=1)))
    for name in ("normal_arrival_rate_per_s", "peak_arrival_rate_per_s",
                 "peak_minute_arrival_rate_per_s", "littles_law_concurrency"):  # fmt: skip
        assert workload["load"][name]["provenance"] == "default", name
    assert (
        "1 session(s) in 8 s of logs: too few"
        in workload["load"]["normal_arrival_rate_per_s"]["note"]
    )
    assert workload["load"]["session_duration_s"]["provenance"] == "logs"  # still measured
    result = CliRunner().invoke(main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")])  # fmt: skip
    assert result.exit_code == 0, result.output
    plan = (tmp_path / "out/TEST-PLAN.md").read_text()
    assumptions = plan[plan.index("Assumptions") :]
    assert "normal load: default: 1 session(s) in 8 s of logs: too few" in assumptions


def test_the_busiest_minute_is_read_over_the_part_of_it_the_logs_cover(tmp_path: Path) -> None:
    """60 sessions in the first 30 s of a minute: 2 sessions a second, not 60 / 60 s (and never
    less than the hour's rate: one HAR-like burst made the minute's peak lower than normal)."""
    workload = infer(tmp_path, "--logs", str(shop_log(tmp_path / "burst.log", sessions=60)))
    minute = workload["load"]["peak_minute_arrival_rate_per_s"]["value"]
    assert minute >= workload["load"]["peak_arrival_rate_per_s"]["value"]
    burst = tmp_path / "b"
    burst.mkdir()
    lines = [combined(T0 + n / 2, "GET /catalog", ip=f"198.51.100.{n}") for n in range(60)]
    workload = infer(burst, "--logs", str(write_log(burst / "burst.log", lines)))
    assert abs(workload["load"]["peak_minute_arrival_rate_per_s"]["value"] - 60 / 29.5) < 0.05
    assert workload["load"]["normal_arrival_rate_per_s"]["provenance"] == "logs"


def test_logs_of_separate_periods_are_measured_while_users_were_there(tmp_path: Path) -> None:
    """Two samples a month apart, merged: the requests per second are those of the hours with
    sessions open (not of the whole month, nearly all of it empty), and the rate's note says
    the logs cover separate periods."""
    first = shop_log(tmp_path / "march.log")
    later = [combined(T0 + 30 * 86400 + n * 10, "GET /catalog", ip=f"203.0.113.{n}") for n in range(60)]  # fmt: skip
    second = write_log(tmp_path / "april.log", later)
    workload = infer(tmp_path, "--logs", str(first), "--logs", str(second))
    load = workload["load"]
    assert "separate periods" in load["normal_arrival_rate_per_s"]["note"]
    assert "30 days window" in load["normal_arrival_rate_per_s"]["note"]
    # 240 requests in about 10 + 10 minutes of clock hours touched (2 or 3 hours), not a month
    assert load["requests_per_s_mean"]["value"] > 240 / (4 * 3600)


def test_personas_of_logs_alone_are_named_by_their_requests(tmp_path: Path) -> None:
    """Operations named `GET /products/{id}` keep that spelling in a persona's name, and its id
    is the paths' slug, not `get-...-get-...`."""
    workload = infer(tmp_path, "--logs", str(shop_log(tmp_path / "access.log")))
    (persona,) = workload["personas"]
    assert "GET /" in persona["name"] or "POST /" in persona["name"], persona["name"]
    assert "get /" not in persona["name"] and "post /" not in persona["name"]
    assert (
        persona["id"].startswith("p1-")
        and "get-" not in persona["id"]
        and "post-" not in persona["id"]
    )


def test_several_logs_after_one_logs_option_are_all_read(tmp_path: Path) -> None:
    """`--logs access-*.log` (a shell's glob) reads every file, as `inferload logs` does; a
    repeatable option alone took the first and refused the rest as unexpected arguments."""
    first = shop_log(tmp_path / "a.log", sessions=30)
    second = shop_log(tmp_path / "b.log", sessions=30, first_product=500)
    workload = infer(tmp_path, "--logs", str(first), str(second))
    assert [log["path"] for log in workload["source"]["logs"]] == [str(first), str(second)]
    assert workload["source"]["requests"] == 2 * 30 * 3  # both files: three requests a visit
    again = CliRunner().invoke(
        main,
        ["infer", "--logs", str(first), "--logs", str(second), "-o", str(tmp_path / "w2.yaml")],
    )
    assert (
        again.exit_code == 0
        and (tmp_path / "w2.yaml").read_text() == (tmp_path / "w.yaml").read_text()
    )
    for command in (["refresh", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "r.yaml")],
                    ["compare", str(tmp_path)]):  # fmt: skip
        missing = CliRunner().invoke(main, command)
        assert missing.exit_code == 2 and "give the log sample: --logs LOG..." in missing.output
