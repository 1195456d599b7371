"""Reading inputs in chunks that end at line ends."""

from __future__ import annotations

import io
import random

from inferload.streams import iter_chunks


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
