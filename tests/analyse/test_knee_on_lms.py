"""A bounded stress run against the sample service finds its knee and names the reports as the
bottleneck; the service's index knob moves the knee, and `--baseline` shows the improvement.

Reference: the service's own closed-loop probe measures what the reports endpoint serves alone
(its throughput plateau, C). The workload is the one inferred from the bundled log, edited as a
team would for a month-end reporting peak: report readers make 80% of sessions, so the reports
carry most of the service demand. Stress levels are set from C so that the offered report rate
crosses it mid-run (normal = 0.35 C sessions/s: levels 1x-3x offer about 0.5 C to 1.4 C
reports/s), and the top levels offer well past what the unindexed service can serve.

The database is a bigger tenant than the demo's: 200,000 enrollments (1.2M progress rows), so
that the unindexed reports, not the service's Python request handling, are what saturates
first. With the demo's 50,000, both cost about the same: the indexed service then saturated
its Python worker (one core, shared with the load generator) at 160 req/s against 146 before,
and the index's gain (9-10%) drowned in the VM's drift. At this volume a run measured the
plateau at 55 req/s before and 96 after, with no knee left in the indexed run's range.

Tolerances: at the knee the reports endpoints' combined throughput is at least 60% of the most
they serve at any level of the same run, and within 35%-110% of C. The p95 knee is where
queueing starts to dominate, which is often the last level *before* throughput flattens: the
next level up (1.5x -> 2x normal, or 2x -> 2.5x) offers 1.25x-1.33x more and may still be
served, so the knee's share of the most can be as low as 0.75-0.8 before noise (a CI run saw
0.73, the knee one level under the plateau). It sits
below C because the rest of the traffic and the load generator share the machine's two cores
with the reports (measured 80% at this volume; 41%-64% with the demo's). This VM's speed drifts
by 20-50% within minutes, so the run's own plateau is the primary reference.

The probe and the stress run are minutes apart, and the VM can be faster in the second: then
the offered load may never reach the reports' capacity. A performance engineer whose stress
test never saturated the service raises the range and reruns, and so does this test, once: if
no level's p95 crossed the 500 ms SLA, normal is recalibrated at 0.5 C from a fresh probe. The
assertions are the same either way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from examples.lms.probe import login, probe
from inferload.cli import main
from tests.lms_server import RunningService, lms_service, seeded_database

pytestmark = pytest.mark.engines
REPORTS = "/api/reports/"
DEMO_PASSWORD = "lms-demo-password"
REPORTED_ENROLLMENTS = 200_000


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seeded_database(tmp_path_factory.mktemp("db"), enrollments=REPORTED_ENROLLMENTS)


@pytest.fixture(scope="module")
def reporting_peak(lms_workload_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    workload = yaml.safe_load(lms_workload_file.read_text())
    others = sum(p["weight"] for p in workload["personas"] if "report" not in p["id"])
    for persona in workload["personas"]:
        reader = "report" in persona["id"]
        persona["weight"] = round(0.8 if reader else 0.2 * persona["weight"] / others, 6)
    assert any("report" in p["id"] for p in workload["personas"]), (
        "the model lost the report persona"
    )
    edited = tmp_path_factory.mktemp("peak") / "workload.yaml"
    spec = Path(workload["source"]["spec_path"])
    workload["source"]["spec_path"] = str(
        spec if spec.is_absolute() else (lms_workload_file.parent / spec).resolve()
    )
    edited.write_text(yaml.safe_dump(workload, sort_keys=False))
    return edited


@pytest.fixture(scope="module")
def users_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.csv"
    path.write_text(f"persona,username,password\n*,user1@lms.example,{DEMO_PASSWORD}\n")
    return path


def stress(service: RunningService, loadtest: Path, users_csv: Path, results: Path) -> None:
    result = CliRunner().invoke(main, [
        "run", str(loadtest), "--profile", "stress", "--base-url", service.base_url, "-o", str(results),
        "--think-scale", "0.02", "--duration-scale", "0.05", "--users-csv", str(users_csv),
        "--target-pid", str(service.process.pid), "--metrics-url", f"{service.base_url}/metrics",
    ])  # fmt: skip
    assert result.exit_code in (0, 1), result.output + (result.stderr or "")
    assert json.loads((results / "manifest.json").read_text())["outcome"] in (
        "completed",
        "thresholds-crossed",
    )


def report(results: Path, out: Path, baseline: Path | None = None) -> dict:  # type: ignore[type-arg]
    args = ["report", str(results), "-o", str(out)] + (
        ["--baseline", str(baseline)] if baseline else []
    )
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output + (result.stderr or "")
    return json.loads((out / "report.json").read_text())  # type: ignore[no-any-return]


def reports_rps_at(document: dict, level_index: int) -> float:  # type: ignore[type-arg]
    level = next(lv for lv in document["levels"] if lv["index"] == level_index)
    return sum(rps for name, rps in level["endpoint_rps"].items() if REPORTS in name)


def capacity_of_reports(service: RunningService) -> float:
    """C: the reports endpoint's closed-loop throughput plateau, probed alone."""
    token = login(service.base_url, "user1@lms.example", DEMO_PASSWORD)
    levels = probe(service.base_url, "/api/reports/overview?days=7", token, levels=(1, 2, 4, 8), seconds_per_level=2.0)  # fmt: skip
    return float(max(level.throughput_per_s for level in levels))


def generate_at(reporting_peak: Path, normal_rate: float, folder: Path) -> Path:
    folder.mkdir(parents=True)
    targets = folder / "targets.yaml"
    targets.write_text(f"normal_arrival_rate_per_s: {normal_rate:.2f}\n")
    loadtest = folder / "loadtest"
    generated = CliRunner().invoke(main, ["generate", str(reporting_peak), "--targets", str(targets), "--tool", "k6", "-o", str(loadtest)])  # fmt: skip
    assert generated.exit_code == 0, generated.output
    return loadtest


def queued(document: dict) -> bool:  # type: ignore[type-arg]
    """Some level's p95 crossed the 500 ms SLA: the offered load reached the service's limit."""
    return any(lv["figures"]["p95_ms"] >= 500 for lv in document["levels"] if not lv["recovery"])


@pytest.fixture(scope="module")
def runs(
    database: Path, reporting_peak: Path, users_csv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[float, dict, dict]]:  # type: ignore[type-arg]
    work = tmp_path_factory.mktemp("knee")
    with lms_service(work / "plain", database) as service:
        for attempt, share_of_capacity in enumerate((0.35, 0.5)):
            capacity = capacity_of_reports(service)
            loadtest = generate_at(reporting_peak, share_of_capacity * capacity, work / f"calibration-{attempt}")  # fmt: skip
            results = work / f"before-{attempt}"
            stress(service, loadtest, users_csv, results)
            before = report(results, work / f"report-before-{attempt}")
            if queued(before):
                break
    with lms_service(work / "indexed", database, report_index=True) as service:
        stress(service, loadtest, users_csv, work / "after")
    after = report(work / "after", work / "report-after", baseline=results)
    yield capacity, before, after


def test_the_knee_is_where_the_reports_saturate(runs: tuple[float, dict, dict]) -> None:  # type: ignore[type-arg]
    capacity, before, _ = runs
    knee = before["knee"]
    assert knee is not None, before["levels"]
    rising = [lv for lv in before["levels"] if not lv["recovery"]]
    assert rising[0]["index"] < knee["level"], "the knee must lie inside the tested range"
    at_knee = reports_rps_at(before, knee["level"])
    most = max(reports_rps_at(before, lv["index"]) for lv in rising)
    assert at_knee >= 0.6 * most, (at_knee, most)
    assert 0.35 * capacity <= at_knee <= 1.10 * capacity, (at_knee, capacity)


def test_the_reports_endpoint_is_named_the_bottleneck(runs: tuple[float, dict, dict]) -> None:  # type: ignore[type-arg]
    _, before, _ = runs
    assert before["bottleneck"] is not None and REPORTS in before["bottleneck"]
    assert REPORTS in before["recommendations"][0]["action"]
    # The target fills this machine's cores at the knee; k6 takes a few % of one core: the
    # knee is the target's, and the report does not blame the generator for it.
    assert all(lv["machine_cpu_percent"] is not None for lv in before["levels"])
    assert before["generator_short_from_level"] is None
    assert "service demand" in before["recommendations"][0]["evidence"]


def test_the_index_moves_the_knee_and_the_baseline_shows_it(runs: tuple[float, dict, dict]) -> None:  # type: ignore[type-arg]
    """The knee moves: the throughput where the curve bends (the highest any level sustained)
    rises by 10% or more, and at the load where it bent before, latency is now far lower.
    Five levels are coarse: the bend can move within one level, so the level index is not the
    measure. It is not asserted either: with the demo's data volume, a run saw the indexed
    service's p95 start to bend one level *earlier* while its throughput still rose."""
    _, before, after = runs

    def plateau(document: dict) -> float:  # type: ignore[type-arg]
        return max(lv["figures"]["rps"] for lv in document["levels"] if not lv["recovery"])

    assert plateau(after) >= 1.1 * plateau(before), (plateau(before), plateau(after))
    knee_level = before["knee"]["level"]
    p95 = {doc_id: next(lv["figures"]["p95_ms"] for lv in doc["levels"] if lv["index"] == knee_level)
           for doc_id, doc in (("before", before), ("after", after))}  # fmt: skip
    assert p95["after"] <= 0.7 * p95["before"], p95
    comparison = after["comparison"]
    by_name = {row["name"]: row for row in comparison["endpoints"]}
    overview = next(row for name, row in by_name.items() if name.endswith("/api/reports/overview"))
    assert overview["verdict"] == "improvement"
    assert comparison["baseline_knee_rps"] == pytest.approx(before["knee"]["throughput_rps"])
