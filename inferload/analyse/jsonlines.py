"""JSON-lines results files that a run cut short may have left half-written.

A k6 run that is killed, or runs out of disk, stops in the middle of a line of its JSON output;
so do the resource monitor and Artillery's period log. Such a line is no reason to lose the
run: it is skipped and counted, and the report says so. Polars reads a clean chunk in one go;
only a chunk it refuses is read line by line, to find the lines to leave out.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import polars as pl


@dataclass(frozen=True, slots=True)
class Unreadable:
    """Lines of one results file that are no JSON object."""

    file: str
    lines: int
    first_line_no: int

    def note(self) -> str:
        return (
            f"{self.file}: {self.lines:,} line(s) that are no JSON were left out (the first at "
            f"line {self.first_line_no:,}; a run cut short leaves its last line half-written): "
            "the figures are from the rest."
        )


class JsonLines:
    """Reads the chunks of one file in order, counting the lines it has to leave out."""

    def __init__(self, file: str, schema: dict[str, pl.DataType] | None = None) -> None:
        """`schema`: the columns `frame` reads (not needed for `records`)."""
        self.file = file
        self.schema = pl.Schema(schema or {})
        self._lines_before = 0  # lines in the chunks read so far
        self._bad = 0
        self._first_bad: int | None = None

    def frame(self, chunk: bytes) -> pl.DataFrame:
        """One chunk (whole lines) -> its records, in `schema`."""
        try:
            frame = self._read(chunk)
        except pl.exceptions.ComputeError:  # a syntax error: find the lines it cannot read
            kept = [line for line, _ in self._objects(chunk)]
            return self._read(b"\n".join(kept)) if kept else pl.DataFrame(schema=self.schema)
        self._lines_before += chunk.count(b"\n")
        return frame

    def records(self, chunk: bytes) -> list[dict[str, Any]]:
        """One chunk -> its JSON objects as Python dicts (for small files read whole)."""
        return [record for _, record in self._objects(chunk)]

    def _objects(self, chunk: bytes) -> list[tuple[bytes, dict[str, Any]]]:
        """The chunk's lines that hold a JSON object, with the object; the others counted."""
        found = []
        for number, line in enumerate(chunk.split(b"\n"), start=self._lines_before + 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            if isinstance(record, dict):
                found.append((line, record))
            else:
                self._bad += 1
                self._first_bad = self._first_bad or number
        self._lines_before += chunk.count(b"\n")
        return found

    def unreadable(self) -> Unreadable | None:
        """What was left out so far, or None."""
        if not self._bad or self._first_bad is None:
            return None
        return Unreadable(self.file, self._bad, self._first_bad)

    def _read(self, data: bytes) -> pl.DataFrame:
        return pl.read_ndjson(io.BytesIO(data), schema=self.schema, ignore_errors=True)
