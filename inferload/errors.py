"""One error family for every stage.

Stage code raises `InferloadError` with a `kind` and, where it can, the file and the line or
field at fault. Only the CLI turns these into a one-line message and an exit code, so library
users get exceptions and command-line users never see a traceback for bad input.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class ErrorKind(enum.Enum):
    """What went wrong, so the CLI can pick the exit code and a hint."""

    FILE_NOT_FOUND = "file not found"
    UNREADABLE = "unreadable file"
    SYNTAX = "syntax error"
    NOT_OPENAPI = "not an OpenAPI document"
    UNSUPPORTED_VERSION = "unsupported OpenAPI version"
    BROKEN_REF = "broken $ref"
    EXTERNAL_REF = "external $ref"
    INVALID = "invalid input"


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the user's input the problem is: a file plus a line or a field path."""

    file: str
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        text = self.file
        if self.line is not None:
            text += f":{self.line}"
        if self.field:
            text += f": at {self.field}"
        return text


class InferloadError(Exception):
    """Bad input the user can fix. Carries a kind, a location and an optional hint."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        location: Location | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.location = location
        self.hint = hint

    def one_line(self) -> str:
        """The message the CLI prints: `file:line: at field: message (hint)`."""
        where = f"{self.location}: " if self.location else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{where}{self.message}{hint}"


def file_error(exc: OSError, path: str) -> InferloadError:
    """The one-line error for a file that cannot be opened, whatever stage opens it."""
    if isinstance(exc, FileNotFoundError):
        return InferloadError(ErrorKind.FILE_NOT_FOUND, "no such file", location=Location(path))
    if isinstance(exc, IsADirectoryError):
        return InferloadError(
            ErrorKind.UNREADABLE, "is a directory, not a file", location=Location(path)
        )
    return InferloadError(
        ErrorKind.UNREADABLE, f"cannot read: {exc.strerror}", location=Location(path)
    )


def refuse_overwrite(path: Path, force: bool) -> None:
    """Nothing is overwritten silently: an existing output file, or a folder with anything in it,
    needs --force."""
    if force or not path.exists():
        return
    if path.is_dir():
        if any(path.iterdir()):
            raise InferloadError(
                ErrorKind.INVALID, "is not empty; refusing to overwrite", location=Location(str(path)),
                hint="pass --force, or choose another folder",
            )  # fmt: skip
        return
    raise InferloadError(
        ErrorKind.INVALID, "exists; refusing to overwrite", location=Location(str(path)),
        hint="pass --force to replace it",
    )  # fmt: skip
