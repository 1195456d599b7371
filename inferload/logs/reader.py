"""Read log files in bounded chunks: plain or gzip (by magic bytes), files or stdin.

Memory stays flat whatever the file size: each chunk is ~8 MB of text cut at a line end and
turned into a (line_no, line) frame by Polars' CSV reader (with a separator that never occurs,
so each line is one field; blank lines are kept as nulls to keep line numbers exact).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

import polars as pl

from inferload.streams import display_name, iter_chunks, open_input

_SEPARATOR = b"\x1f"  # a control byte no access log writes unescaped
CHUNK_BYTES = (
    8 * 1024 * 1024
)  # ~45k lines: larger chunks cost memory (Polars copies per step), not speed


def lines_frame(chunk: bytes, first_line_no: int) -> pl.DataFrame:
    """One chunk -> (line_no, line), one row per line; invalid UTF-8 is replaced, never fatal.
    So is the separator byte: access logs escape control characters, so only binary garbage
    holds it, and a line split in two fields would be cut short (or, first in a chunk, fail)."""
    if _SEPARATOR in chunk:
        chunk = chunk.replace(_SEPARATOR, "\ufffd".encode())
    try:
        frame = _read_lines(chunk, "utf8")
    except pl.exceptions.ComputeError:  # invalid UTF-8 in the chunk: read it again, replacing
        frame = _read_lines(chunk, "utf8-lossy")  # (lossy reading costs more on every chunk)
    frame = frame.with_row_index("line_no", offset=first_line_no).with_columns(
        pl.col("line_no").cast(pl.Int64)
    )
    if b"\r" in chunk:  # CRLF line ends (logs copied from Windows)
        frame = frame.with_columns(pl.col("line").str.strip_chars_end("\r"))
    return frame


def _read_lines(chunk: bytes, encoding: Literal["utf8", "utf8-lossy"]) -> pl.DataFrame:
    return pl.read_csv(
        io.BytesIO(chunk),
        has_header=False,
        separator=_SEPARATOR.decode(),
        quote_char=None,
        schema={"line": pl.String},
        encoding=encoding,
    )


def iter_line_frames(
    source: str | Path,
    progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
    name: str | None = None,
) -> Iterator[pl.DataFrame]:
    """Stream a log as (line_no, line) frames of ~`chunk_bytes` each. `name`: the input as the
    user gave it, for messages (a spooled pipe's copy has another)."""
    name = name or display_name(source)
    next_line = 1
    with open_input(source) as (stream, raw):
        for chunk in iter_chunks(stream, name, chunk_bytes):
            frame = lines_frame(chunk, next_line)
            next_line += frame.height
            if progress is not None and raw.seekable():  # not a pipe: stdin, <(...), a FIFO
                progress(raw.tell())
            yield frame
