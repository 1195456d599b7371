"""Input streams every stage reads the same way: a file or stdin, plain or compressed by gzip,
bzip2 or xz (told by its magic bytes, not its name: logrotate's `compresscmd` picks any of them),
cut into chunks that end at a line end so memory stays flat.

Access logs (logs/reader.py) and engine results (analyse/readers.py) both come through here.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import BinaryIO, cast

from inferload.errors import ErrorKind, InferloadError, Location, file_error

# magic bytes -> a reader of the decompressed stream
_DECOMPRESSORS: dict[bytes, Callable[[BinaryIO], BinaryIO]] = {
    b"\x1f\x8b": lambda raw: cast(BinaryIO, gzip.GzipFile(fileobj=raw)),
    b"BZh": lambda raw: cast(BinaryIO, bz2.BZ2File(raw)),
    b"\xfd7zXZ\x00": lambda raw: cast(BinaryIO, lzma.LZMAFile(raw)),  # noqa: SIM115 (closed with raw)
}
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
STDIN = "-"
WHOLE_READ_BYTES = 16 * 1024 * 1024


def display_name(source: str | Path) -> str:
    return "<stdin>" if str(source) == STDIN else str(source)


@contextmanager
def open_input(source: str | Path) -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """Yield (decompressed stream, raw stream); the raw one tells progress in file bytes."""
    name = display_name(source)
    try:
        raw: BinaryIO = sys.stdin.buffer if str(source) == STDIN else open(source, "rb")  # noqa: SIM115
    except OSError as exc:
        raise file_error(exc, name) from None
    try:
        head = raw.peek(6)[:6]  # type: ignore[attr-defined]
        if head.startswith(_ZSTD_MAGIC):
            raise InferloadError(
                ErrorKind.UNREADABLE, "zstd-compressed: not read directly",
                location=Location(name), hint=f"zstd -dc {name} | inferload logs - ...",
            )  # fmt: skip
        opener = next((o for magic, o in _DECOMPRESSORS.items() if head.startswith(magic)), None)
        stream = opener(raw) if opener is not None else raw
        yield stream, raw
    finally:
        if raw is not sys.stdin.buffer:
            raw.close()


def iter_chunks(stream: BinaryIO, name: str, chunk_bytes: int) -> Iterator[bytes]:
    """Raw chunks that end at a line end (the last one may not)."""
    carry = b""
    while True:
        try:
            block = stream.read(chunk_bytes)
        except (OSError, EOFError, lzma.LZMAError) as exc:
            raise InferloadError(
                ErrorKind.UNREADABLE,
                f"corrupt or truncated compressed data: {exc}",
                location=Location(name),
            ) from None
        if not block:
            if carry:
                yield carry
            return
        cut = block.rfind(b"\n")
        if cut < 0:
            carry += block
            continue
        yield b"".join((carry, memoryview(block)[: cut + 1]))  # one copy of the block, not two
        carry = block[cut + 1 :]


def read_whole(source: str | Path) -> bytes:
    """A small document (a JSON report, a samples file) read whole, gzipped or not."""
    with open_input(source) as (stream, _):
        return b"".join(iter_chunks(stream, display_name(source), WHOLE_READ_BYTES))


def spool_read_once(
    sources: list[str],
) -> tuple[list[str], tempfile.TemporaryDirectory[str] | None]:
    """The sources, with those that can be read only once (stdin; a pipe such as
    `<(zcat ...)`: see `read_once`) copied to a temporary folder, for a reader
    that needs two passes; and that folder (None: nothing spooled), for the caller to clean."""
    once = [index for index, source in enumerate(sources) if read_once(source)]
    if not once:
        return list(sources), None
    folder = tempfile.TemporaryDirectory(prefix="inferload-spool-")
    spooled = list(sources)
    for index in once:
        copy = Path(folder.name) / f"{index}.log"
        source = sources[index]
        with (
            copy.open("wb") as handle,
            nullcontext(sys.stdin.buffer) if source == STDIN else open(source, "rb") as stream,
        ):
            shutil.copyfileobj(stream, handle)
        spooled[index] = str(copy)
    return spooled, folder


def read_once(source: str) -> bool:
    """stdin, or a pipe (`<(zcat ...)`, a named FIFO) or socket: what a second pass would find
    empty. A directory or a missing file is reported when read."""
    if source == STDIN:
        return True
    try:
        mode = os.stat(source).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
