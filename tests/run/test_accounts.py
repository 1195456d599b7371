"""Test accounts against the sessions in flight: the users CSV is checked before a run, a run
with too few accounts is told so, and the report says how many sessions shared them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from inferload.cli import main
from inferload.errors import InferloadError
from inferload.run.accounts import count_accounts, read_users, shared_accounts_note
from tests.conftest import FIXTURES

PLAN = {
    "auth": {"login": "login"},
    "personas": [{"id": "p1"}, {"id": "p2"}],
    "profiles": {"load": {"in_flight": 41.2}, "smoke": {"in_flight": 1.5}},
}


def test_a_users_csv_reads_as_the_scripts_read_it(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(
        'persona,username,password\n*,ann@x.test,"a,b ""c""\nd"\n\np1,bob@x.test,pw\n*,ann@x.test,other\n'
    )
    assert read_users(path) == [
        ("*", "ann@x.test", 3),
        ("p1", "bob@x.test", 5),
        ("*", "ann@x.test", 6),
    ]
    assert count_accounts({"USERS_CSV": str(path)}, PLAN) == 2  # distinct usernames


def test_a_users_csv_row_for_a_persona_the_test_lacks_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("persona,username,password\n*,ann@x.test,pw\np9-gone,bob@x.test,pw\n")
    with pytest.raises(InferloadError) as raised:
        count_accounts({"USERS_CSV": str(path)}, PLAN)
    assert raised.value.location is not None and raised.value.location.line == 3
    assert (
        "p9-gone" in raised.value.message
        and raised.value.hint is not None
        and "p1, p2" in raised.value.hint
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("persona,username,password\n*,ann@x.test\n", 2),  # no password
        ("persona,username,password\n*,ann@x.test,pw\n,bob@x.test,pw\n", 3),  # no persona
        ("persona,username,password\n", None),  # no account at all
    ],
)
def test_a_broken_users_csv_is_refused_with_its_line(
    tmp_path: Path, text: str, line: int | None
) -> None:
    path = tmp_path / "users.csv"
    path.write_text(text)
    with pytest.raises(InferloadError) as raised:
        read_users(path)
    assert raised.value.location is not None and raised.value.location.line == line


def test_too_few_accounts_for_the_sessions_in_flight_is_said_before_the_run() -> None:
    assert count_accounts({}, {"auth": {"login": None}}) is None  # no login: nothing to share
    assert count_accounts({"LOGIN_USERNAME": "ann"}, PLAN) == 1
    note = shared_accounts_note(1, PLAN, "load", think_scale=1.0)
    assert note is not None and "1 account(s) for about 42 sessions in flight" in note
    assert shared_accounts_note(42, PLAN, "load", think_scale=1.0) is None
    assert shared_accounts_note(5, PLAN, "load", think_scale=0.1) is None  # 4.1 sessions: enough
    assert shared_accounts_note(None, PLAN, "load", think_scale=1.0) is None


def test_run_refuses_a_broken_users_csv_before_starting_the_engine(
    lms_generated: Path, tmp_path: Path
) -> None:
    users = tmp_path / "users.csv"
    users.write_text("persona,username,password\n*,user1@lms.example\n")
    result = CliRunner().invoke(main, [
        "run", str(lms_generated), "--base-url", "http://127.0.0.1:9", "-o", str(tmp_path / "r"),
        "--users-csv", str(users),
    ])  # fmt: skip
    assert result.exit_code == 2, result.output
    assert f"{users}:2" in result.stderr and "persona,username,password" in result.stderr
    assert not (tmp_path / "r").exists()


def test_the_report_says_how_many_sessions_shared_an_account(tmp_path: Path) -> None:
    results = tmp_path / "k6-smoke"
    shutil.copytree(FIXTURES / "results" / "k6-smoke", results)
    manifest = json.loads((results / "manifest.json").read_text())
    for accounts, shared in ((1, True), (10, False)):
        manifest["accounts"] = accounts
        (results / "manifest.json").write_text(json.dumps(manifest))
        out = tmp_path / f"report-{accounts}"
        result = CliRunner().invoke(main, ["report", str(results), "-o", str(out), "--json"])
        assert result.exit_code == 0, result.output
        caveats = json.loads(result.stdout)["caveats"]
        found = [c for c in caveats if c.startswith("Sessions shared")]
        assert bool(found) == shared, caveats
        if shared:
            assert (
                "Sessions shared 1 account(s): about 4 were in flight at once at level 1"
                in found[0]
            )


def test_a_users_csv_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes("persona,username,password\n*,andr\u00e9,pw\n".encode("latin-1"))
    with pytest.raises(InferloadError, match="not UTF-8"):
        read_users(path)
