"""Reading inputs in chunks that end at line ends."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from inferload.errors import InferloadError
from inferload.streams import iter_chunks, read_whole


def test_chunks_end_at_line_ends_and_lose_nothing() -> None:
    """Lines shorter and longer than a chunk, empty lines, no final newline: the chunks put
    back together are the input, and each but the last ends at a newline."""
    rng = random.Random(5)
    for _ in range(500):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(0, 200)))
        size = rng.randrange(1, 40)
        chunks = list(iter_chunks(io.BytesIO(data), "input.log", size))
        assert b"".join(chunks) == data
        assert all(chunk.endswith(b"\n") for chunk in chunks[:-1])
        assert all(chunk for chunk in chunks)


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_inputs_are_told_by_their_magic_bytes(
    tmp_path: Path, compress: Callable[[bytes], bytes]
) -> None:
    """logrotate compresses with gzip by default, with bzip2 or xz when told to: each is read
    whatever the file is called."""
    text = b"".join(b"line %d\n" % i for i in range(10_000))
    path = tmp_path / "access.log.1"
    path.write_bytes(compress(text))
    assert read_whole(path) == text
    path.write_bytes(compress(text)[:-20])  # cut short, as a copy interrupted
    with pytest.raises(InferloadError, match="corrupt or truncated compressed data"):
        read_whole(path)


def test_zstd_is_refused_with_the_command_that_reads_it(tmp_path: Path) -> None:
    path = tmp_path / "access.log.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 64)
    with pytest.raises(InferloadError, match="zstd-compressed") as raised:
        read_whole(path)
    assert raised.value.hint == f"zstd -dc {path} | inferload logs - ..."
