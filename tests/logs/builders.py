"""Write small access logs whose content the test knows exactly."""

from __future__ import annotations

import time
from pathlib import Path

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
T0 = 1_700_000_000.0


def clf_time(epoch: float) -> str:
    t = time.gmtime(epoch)
    return (
        f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def combined(
    at: float,
    request: str,
    *,
    ip: str = "203.0.113.7",
    status: int = 200,
    agent: str = BROWSER,
    user: str = "-",
    extra: str = "",
) -> str:
    line = f'{ip} - {user} [{clf_time(at)}] "{request} HTTP/1.1" {status} 512 "-" "{agent}"'
    return line + (f" {extra}" if extra else "")


def write_log(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path
