"""TEST-PLAN.md says what the workload and the targets say, and where each number came from."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from inferload.cli import main
from inferload.model.workload import Workload, dump_workload, load_workload
from inferload.templating import figure


def generate_plan(workload_file: Path, out: Path, targets: str | None = None) -> str:
    arguments = ["generate", str(workload_file), "-o", str(out)]
    if targets is not None:
        (out.parent / "targets.yaml").write_text(targets)
        arguments += ["--targets", str(out.parent / "targets.yaml")]
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 0, result.output
    return (out / "TEST-PLAN.md").read_text()


def goals(plan: str) -> dict[str, tuple[str, str]]:
    """The goals table: target -> (value, from)."""
    section = plan.split("## 1. Goals and targets", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): (cells[1].strip(), cells[2].strip()) for cells in rows[1:]}


def assumptions(plan: str) -> list[str]:
    section = plan.split("## 8. Assumptions", 1)[1].split("\n## ", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


@pytest.fixture(scope="module")
def workload(lms_workload_file: Path) -> Workload:
    return load_workload(lms_workload_file)


def test_every_section_and_every_operation_and_persona_is_there(
    lms_workload_file: Path, workload: Workload, tmp_path: Path
) -> None:
    plan = generate_plan(lms_workload_file, tmp_path / "out")
    headings = re.findall(r"^## (\d+)\. ", plan, flags=re.MULTILINE)
    assert headings == [str(n) for n in range(1, 10)]
    for operation_id, operation in workload.operations.items():
        assert re.search(
            rf"^\| {re.escape(operation_id)} \| {operation.method} \| `{re.escape(operation.path)}`"
            rf" \| {100 * operation.share:.1f}% \| {operation.priority} \|",
            plan,
            flags=re.MULTILINE,
        ), operation_id
    for persona in workload.personas:
        assert re.search(
            rf"^\| {re.escape(persona.id)}: [^\n]* \| {persona.weight:.1%} \|",
            plan,
            flags=re.MULTILINE,
        ), persona.id
        assert f"### {persona.id}" in plan
    assert plan.count("```mermaid") == len(workload.personas)


def test_without_a_targets_file_the_sla_and_the_survival_load_are_assumptions(
    lms_workload_file: Path, tmp_path: Path
) -> None:
    plan = generate_plan(lms_workload_file, tmp_path / "out")
    table = goals(plan)
    assert table["p95 latency"] == ("< 500 ms", "default: the usual SaaS target")
    assert table["error rate"] == ("< 1.00%", "default: the usual SaaS target")
    assert table["normal load"][1] == "logs"
    listed = assumptions(plan)
    assert "survive: default: 3x normal" in listed
    assert {"p95 latency", "p99 latency", "error rate"} <= {item.split(":")[0] for item in listed}


def test_what_the_targets_file_sets_is_credited_to_it(
    lms_workload_file: Path, workload: Workload, tmp_path: Path
) -> None:
    peak = workload.load.peak_arrival_rate_per_s.value
    assert peak < 1.7875  # the rate set below is above the measured peak
    targets = "normal_arrival_rate_per_s: 1.7875\nsla: {p95_ms: 300, p99_ms: 900}\n"
    plan = generate_plan(lms_workload_file, tmp_path / "out", targets)
    table = goals(plan)
    assert table["normal load"] == ("107.25 sessions/min", "targets")  # as set, not rounded
    assert table["peak load"][0] == table["normal load"][0]
    assert (
        table["peak load"][1]
        == f"normal load (above the {figure(peak * 60)} sessions/min peak from logs)"
    )
    assert table["p95 latency"] == ("< 300 ms", "targets")
    assert table["error rate"][1] == "default: the usual SaaS target"  # not in the file
    listed = assumptions(plan)
    assert not any(
        item.startswith(("p95 latency", "p99 latency", "normal load")) for item in listed
    )
    assert any(item.startswith("error rate") for item in listed)


def test_durations_read_in_hours_minutes_and_seconds(
    lms_workload_file: Path, tmp_path: Path
) -> None:
    """A stage list or a total is something to set a timer by: `13 min 40 s`, never a decimal
    fraction of a unit."""
    plan = generate_plan(lms_workload_file, tmp_path / "out")
    section = plan.split("## 4. Load profiles", 1)[1].split("\n## ", 1)[0]
    durations = re.findall(r"(\d+(?:\.\d+)?) (h|min|s)\b", section)
    assert durations and all("." not in value for value, _ in durations)
    assert re.search(r"^\| soak \| [^|]+ \| 4 h 7 min \|", section, flags=re.MULTILINE)
    assert re.search(r"^\| spike \| [^|]+ \| 13 min 40 s \|", section, flags=re.MULTILINE)
    assert "4 min 30 s -> " in section  # the stress profile's plateaus


def test_run_commands_ask_only_for_the_credentials_the_api_takes(
    lms_workload_file: Path, workload: Workload, tmp_path: Path
) -> None:
    assert workload.auth.login_operation  # the sample service logs in
    with_login = generate_plan(lms_workload_file, tmp_path / "login")
    assert (
        "PROFILE=smoke THINK_SCALE=0.1 LOGIN_USERNAME=... LOGIN_PASSWORD=... k6 run" in with_login
    )
    assert "accounts for the login step" in with_login

    open_api = workload.model_copy(
        update={"auth": workload.auth.model_copy(update={"login_operation": None, "schemes": []})}
    )
    open_file = tmp_path / "open.yaml"
    open_file.write_text(dump_workload(open_api))
    plan = generate_plan(open_file, tmp_path / "open")
    readme = (tmp_path / "open/README.md").read_text()
    for text in (plan, readme):
        assert "PROFILE=smoke THINK_SCALE=0.1 k6 run --no-usage-report script.js" in text
        assert "LOGIN_USERNAME" not in text and "API_TOKEN" not in text
    assert "login step" not in plan


def test_the_next_step_after_generate_passes_the_credentials_the_scripts_need(
    lms_workload_file: Path, workload: Workload, tmp_path: Path
) -> None:
    """The scripts refuse to start without them: the suggested `run` command must carry them."""

    def next_step(workload_file: Path, out: Path) -> str:
        result = CliRunner().invoke(main, ["generate", str(workload_file), "-o", str(out)])
        assert result.exit_code == 0, result.output
        return " ".join(result.output.split()).split("next: ", 1)[1]

    assert "--env LOGIN_USERNAME=... --env LOGIN_PASSWORD=... -o RESULTS" in next_step(
        lms_workload_file, tmp_path / "login"
    )
    token_api = workload.model_copy(  # the sample service's bearer scheme, and no login call
        update={"auth": workload.auth.model_copy(update={"login_operation": None})}
    )
    token_file = tmp_path / "token.yaml"
    token_file.write_text(dump_workload(token_api))
    assert "--env API_TOKEN=... -o RESULTS" in next_step(token_file, tmp_path / "token")
    open_api = workload.model_copy(
        update={"auth": workload.auth.model_copy(update={"login_operation": None, "schemes": []})}
    )
    open_file = tmp_path / "open.yaml"
    open_file.write_text(dump_workload(open_api))
    assert "--base-url http://127.0.0.1:8800 -o RESULTS" in next_step(open_file, tmp_path / "open")


def test_the_kill_switch_is_where_each_engine_has_it(
    lms_workload_file: Path, tmp_path: Path
) -> None:
    """k6 aborts itself at ten times the SLA's error rate; Artillery checks its thresholds only at
    the end, so the plan tells whoever runs it to stop it there. A 0.5% SLA: 5%."""
    targets = "sla:\n  error_rate: 0.005\n"
    (tmp_path / "both").mkdir()
    both = generate_plan(lms_workload_file, tmp_path / "both" / "out", targets)
    assert "a k6 run aborts itself when errors pass 5% (ten\n  times the SLA" in both
    assert "stop an Artillery run by hand there" in both
    result = CliRunner().invoke(main, [
        "generate", str(lms_workload_file), "--tool", "artillery", "-o", str(tmp_path / "artillery"),
        "--targets", str(tmp_path / "both" / "targets.yaml"),
    ])  # fmt: skip
    assert result.exit_code == 0, result.output
    alone = (tmp_path / "artillery" / "TEST-PLAN.md").read_text()
    assert "k6" not in alone.split("## 6.", 1)[1].split("## 7.", 1)[0]
    assert "stop the run by hand when errors pass\n  5%" in alone
    readme = (tmp_path / "artillery" / "README.md").read_text()
    assert "stop it (Ctrl-C) when errors pass\n5%." in readme


def test_the_port_checklist_item_shows_only_where_sessions_arrive_fast(
    lms_workload_file: Path, tmp_path: Path
) -> None:
    """Every session opens its own connections: the load generator's ports matter at hundreds
    of new sessions a second (the breakpoint profile reaches 10x peak), not at a few."""
    item = "The load generator can open a connection per session"
    (tmp_path / "quiet").mkdir()
    quiet = generate_plan(
        lms_workload_file, tmp_path / "quiet" / "out", "peak_arrival_rate_per_s: 2\n"
    )
    assert item not in quiet
    (tmp_path / "busy").mkdir()
    busy = generate_plan(
        lms_workload_file, tmp_path / "busy" / "out", "peak_arrival_rate_per_s: 50\n"
    )
    assert item in busy.split("## 5. Before the run", 1)[1].split("## 6.", 1)[0]


def test_a_big_journey_graph_is_drawn_by_its_busiest_transitions(workload: Workload) -> None:
    """A persona learnt from a big site's logs has thousands of transitions (NASA's: 1,936),
    which GitHub refuses to draw (50,000 characters, 500 edges at most) and nobody reads: the
    plan draws the busiest ones and says what it left out. States whose names differ only by
    punctuation stay two nodes."""
    from inferload.emit.plan_doc import GRAPH_EDGES, _journey_graph

    pages = [f"GET /page-{i}" for i in range(150)] + [f"GET /page_{i}" for i in range(150)]
    chain = {"$start": {page: 1 / len(pages) for page in pages}}
    for i, page in enumerate(pages):
        chain[page] = {
            pages[(i + 1) % len(pages)]: 0.3,
            pages[(i + 7) % len(pages)]: 0.2,
            "$end": 0.5,
        }
    persona = workload.personas[0].model_copy(
        update={"steps": {page: [page] for page in pages}, "transitions": chain}
    )
    lines, note = _journey_graph(persona)
    edges = [line for line in lines if "-->" in line]
    assert len(edges) == GRAPH_EDGES and sum(map(len, lines)) < 50_000
    assert f"{3 * len(pages) + len(pages) - GRAPH_EDGES:,} rarer ones are not drawn" in note
    twins = {"$start": {"GET /a-b": 1.0}, "GET /a-b": {"GET /a_b": 1.0}, "GET /a_b": {"$end": 1.0}}
    small = persona.model_copy(
        update={"steps": {"GET /a-b": ["GET /a-b"], "GET /a_b": ["GET /a_b"]}, "transitions": twins}
    )
    lines, note = _journey_graph(small)
    assert lines == [
        's0["start"]', 's1["GET /a-b"]', "s0 -->|100%| s1", 's2["GET /a_b"]', "s1 -->|100%| s2",
        's3["end"]', "s2 -->|100%| s3",
    ]  # fmt: skip
    assert note == ""


def test_the_scripts_say_where_their_journeys_come_from(
    lms_workload_file: Path, workload: Workload, tmp_path: Path
) -> None:
    """A model from the spec alone was announced as "inferred from production traffic"."""
    generate_plan(lms_workload_file, tmp_path / "logs")
    spec_only = workload.model_copy(
        update={"source": workload.source.model_copy(update={"logs": []})}
    )
    spec_file = tmp_path / "spec-only.yaml"
    spec_file.write_text(dump_workload(spec_only))
    generate_plan(spec_file, tmp_path / "spec")
    for folder, origin in (("logs", "inferred from production traffic"),
                           ("spec", "from the OpenAPI spec alone")):  # fmt: skip
        k6 = (tmp_path / folder / "k6" / "script.js").read_text().splitlines()[0]
        artillery = (tmp_path / folder / "artillery" / "script.yml").read_text().splitlines()[0]
        for first_line in (k6, artillery):
            assert origin in first_line, first_line
    assert "production" not in (tmp_path / "spec" / "k6" / "script.js").read_text().splitlines()[0]


def test_query_values_taken_from_the_spec_are_listed_as_assumptions(tmp_path: Path) -> None:
    """Museum's lists were sent `startDate`, `page` and `limit` from the spec's examples on
    every request, a cache's best case, and the plan said nothing of it."""
    from inferload.model.workload import DataPool, PoolValue, Provenance
    from tests.conftest import SPECS

    spec = SPECS / "redocly-museum-3.1" / "openapi.yaml"
    workload_file = tmp_path / "w.yaml"
    inferred = CliRunner().invoke(main, ["infer", "--spec", str(spec), "-o", str(workload_file)])
    assert inferred.exit_code == 0, inferred.output
    listed = [a for a in assumptions(generate_plan(workload_file, tmp_path / "a")) if "query" in a]
    assert any(
        item.startswith("query of `GET /special-events`: `startDate`, `endDate`, `page`, `limit`")
        for item in listed
    ), listed
    workload = load_workload(workload_file)
    pages = DataPool(
        parameter="page", location="query", operations=["listSpecialEvents", "getMuseumHours"],
        values=[PoolValue(value="1", weight=0.8), PoolValue(value="2", weight=0.2)],
        provenance=Provenance.DEFAULT,
    )  # fmt: skip
    pooled = workload.model_copy(
        update={"data_pools": {**workload.data_pools, "query.page": pages}}
    )
    workload_file.write_text(dump_workload(pooled))
    listed = [a for a in assumptions(generate_plan(workload_file, tmp_path / "b")) if "query" in a]
    assert listed and not any("`page`" in item for item in listed), listed


@pytest.mark.parametrize(
    ("value", "written"),
    [(1200.0, "1,200"), (6049.1, "6,049"), (21.45, "21.4"), (0.4, "0.4"), (0.007, "0.007"),
     (0.0, "0")],
)  # fmt: skip
def test_rates_and_counts_read_as_a_person_writes_them(value: float, written: str) -> None:
    assert figure(value) == written


def test_the_plan_states_sessions_in_flight_by_littles_law_in_whole_numbers(
    lms_workload_file: Path, tmp_path: Path
) -> None:
    plan = generate_plan(lms_workload_file, tmp_path / "out", "normal_arrival_rate_per_s: 20\n")
    flat = " ".join(plan.split())
    match = re.search(
        r"A session lasts (\d+) s on average, .* keeps about ([\d,]+) sessions in flight\.", flat
    )
    assert match, flat[:600]
    assert int(match[2].replace(",", "")) == pytest.approx(20 * int(match[1]), rel=0.01)
    assert "1,200 sessions/min" in plan and ".00 sessions/min" not in plan


def test_the_plan_says_what_artillerys_smoke_runs(lms_workload_file: Path, tmp_path: Path) -> None:
    """The plan's word for Artillery's smoke is the script's: its table's smoke rate is k6's
    (two looping users), which Artillery, without a closed model, cannot run."""
    plan = " ".join(generate_plan(lms_workload_file, tmp_path / "out").split())
    script = yaml.safe_load((tmp_path / "out" / "artillery" / "script.yml").read_text())
    (phase,) = script["config"]["environments"]["smoke"]["phases"]
    assert (phase["arrivalRate"], phase["maxVusers"]) == (1, 5)
    assert (
        "Artillery's smoke, which has no closed model, starts a session each second, never more than five in flight"
        in plan
    )
