"""The report says when the load generator itself ran short of CPU: the engine and the target
share this machine (load goes to loopback), and from that level up the latencies measured
include the engine's own waiting, so a knee there may be the machine's, not the target's."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.analyse.generator import generator_saturation
from inferload.analyse.levels import Level, load_levels
from inferload.analyse.readers import read_run
from inferload.analyse.samples import Stats
from inferload.cli import main
from tests.conftest import FIXTURES

EPOCH = 1_780_000_000
START = 4.0  # the first request's start, seconds after EPOCH: the run's clock starts there


def point(at_s: float, value: float) -> str:
    time = datetime.fromtimestamp(EPOCH + at_s, tz=UTC).isoformat().replace("+00:00", "Z")
    tags = {"name": "/a", "method": "GET", "status": "200", "expected_response": "true"}
    return json.dumps(
        {
            "metric": "http_req_duration",
            "type": "Point",
            "data": {"time": time, "value": value, "tags": tags},
        }
    )


def sample(at_s: float, source: str, value: float) -> str:
    return json.dumps(
        {"t": EPOCH + START + at_s, "source": source, "metric": "cpu_percent", "value": value}
    )


def stepped_run(
    tmp_path: Path, machine: list[float], engine: list[float], ms: tuple[int, ...] = (50, 60, 400)
) -> Path:
    """10 s plateaus at 1, 2, 3... sessions/s (10 requests per second each) whose requests take
    `ms`, and one CPU sample per second per level for the engine and the machine (beside the
    target's)."""
    results = tmp_path / "stepped"
    shutil.copytree(FIXTURES / "results" / "k6-smoke", results)
    manifest = json.loads((results / "manifest.json").read_text())
    manifest["profile"], manifest["load_model"], manifest["host_cpus"] = "stress", "open", 2
    manifest["stages"] = [
        {"start_s": 10.0 * n, "end_s": 10.0 * (n + 1), "from_per_s": n + 1.0, "to_per_s": n + 1.0}
        for n in range(len(ms))
    ]
    (results / "manifest.json").write_text(json.dumps(manifest))
    points = [point(START + 0.05, 50)]  # the first request: 50 ms from START
    for level, duration in enumerate(ms):
        count = 10 * (level + 1)
        points += [point(START + 10 * level + (i + 1) * 9 / count, duration) for i in range(count)]
    (results / "k6-points.json.gz").unlink()
    (results / "k6-points.json").write_text("\n".join(points) + "\n")
    rows = [
        json.dumps(
            {
                "t": EPOCH + START + s + 0.5,
                "source": "process",
                "metric": "cpu_percent",
                "value": 30.0,
            }
        )
        for s in range(10 * len(ms))
    ]  # the target's own process
    for level in range(len(ms)):
        for second in range(10):
            at = 10 * level + second + 0.5
            rows += [sample(at, "host", machine[level]), sample(at, "generator", engine[level])]
    (results / "resources.jsonl.gz").unlink()
    (results / "resources.jsonl").write_text("\n".join(rows) + "\n")
    return results


def test_levels_carry_the_generator_s_cpu_apart_from_the_target_s(tmp_path: Path) -> None:
    run = read_run(stepped_run(tmp_path, machine=[40, 60, 70], engine=[20, 40, 60]))
    levels = load_levels(run)
    assert [(lv.machine_cpu_percent, lv.engine_cpu_percent) for lv in levels] == [
        (40, 20), (60, 40), (70, 60)
    ]  # fmt: skip
    target_cpu = run.resources.filter(run.resources["metric"] == "cpu_percent")["value"]
    assert set(target_cpu.to_list()) == {30.0}  # the target's samples only
    assert generator_saturation(levels, "k6", cores=2) is None


def test_a_machine_out_of_cpu_is_reported_before_the_knee_it_may_have_made(tmp_path: Path) -> None:
    results = stepped_run(tmp_path, machine=[45, 97, 99], engine=[30, 120, 150])
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output + result.stderr
    document = json.loads((out / "report.json").read_text())
    assert document["generator_short_from_level"] == 1
    first = document["recommendations"][0]
    assert "CPU of its own" in first["action"] and "level 2 (2.0 sessions/s)" in first["action"]
    assert "machine's CPU was 97% of its 2 cores" in first["evidence"]
    assert "k6's 120% of one core" in first["evidence"]
    markdown = (out / "REPORT.md").read_text()
    headline = markdown.split("\n## ")[0]
    assert "short of CPU from level 2: the knee may be this machine's limit" in headline
    rows = [
        line for line in markdown.splitlines() if line.startswith("| 2 ") or line.startswith("| 1 ")
    ]
    assert rows[0].endswith("| 30% | 45% |") and rows[1].endswith("| 120% | 97% (short) |")


def test_a_generator_short_only_past_the_knee_leaves_the_knee_first(tmp_path: Path) -> None:
    results = stepped_run(
        tmp_path,
        machine=[30, 35, 40, 45, 60, 95],
        engine=[20, 25, 30, 35, 40, 90],
        ms=(50, 52, 55, 60, 400, 2500),
    )
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(results), "-o", str(out)])
    assert result.exit_code in (0, 1), result.output + result.stderr
    document = json.loads((out / "report.json").read_text())
    assert document["knee"]["level"] in (3, 4) and document["generator_short_from_level"] == 5
    actions = [advice["action"] for advice in document["recommendations"]]
    assert "CPU of its own" in actions[-1] and "CPU of its own" not in actions[0]
    assert "from level 6, past the knee" in (out / "REPORT.md").read_text().split("\n## ")[0]


def level(index: int, engine: float | None, machine: float | None) -> Level:
    stats = Stats(100, 0, 10.0, 50.0, 40.0, 90.0, 120.0, 150.0)
    return Level(index, 10.0 * index, 10.0 * index + 10, index + 1.0, 5.0, False, stats, {},
                 engine_cpu_percent=engine, machine_cpu_percent=machine)  # fmt: skip


@pytest.mark.parametrize(
    ("tool", "engine", "machine", "short_at"),
    [
        ("artillery", [40, 95], [30, 60], 1),  # Node's one thread is full: the machine is not
        ("k6", [40, 95], [30, 60], None),  # k6 spreads over every core
        ("k6", [150, 170], [80, 92], 1),  # the engine: 170% of 184% in use
        ("k6", [5, 11], [95, 100], None),  # the target fills the machine, the engine is light
        ("k6", [30, 60], [91, 95], 1),  # 60% of one core, a third of the 190% in use
        ("k6", [None, None], [None, None], None),  # a results folder from before the sampling
    ],
)
def test_which_level_the_generator_ran_short_from(
    tool: str, engine: list[float | None], machine: list[float | None], short_at: int | None
) -> None:
    levels = [level(n, engine[n], machine[n]) for n in range(2)]
    found = generator_saturation(levels, tool, cores=2)
    assert (found.level.index if found else None) == short_at
    if found is not None:
        assert found.machine == (tool == "k6")
