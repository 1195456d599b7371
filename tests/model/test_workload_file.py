"""workload.yaml: deterministic, documented by its JSON Schema, and checked when edited."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

from inferload.cli import main
from inferload.errors import InferloadError
from inferload.logs.model import Session
from inferload.model import dump_workload, infer_from_spec, json_schema, load_workload
from inferload.model.steps import session_steps, split_steps
from inferload.model.thinktime import fit_think_time
from inferload.render import print_workload_summary
from inferload.spec import load_catalog
from tests.conftest import FIXTURES, ROOT, SPECS

LMS = FIXTURES / "lms"


@pytest.fixture(scope="module")
def lms_workload(lms_workload_file: Path) -> Path:
    return lms_workload_file


def test_inference_is_deterministic_and_round_trips(lms_workload: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.yaml"
    result = CliRunner().invoke(
        main,
        [
            "infer",
            "--spec",
            str(LMS / "openapi.yaml"),
            "--logs",
            str(LMS / "access.log.gz"),
            "-o",
            str(again),
        ],
    )
    assert result.exit_code == 0
    assert again.read_text() == lms_workload.read_text()
    assert dump_workload(load_workload(lms_workload)) == lms_workload.read_text()


def test_lms_workload_content(lms_workload: Path) -> None:
    workload = load_workload(lms_workload)
    assert 2 <= len(workload.personas) <= 4
    learner = workload.personas[0]
    assert all(
        first.startswith("login") for first in learner.transitions["$start"]
    )  # login, or login+dashboard
    assert workload.operations["login"].priority == "high"
    assert workload.operations["getReportOverview"].p95_ms is not None
    assert workload.auth.login_operation == "login" and workload.auth.schemes == ["HTTPBearer"]
    assert workload.source.sessions > 16_000 and len(workload.source.spec_sha256) == 64
    assert (
        "course_id" in workload.data_pools
        and workload.data_pools["course_id"].values[0].value.isdigit()
    )
    assert (
        workload.load.peak_arrival_rate_per_s.value > workload.load.normal_arrival_rate_per_s.value
    )
    text = lms_workload.read_text()
    assert "@" not in text  # no emails
    assert not re.search(r"\b10\.\d+\.\d+\.\d+\b", text)  # no client addresses


def test_published_schema_is_current() -> None:
    published = json.loads((ROOT / "docs/workload.schema.json").read_text())
    assert published == json_schema(), "regenerate: inferload schema > docs/workload.schema.json"


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (
            lambda d: d["personas"][0]["transitions"].update({"$start": {"login": 0.5}}),
            "personas.0",
            "sum to 0.5000",
        ),
        (
            lambda d: d["personas"][0]["steps"].update({"login": ["noSuchOperation"]}),
            None,
            "unknown operation 'noSuchOperation'",
        ),
        (lambda d: d.update({"version": 7}), "version", "unsupported workload version 7"),
        (
            lambda d: d["operations"]["login"].update({"priority": "urgent"}),
            "operations.login.priority",
            "Input should be",
        ),
        (lambda d: d["personas"][0].update({"weight": 0.2}), None, "persona weights sum to"),
        (
            lambda d: d["data_pools"].update(
                {
                    "GET /a/{x}/b/{y}": {
                        "parameter": "x,y",
                        "parameters": ["x", "y"],
                        "location": "path",
                        "operations": ["GET /a/{x}/b/{y}"],
                        "provenance": "logs",
                        "values": [
                            {"value": ["1", "2"], "weight": 0.5},
                            {"value": ["3"], "weight": 0.5},
                        ],
                    }
                }
            ),
            "data_pools.GET /a/{x}/b/{y}",
            "values[1]: a joint pool's row needs 2 values (x, y)",
        ),  # fmt: skip
        (
            lambda d: d["personas"][0]["default_think"].update(
                {"median_s": 8, "p90_s": 2, "provenance": "user"}
            ),
            "personas.0.default_think",
            "p90_s (2) is below median_s (8)",
        ),
        (lambda d: d.update({"personas": []}), None, "no personas: the scripts would send nothing"),
        (
            lambda d: d["personas"][0]["transitions"].update({"$start": {"$end": 1.0}}),
            "personas.0",
            "its sessions would send nothing",
        ),
    ],
)
def test_edited_files_are_checked_with_the_field_named(
    lms_workload: Path, tmp_path: Path, edit, field, message
) -> None:  # type: ignore[no-untyped-def]
    data = yaml.safe_load(lms_workload.read_text())
    edit(data)
    edited = tmp_path / "edited.yaml"
    edited.write_text(yaml.safe_dump(data))
    with pytest.raises(InferloadError) as caught:
        load_workload(edited)
    assert message in caught.value.message
    if field:
        assert caught.value.location is not None and (caught.value.location.field or "").startswith(
            field
        )
    result = CliRunner().invoke(main, ["validate", str(edited)])
    assert result.exit_code == 2 and message in result.stderr


def test_validate_accepts_a_valid_file_and_reports_yaml_lines(
    lms_workload: Path, tmp_path: Path
) -> None:
    assert CliRunner().invoke(main, ["validate", str(lms_workload)]).exit_code == 0
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: 1\npersonas: [\n")
    result = CliRunner().invoke(main, ["validate", str(broken)])
    assert result.exit_code == 2 and f"{broken}:3" in result.stderr


def test_infer_refuses_to_overwrite(lms_workload: Path) -> None:
    result = CliRunner().invoke(
        main, ["infer", "--spec", str(LMS / "openapi.yaml"), "-o", str(lms_workload)]
    )
    assert result.exit_code == 2 and "--force" in result.stderr


def test_bursts_become_one_step_and_loops_stay_loops() -> None:
    session = Session(
        client="c", operations=("a", "b", "c", "c", "d"), timestamps_s=(0.0, 0.2, 0.5, 0.7, 9.0),
        statuses=(200,) * 5, durations_ms=(None,) * 5,
    )  # fmt: skip
    steps = split_steps(session, burst_window_s=1.0)
    assert [s.state for s in steps] == ["a+b+c", "c", "d"]
    assert steps[2].start_s - steps[1].end_s == pytest.approx(8.3)


def test_think_time_runs_from_the_last_answer_to_the_next_request() -> None:
    """A step's think time starts when its last response is done (a burst's slowest one), and
    requests that overlapped think for no time; a request without a logged duration counts from
    its start."""
    burst = Session(
        client="c", operations=("a", "b", "c", "d"), timestamps_s=(0.0, 0.2, 5.0, 6.5),
        statuses=(200,) * 4, durations_ms=(300.0, 2500.0, 4000.0, None),
    )  # fmt: skip
    states, gaps, _ = session_steps(burst, burst_window_s=1.0)
    assert states == ["a+b", "c", "d"]
    assert gaps == pytest.approx([5.0 - 2.7, 0.0])  # b answered at 2.7; d came while c ran
    single = Session(
        client="c", operations=("a", "b", "c"), timestamps_s=(0.0, 10.0, 13.0),
        statuses=(200,) * 3, durations_ms=(2000.0, None, 50.0),
    )  # fmt: skip
    assert session_steps(single, burst_window_s=1.0)[1] == pytest.approx([8.0, 3.0])


def test_lognormal_fit_of_a_known_sample() -> None:
    import math
    import random

    rng = random.Random(5)
    fitted = fit_think_time([rng.lognormvariate(math.log(12), 0.6) for _ in range(5000)])
    assert fitted.median_s == pytest.approx(12, rel=0.05)
    assert fitted.sigma == pytest.approx(0.6, rel=0.05)


@pytest.mark.parametrize(
    "relative",
    [
        "petstore-v3/openapi.yaml",
        "realworld-conduit/openapi.yml",
        "oai-examples/v3.0/link-example.yaml",
        "redocly-museum-3.1/openapi.yaml",
    ],
)
def test_spec_only_journeys_are_valid(relative: str) -> None:
    import networkx as nx

    from inferload.model.journeys import is_well_formed, journey_graph

    catalog = load_catalog(SPECS / relative)
    workload = infer_from_spec(catalog, str(SPECS / relative))
    (persona,) = workload.personas
    assert is_well_formed(persona.transitions)
    assert all(t.provenance.value == "default" for t in persona.think_times.values())
    assert workload.load.normal_arrival_rate_per_s.provenance.value == "default"
    for state in persona.steps:
        operation = catalog.operation(state)
        for parameter in operation.path_parameters:
            producer = workload.correlations.get(state, {}).get(parameter.name)
            assert (
                producer is not None and producer.producer in persona.steps
            ) or parameter.name in workload.data_pools, (state, parameter.name)
    login = workload.auth.login_operation
    if login:
        graph = journey_graph(persona.transitions)
        graph.remove_node(login)
        reachable = nx.descendants(graph, "$start")
        secured = {s for s in persona.steps if any(catalog.operation(s).security)}
        assert not (secured & reachable), "a secured operation is reachable without logging in"


def test_a_create_whose_item_has_no_get_leads_to_what_can_be_read_of_the_item() -> None:
    """The Museum API sells tickets (`POST /tickets`) and serves a ticket's QR code
    (`GET /tickets/{ticketId}/qr`) with no `GET /tickets/{ticketId}`: buying and then showing
    the ticket is a journey, its id captured from the purchase, not two operations left out."""
    spec = SPECS / "redocly-museum-3.1/openapi.yaml"
    catalog = load_catalog(spec)
    workload = infer_from_spec(catalog, str(spec))
    (persona,) = workload.personas
    assert set(workload.operations) == {op.operation_id for op in catalog.operations}
    assert persona.transitions["$start"]["buyMuseumTickets"] > 0
    assert persona.transitions["buyMuseumTickets"]["getTicketCode"] >= 0.5
    ticket = workload.correlations["getTicketCode"]["ticketId"]
    assert (ticket.producer, ticket.pointer) == ("buyMuseumTickets", "/ticketId")


@pytest.mark.parametrize(
    ("relative", "write_share"),
    [("oai-examples/v3.0/link-example.yaml", 0.10), ("petstore-v3/openapi.yaml", 0.15),
     ("redocly-museum-3.1/openapi.yaml", 0.20)],
)  # fmt: skip
def test_spec_only_users_mostly_read(relative: str, write_share: float) -> None:
    """A page that leads to one action was followed by it 70% of the time: the Link Example's
    users merged 92% of the pull requests they opened, writes were 23-42% of the traffic (APIs
    see 10-20%). Next steps are weighted by method: reads 1, writes 1/4, deletes 1/10."""
    spec = SPECS / relative
    catalog = load_catalog(spec)
    workload = infer_from_spec(catalog, str(spec))
    ops = workload.operations
    login = workload.auth.login_operation  # a POST, but no write to the API's data
    writes = sum(op.share for op_id, op in ops.items() if op.method != "GET" and op_id != login)
    assert writes <= write_share
    if "link-example" in relative:
        assert ops["mergePullRequest"].share < ops["getPullRequestsById"].share / 3
        (persona,) = workload.personas
        assert persona.transitions["getPullRequestsById"]["mergePullRequest"] <= 0.2


def test_the_summary_names_a_dozen_high_priority_operations_and_counts_the_rest(
    lms_workload: Path,
) -> None:
    """A spec-only Stripe workload has 209 of them: the line says how many, shows the first."""
    workload = load_workload(lms_workload)
    high = [op_id for op_id, op in workload.operations.items() if op.priority == "high"]
    many = workload.model_copy(
        update={
            "operations": {
                **workload.operations,
                **{f"extra{i:02}": workload.operations[high[0]].model_copy() for i in range(20)},
            }
        }
    )
    console = Console(record=True, width=10_000)
    print_workload_summary(console, many)
    line = next(text for text in console.export_text().splitlines() if "High-priority" in text)
    total = len(high) + 20
    assert f"({total})" in line and f"and {total - 12} more" in line
    assert line.count(",") == 11  # twelve names shown


def test_the_summary_calls_concurrency_measured_only_when_logs_measured_it(
    lms_workload: Path,
) -> None:
    from_logs = load_workload(lms_workload)
    spec = SPECS / "petstore-v3/openapi.yaml"
    from_spec = infer_from_spec(load_catalog(spec), str(spec))
    lines = {}
    for name, workload in (("logs", from_logs), ("spec", from_spec)):
        console = Console(record=True, width=10_000)
        print_workload_summary(console, workload)
        lines[name] = next(t for t in console.export_text().splitlines() if "concurrency" in t)
    measured = from_logs.load.peak_concurrent_sessions.value
    assert f"peak concurrency {measured:.0f} measured, " in lines["logs"]
    assert "measured" not in lines["spec"] and "by Little's law" in lines["spec"]


def test_expected_visits_of_a_small_chain() -> None:
    """$start -> a; a loops with 1/2, else on to b; b ends: a is visited twice, b once."""
    from inferload.model.chains import expected_visits

    spec = SPECS / "petstore-v3/openapi.yaml"
    (persona,) = infer_from_spec(load_catalog(spec), str(spec)).personas
    chain = {"$start": {"a": 1.0}, "a": {"a": 0.5, "b": 0.5}, "b": {"$end": 1.0}}
    small = persona.model_copy(update={"steps": {"a": ["a"], "b": ["b"]}, "transitions": chain})
    assert expected_visits(small) == pytest.approx({"a": 2.0, "b": 1.0})


@pytest.mark.parametrize("relative", ["petstore-v3/openapi.yaml", "realworld-conduit/openapi.yml"])
def test_a_spec_only_mix_and_session_length_are_what_walking_its_chain_gives(
    relative: str,
) -> None:
    """Without logs, an operation's share and the session length come from the chain the scripts
    walk: 20,000 seeded walks must give the same mix (total variation < 0.02) and length."""
    import random
    from collections import Counter

    from inferload.model.workload import END, START

    workload = infer_from_spec(load_catalog(SPECS / relative), str(SPECS / relative))
    (persona,) = workload.personas
    rng = random.Random(7)
    sent: Counter[str] = Counter()
    walks = 20_000
    for _ in range(walks):
        state = START
        while True:
            targets = persona.transitions[state]
            state = rng.choices(list(targets), weights=list(targets.values()))[0]
            if state == END:
                break
            sent.update(persona.steps[state])
    total = sum(sent.values())
    distance = 0.5 * sum(
        abs(sent[op_id] / total - operation.share)
        for op_id, operation in workload.operations.items()
    )
    assert distance < 0.02
    assert persona.session_length_steps == pytest.approx(total / walks, rel=0.03)
    assert sum(operation.share for operation in workload.operations.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("command", ["generate", "refresh"])
def test_a_recorded_spec_that_is_gone_names_the_field_and_the_way_out(
    command: str, lms_workload: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "workload.yaml"
    moved.write_text(
        re.sub(r"spec_path: .*", "spec_path: gone/openapi.yaml", lms_workload.read_text())
    )
    arguments = {
        "generate": ["generate", str(moved), "-o", str(tmp_path / "out")],
        "refresh": ["refresh", str(moved), "--logs", str(LMS / "access.log.gz"), "-o", str(tmp_path / "new.yaml")],
    }[command]  # fmt: skip
    result = CliRunner().invoke(main, arguments)
    assert result.exit_code == 2
    assert "source.spec_path" in result.stderr and "--spec" in result.stderr
    assert "'gone/openapi.yaml'" in result.stderr and "Traceback" not in result.output
    with_spec = CliRunner().invoke(main, [*arguments, "--spec", str(LMS / "openapi.yaml")])
    assert with_spec.exit_code == 0, with_spec.output + with_spec.stderr


def test_the_recorded_spec_is_found_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The spec is recorded from workload.yaml's folder: the pair can be run from anywhere, and
    moved together (a repository checked out elsewhere)."""
    project = tmp_path / "project"
    (project / "api").mkdir(parents=True)
    (project / "api" / "openapi.yaml").write_bytes((LMS / "openapi.yaml").read_bytes())
    monkeypatch.chdir(project)
    runner = CliRunner()
    inferred = runner.invoke(
        main, ["infer", "--spec", "api/openapi.yaml", "-o", "perf/workload.yaml"]
    )
    assert inferred.exit_code == 0, inferred.output
    workload = project / "perf" / "workload.yaml"
    assert yaml.safe_load(workload.read_text())["source"]["spec_path"] == "../api/openapi.yaml"
    moved = tmp_path / "moved"
    project.rename(moved)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    generated = runner.invoke(main, ["generate", "../moved/perf/workload.yaml", "-o", "out"])
    assert generated.exit_code == 0, generated.output + generated.stderr
    plan = (elsewhere / "out" / "TEST-PLAN.md").read_text()
    assert "Derived from `openapi.yaml` alone" in plan  # by name: paths read wrong from here
    refreshed = runner.invoke(
        main,
        ["refresh", "../moved/perf/workload.yaml", "--logs", str(LMS / "access.log.gz"),
         "-o", "new/workload.yaml"],
    )  # fmt: skip
    assert refreshed.exit_code == 0, refreshed.output + refreshed.stderr
    recorded = yaml.safe_load((elsewhere / "new" / "workload.yaml").read_text())["source"]
    assert recorded["spec_path"] == "../../moved/api/openapi.yaml"
    assert (elsewhere / "new" / recorded["spec_path"]).resolve() == moved / "api" / "openapi.yaml"
