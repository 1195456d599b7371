"""No secret, token, cookie, email or client address from the logs lands in any generated file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from inferload.cli import main
from tests.conftest import SPECS

SECRETS = [
    "jane.doe@example.com",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "sk_live_51HqLyjWDarjtT1zdp7dcXhQ7PZqEEVuU9hH3kXtSfN2",
    "192.0.2.44",
    "s3cr3t-cookie-value",
    "hunter2",
]
FORMAT = (
    '$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent '
    '"$http_user_agent" "$http_authorization" "$http_cookie"'
)


def test_generated_artifacts_carry_no_secret(tmp_path: Path) -> None:
    email, jwt, key, ip, cookie, password = SECRETS
    lines = []
    for minute in range(40):  # enough sessions for pools and think times
        at = f"14/Nov/2023:22:{minute:02d}:21 +0000"
        later = f"14/Nov/2023:22:{minute:02d}:29 +0000"
        client = f"192.0.2.{minute + 1}" if minute else ip
        lines.append(
            f'{client} - - [{at}] "GET /api/v3/user/login?username={email}&password={password} HTTP/1.1" 200 5 "Mozilla" "Bearer {jwt}" "sessionid={cookie}"'
        )
        lines.append(
            f'{client} - - [{later}] "GET /api/v3/user/{email}?api_key={key} HTTP/1.1" 200 5 "Mozilla" "Bearer {jwt}" "-"'
        )
    log = tmp_path / "access.log"
    log.write_text("\n".join(lines) + "\n")
    runner = CliRunner()
    spec = SPECS / "petstore-v3/openapi.yaml"
    result = runner.invoke(
        main,
        [
            "infer",
            "--spec",
            str(spec),
            "--logs",
            str(log),
            "--log-format",
            FORMAT,
            "-o",
            str(tmp_path / "w.yaml"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert (
        runner.invoke(
            main, ["generate", str(tmp_path / "w.yaml"), "-o", str(tmp_path / "out")]
        ).exit_code
        == 0
    )
    written = [tmp_path / "w.yaml", *(p for p in (tmp_path / "out").rglob("*") if p.is_file())]
    assert len(written) >= 7
    for path in written:
        text = path.read_text()
        for secret in SECRETS:
            assert secret not in text, (path, secret)
