"""Run a generator one step ahead in a worker thread.

Reading and parsing a chunk is Polars work that releases the GIL; matching and sessionizing the
previous chunk is Python work that holds it. Overlapping the two uses both cores of a small
machine. Exceptions raised by the generator are re-raised in the consumer, in order.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_DONE = object()


def prefetch(source: Iterator[T], depth: int = 2) -> Iterator[T]:
    slots: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(_DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the consumer
            slots.put(error)

    worker = threading.Thread(target=produce, name="inferload-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join(timeout=5)
