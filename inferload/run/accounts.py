"""The test accounts a run logs in with, against the sessions it keeps in flight.

Sessions that share an account behave unlike production's users: one user's cache entries stay
hot, one user's rows take every lock, one user's rate limit is hit. A run with a login step is
therefore told (before it starts) how many sessions its profile keeps in flight at its peak, by
Little's law, against the accounts it was given; the report then sets the accounts against the
sessions that were in flight. The users CSV is read here as the scripts read it (a header row,
then persona,username,password; RFC 4180 quoting), so a broken row is a clear error before the
engine starts, not a run of failed logins.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inferload.errors import ErrorKind, InferloadError, Location, file_error


def count_accounts(env: Mapping[str, str], plan: dict[str, Any]) -> int | None:
    """Distinct accounts the sessions log in with; None when the test has no login step."""
    if not plan["auth"].get("login"):
        return None
    users_csv = env.get("USERS_CSV")
    if users_csv:
        users = read_users(Path(users_csv))
        _check_personas(users, plan, Path(users_csv))
        return len({username for _, username, _ in users})
    return 1  # LOGIN_USERNAME, or the spec's example: one account for every session


def _check_personas(users: list[tuple[str, str, int]], plan: dict[str, Any], path: Path) -> None:
    """A row for a persona the test does not have would never be used: refused, with its line."""
    known = {persona["id"] for persona in plan["personas"]}
    for persona, _, line in users:
        if persona != "*" and persona not in known:
            raise InferloadError(
                ErrorKind.INVALID, f"persona {persona!r} is not in this test",
                location=Location(str(path), line=line),
                hint=f"one of: {', '.join(sorted(known))}, or * for any",
            )  # fmt: skip


def read_users(path: Path) -> list[tuple[str, str, int]]:
    """(persona, username, line) per row of a users CSV; a row without a persona, username or
    password is refused with its line (the scripts would never use it, or log in with nothing)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InferloadError(
            ErrorKind.INVALID, "the users CSV is not UTF-8 text", location=Location(str(path))
        ) from None
    except OSError as exc:
        raise file_error(exc, str(path)) from None
    reader = csv.reader(io.StringIO(text))
    rows = []
    for row in reader:
        if reader.line_num == 1 or not any(cell.strip() for cell in row):
            continue  # the header, blank lines
        persona, username, password = [*(cell.strip() for cell in row), "", "", ""][:3]
        if not persona or not username or not password:
            raise InferloadError(
                ErrorKind.INVALID, "a users CSV row needs persona,username,password",
                location=Location(str(path), line=reader.line_num),
                hint="persona * lets any persona use the account",
            )  # fmt: skip
        rows.append((persona, username, reader.line_num))
    if not rows:
        raise InferloadError(
            ErrorKind.INVALID, "the users CSV has no account after its header row",
            location=Location(str(path)),
        )  # fmt: skip
    return rows


def shared_accounts_note(
    accounts: int | None, plan: dict[str, Any], profile: str, think_scale: float
) -> str | None:
    """A warning when the profile's peak keeps more sessions in flight than there are accounts."""
    if accounts is None:
        return None
    in_flight = math.ceil(plan["profiles"][profile]["in_flight"] * min(think_scale, 1.0))
    if in_flight <= accounts:
        return None
    return (
        f"{accounts} account(s) for about {in_flight} sessions in flight at the {profile} "
        "profile's peak: sessions will share accounts (one user's caches, row locks and rate "
        "limits, unlike production's); give --users-csv one row per session in flight"
    )
