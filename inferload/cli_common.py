"""What every `inferload` command shares: the consoles, the exit codes, the error wrapper.

Exit codes: 0 ok, 1 a failed check or threshold, 2 bad input (one line naming file and line).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

import click
from rich.console import Console

from inferload.errors import InferloadError

EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_INPUT = 0, 1, 2
F = TypeVar("F", bound=Callable[..., Any])

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def reports_errors(command: F) -> F:
    """Turn `InferloadError` into one line on stderr and exit 2: users see messages, not traces."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except InferloadError as error:
            click.echo(f"inferload: error: {error.one_line()}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


def parse_duration(text: str, option: str) -> float:
    """`30m`, `900s`, `1h`, `1.5h` or plain seconds -> seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    value, unit = (text[:-1], text[-1]) if text and text[-1] in units else (text, "s")
    try:
        seconds = float(value) * units[unit]
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a duration like 30m, 900s or 1h", param_hint=option
        ) from None
    if seconds <= 0:
        raise click.BadParameter("must be positive", param_hint=option)
    return seconds
