"""Load goes to loopback unless a host is allowed; bad run requests fail before any engine starts."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.errors import InferloadError
from inferload.run.runner import failure_reason
from inferload.run.safety import check_target


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8800", "http://127.9.8.7/api", "http://localhost:1", "http://[::1]:8080/"],
)
def test_loopback_targets_are_accepted(url: str) -> None:
    check_target(url, [])


@pytest.mark.parametrize(
    "url", ["http://10.0.0.5:8080", "https://api.example.com", "http://192.168.1.2"]
)
def test_other_hosts_are_refused_with_the_reason(url: str) -> None:
    with pytest.raises(InferloadError) as caught:
        check_target(url, [])
    message = caught.value.one_line()
    assert (
        "not a loopback address" in message and "staging" in message and "--allow-host" in message
    )


def test_a_listed_staging_host_is_allowed() -> None:
    assert (
        check_target("https://staging.example.com/api", ["staging.example.com"])
        == "staging.example.com"
    )
    with pytest.raises(InferloadError):
        check_target("https://prod.example.com/api", ["staging.example.com"])


def test_not_a_url_is_refused() -> None:
    with pytest.raises(InferloadError, match="not an http"):
        check_target("ftp://127.0.0.1/", [])


@pytest.mark.parametrize("url", ["http://user:s3cret@127.0.0.1:8800", "s3cret@127.0.0.1:8800"])
def test_a_url_with_credentials_is_refused_without_echoing_them(url: str) -> None:
    """The URL is written to the manifest, the report and the console: a password in it would
    land in every one of them."""
    with pytest.raises(InferloadError) as caught:
        check_target(url, [])
    message = caught.value.one_line()
    assert "credentials" in message and "LOGIN_PASSWORD" in message
    assert "s3cret" not in message


def run(args: list[str]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", *args])
    return result.exit_code, result.output + (result.stderr or "")


def test_run_refuses_a_production_host_before_anything_starts(
    lms_generated: Path, tmp_path: Path
) -> None:
    code, output = run(
        [str(lms_generated), "--base-url", "https://api.example.com", "-o", str(tmp_path / "r")]
    )
    assert code == 2 and "refusing to send load to api.example.com" in output
    assert not (tmp_path / "r").exists()


def test_run_checks_the_metrics_url_too(lms_generated: Path, tmp_path: Path) -> None:
    code, output = run([str(lms_generated), "--base-url", "http://127.0.0.1:9", "--metrics-url", "http://metrics.internal/m", "-o", str(tmp_path / "r")])  # fmt: skip
    assert code == 2 and "--metrics-url" in output and "metrics.internal" in output


def test_run_refuses_a_non_empty_results_folder(lms_generated: Path, tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "keep.txt").write_text("mine")
    code, output = run(
        [str(lms_generated), "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")]
    )
    assert code == 2 and "refusing to overwrite" in output
    assert (tmp_path / "r" / "keep.txt").read_text() == "mine"


def test_run_names_the_profiles_when_one_is_unknown(lms_generated: Path, tmp_path: Path) -> None:
    code, output = run([str(lms_generated), "--profile", "rampage", "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")])  # fmt: skip
    assert code == 2 and "no profile 'rampage'" in output and "stress" in output


def test_run_needs_a_generated_test(tmp_path: Path) -> None:
    code, output = run(
        [str(tmp_path), "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")]
    )
    assert code == 2 and "no generated k6 test here" in output


def test_run_names_the_engine_a_one_engine_folder_was_generated_for(
    lms_generated: Path, tmp_path: Path
) -> None:
    only = tmp_path / "artillery-only"
    shutil.copytree(lms_generated, only)
    shutil.rmtree(only / "k6")
    code, output = run([str(only), "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")])
    assert code == 2 and "no generated k6 test here" in output
    assert "holds a test for artillery only: pass --tool artillery" in output


def test_report_needs_a_results_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(tmp_path), "-o", str(tmp_path / "out")])
    assert result.exit_code == 2 and "not a results folder" in result.stderr


def test_session_tags_are_a_k6_option(lms_generated: Path, tmp_path: Path) -> None:
    code, output = run([str(lms_generated), "--tool", "artillery", "--tag-sessions", "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")])  # fmt: skip
    assert code == 2 and "--tag-sessions is for k6" in output


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("BASE_URL", "use --base-url"),
        ("SUMMARY_PATH", "results folder"),
        ("PROFILE", "use --profile"),
        ("ALLOW_HOSTS", "use --allow-host"),  # run tells the script the hosts it allowed
    ],
)
def test_run_refuses_an_env_it_sets_itself(
    lms_generated: Path, tmp_path: Path, name: str, says: str
) -> None:
    """`--env` carries the script's other variables; one that `run` sets itself was a crash
    (a TypeError: the name given twice) before anything said why."""
    code, output = run([str(lms_generated), "--env", f"{name}=x", "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r")])  # fmt: skip
    assert code == 2 and f"{name} is set by run itself" in output and says in output
    assert "Traceback" not in output and not (tmp_path / "r").exists()


@pytest.mark.parametrize(
    ("log", "reason"),
    [
        (
            'time="2026-12-07T13:07:54Z" level=error msg="Error: set API_TOKEN (no token)\\n\\tat '
            'refuse (file:///x/script.js:129:29(111))\\n" hint="script exception"\n',
            "Error: set API_TOKEN (no token)",
        ),
        (
            "Test run id: t1\nworker error, id: 1 Error: set API_TOKEN\n    at refuse "
            "(/x/processor.js:88:29)\n    at Module._compile (node:internal/modules/cjs/loader)\n",
            "Error: set API_TOKEN",
        ),
        ("one\ntwo\nthree\n", "one | two | three"),
    ],
)
def test_an_engine_failure_is_told_by_the_first_exception_message(
    tmp_path: Path, log: str, reason: str
) -> None:
    engine_log = tmp_path / "engine.log"
    engine_log.write_text(log)
    assert failure_reason(engine_log) == reason
