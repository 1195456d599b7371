"""The generated k6 script runs unedited, with the real k6, against the real sample service."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.run.engines import engine_environment, find_artillery, find_k6
from tests.conftest import FIXTURES
from tests.engines.fast_recording_server import FastRecordingServer
from tests.engines.recording_server import RecordingServer
from tests.engines.runs import run_artillery, run_k6, script_start
from tests.lms_server import RunningService, lms_service, seeded_database

pytestmark = pytest.mark.engines
LMS = FIXTURES / "lms"


@pytest.fixture(scope="module")
def generated(lms_generated: Path) -> Path:
    return lms_generated


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    database = seeded_database(tmp_path_factory.mktemp("db"))
    with lms_service(tmp_path_factory.mktemp("svc"), database) as running:
        yield running


def test_generate_refuses_a_non_empty_folder(generated: Path) -> None:
    result = CliRunner().invoke(
        main, ["generate", str(generated.parent / "workload.yaml"), "-o", str(generated)]
    )
    assert result.exit_code == 2 and "refusing to overwrite" in result.stderr


def test_k6_smoke_runs_every_persona_without_errors(
    generated: Path, service: RunningService, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    # quoted fields and CRLF line ends, as spreadsheets write CSV: the script must unquote them
    users.write_text('persona,username,password\r\n*,"user1@lms.example","lms-demo-password"\r\n')
    summary = tmp_path / "summary.json"
    completed = run_k6(
        generated / "k6", BASE_URL=service.base_url, PROFILE="smoke", THINK_SCALE="0.01",
        DURATION_SCALE="0.1", USERS_CSV=str(users), SUMMARY_PATH=str(summary),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout + completed.stderr
    data = json.loads(summary.read_text())
    requests = data["metrics"]["http_reqs"]["values"]["count"]
    assert requests > 100
    assert data["metrics"]["http_req_failed"]["values"]["rate"] == 0
    assert data["metrics"]["checks"]["values"]["fails"] == 0
    assert data["metrics"]["iterations"]["values"]["count"] > 10  # sessions ran
    log = service.access_log.read_text()
    assert '"POST /api/auth/login' in log and "/api/courses/" in log


def test_k6_fails_fast_without_base_url(generated: Path) -> None:
    completed = run_k6(generated / "k6", timeout=60, BASE_URL="")
    assert completed.returncode != 0
    assert "BASE_URL is required" in completed.stdout + completed.stderr


_TARGETS = [  # BASE_URL, ALLOW_HOSTS, what the script says (None: it starts)
    ("http://127.0.0.1:9", "", None),
    ("http://[::1]:9/api", "", None),
    ("http://localhost:9", "", None),
    ("http://10.1.2.3", "", "refusing to send load to 10.1.2.3"),
    ("http://10.1.2.3", "a.example, 10.1.2.3", None),
    ("http://staging.example.com", "", "refusing to send load to staging.example.com"),
    ("http://user:secret@127.0.0.1:9", "", "not an http(s) URL with a host"),
    ("http://127.0.0.1@10.1.2.3", "", "not an http(s) URL with a host"),
]


@pytest.mark.parametrize("engine", ["k6", "artillery"])
@pytest.mark.parametrize(("base_url", "allow_hosts", "refusal"), _TARGETS)
def test_scripts_send_load_to_loopback_or_to_a_listed_host_only(
    generated: Path, engine: str, base_url: str, allow_hosts: str, refusal: str | None
) -> None:
    """Run by hand, outside `inferload run`, a script still refuses a host nobody listed."""
    said = script_start(engine, generated, BASE_URL=base_url, ALLOW_HOSTS=allow_hosts)
    if refusal is None:
        assert said == ""
    else:
        assert refusal in said and "secret" not in said


def test_hosts_listed_in_targets_are_allowed_by_the_scripts(
    generated: Path, tmp_path: Path
) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("allow_hosts: [Staging.Example.com]\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main,
        ["generate", str(generated.parent / "workload.yaml"), "--targets", str(targets),
         "-o", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output + result.stderr
    for engine in ("k6", "artillery"):
        assert script_start(engine, out, BASE_URL="http://staging.example.com") == ""
        assert "refusing" in script_start(engine, out, BASE_URL="http://prod.example.com")


@pytest.mark.parametrize(
    ("think_scale", "drain"), [("1", "10m35s"), ("0.1", "1m31s"), ("0", "1m0s")]
)
def test_sessions_in_flight_when_arrivals_end_get_time_to_finish(
    generated: Path, think_scale: str, drain: str
) -> None:
    """LMS sessions last about 5 min (302 s): k6 lets those in flight when a profile's arrivals
    end run twice that, scaled with the think times, never less than its own 30 s, and 30 s
    more for those still waiting for their random start."""
    plan = json.loads((generated / "k6" / "plan.json").read_text())
    assert round(plan["targets"]["session_duration_s"]) == 302 and plan["targets"]["drain_s"] == 605
    inspect = subprocess.run(
        [str(find_k6()), "inspect", "-e", "BASE_URL=http://127.0.0.1:9", "-e", "PROFILE=load",
         "-e", f"THINK_SCALE={think_scale}", "script.js"],
        cwd=generated / "k6", capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    scenarios = json.loads(inspect.stdout)["scenarios"]
    assert {scenario["gracefulStop"] for scenario in scenarios.values()} == {drain}


def test_artillery_smoke_runs_every_persona_without_unexpected_statuses(
    generated: Path, service: RunningService, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("persona,username,password\n*,user1@lms.example,lms-demo-password\n")
    report = tmp_path / "artillery.json"
    completed = subprocess.run(
        [str(find_artillery()), "run", "--output", str(report),
         "--overrides", json.dumps({"config": {"phases": [{"duration": 5, "arrivalRate": 4}]}}), "script.yml"],
        cwd=generated / "artillery",
        env=engine_environment(BASE_URL=service.base_url, THINK_SCALE="0.01", USERS_CSV=str(users)),
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    counters = json.loads(report.read_text())["aggregate"]["counters"]
    assert counters["http.requests"] > 50
    assert counters.get("vusers.failed", 0) == 0
    assert counters.get("checks.unexpected_status", 0) == 0
    assert counters.get("checks.unexpected_content_type", 0) == 0
    assert set(k for k in counters if k.startswith("http.codes.")) <= {
        "http.codes.200",
        "http.codes.201",
        "http.codes.204",
    }
    assert any(k.startswith("plugins.metrics-by-endpoint.POST /api/auth/login") for k in counters)


def readme_smoke_command(folder: Path, engine: str) -> tuple[str, dict[str, str], list[str]]:
    """The README's smoke line for `engine`: (the folder it says to cd to, its environment, its
    command), split as a shell would."""
    lines = (folder / "README.md").read_text().splitlines()
    (line,) = [
        t for t in lines if t.startswith("BASE_URL=http://127.0.0.1") and f"{engine} run" in t
    ]
    cd = lines[lines.index(line) - 1]
    assert cd.startswith("cd ")
    words = shlex.split(line)
    environment = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    return cd[3:], environment, [word for word in words if not re.match(r"^[A-Z_]+=", word)]


def _by_hand(environment: dict[str, str], proxy: str) -> dict[str, str]:
    """A shell's environment with only what the README's line sets: none of `inferload run`'s
    telemetry settings, and a proxy that records whatever would leave for a host over https."""
    plain = {k: v for k, v in os.environ.items()
             if k not in ("K6_NO_USAGE_REPORT", "ARTILLERY_DISABLE_TELEMETRY", "NODE_OPTIONS")}  # fmt: skip
    return plain | environment | {"HTTPS_PROXY": proxy}  # both report over https


def test_the_readmes_smoke_commands_run_as_written(
    generated: Path, service: RunningService, tmp_path: Path
) -> None:
    """The generated folder's README says how to run it. Its smoke lines for k6 and Artillery
    run as written from the folder it names: only the address, the accounts and a shorter run
    are set (think times x0.01; DURATION_SCALE for k6, an --overrides of the phases for
    Artillery). Run by hand so, the engines send nothing but the load: k6 reported each run to
    its makers and Artillery sent its telemetry, as only `inferload run` turned them off."""
    accounts = {"LOGIN_USERNAME": "user1@lms.example", "LOGIN_PASSWORD": "lms-demo-password",
                "THINK_SCALE": "0.01"}  # fmt: skip
    folder, environment, command = readme_smoke_command(generated, "k6")
    assert command == ["k6", "run", "--no-usage-report", "script.js"]
    assert environment["PROFILE"] == "smoke"
    environment |= accounts | {"BASE_URL": service.base_url, "DURATION_SCALE": "0.1",
                               "SUMMARY_PATH": str(tmp_path / "summary.json")}  # fmt: skip
    with RecordingServer() as elsewhere:
        completed = subprocess.run(
            [str(find_k6()), *command[1:]], cwd=generated / folder,
            env=_by_hand(environment, elsewhere.base_url),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert elsewhere.requests == []
    assert (
        json.loads((tmp_path / "summary.json").read_text())["metrics"]["http_reqs"]["values"][
            "count"
        ]
        > 10
    )
    folder, environment, command = readme_smoke_command(generated, "artillery")
    assert command[:2] == ["npx", "artillery"] and "-e" in command
    environment |= accounts | {"BASE_URL": service.base_url}
    # (Artillery merges an environment before the overrides: an override of the environment's
    # own phases is not applied, and the run took its 60 s)
    shorter = json.dumps({"config": {"phases": [{"duration": 5, "arrivalRate": 2}]}})
    with RecordingServer() as elsewhere:
        completed = subprocess.run(
            [str(find_artillery()), *command[2:], "--overrides", shorter], cwd=generated / folder,
            env=_by_hand(environment, elsewhere.base_url),
            capture_output=True, text=True, timeout=180, check=False,
        )  # fmt: skip
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "Checks:" in completed.stdout  # the SLA was checked, and held
    assert elsewhere.requests == []


def test_artillery_waits_for_a_slow_answer_as_k6_does(generated: Path) -> None:
    """Under stress a response may take seconds: both engines wait 60 s (k6's default) before a
    request counts as failed. With Artillery's own 10 s, an 11 s answer was an error (ETIMEDOUT)
    in one engine and a slow success in the other."""
    first = []

    def late_first(_method: str, _path: str) -> float:
        first.append(1)
        return 11.0 if len(first) == 1 else 0.0

    with FastRecordingServer(delay_for=late_first) as server:
        completed = run_artillery(
            generated / "artillery", 1, duration=1, timeout=120,
            BASE_URL=server.base_url, THINK_SCALE="0", ARTILLERY_DISABLE_ENSURE="1",
        )  # fmt: skip
        sent = len(server.requests)
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert "ETIMEDOUT" not in completed.stdout
    assert re.search(r"vusers\.completed: \.+ 1\n", completed.stdout), completed.stdout[-2000:]
    assert sent > 1  # the session went on after the slow answer
