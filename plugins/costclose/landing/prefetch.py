"""Read the next batch from the source while the current one is written to the warehouse."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterator[T], depth: int = 1) -> Generator[T, None, None]:
    """Yield ``items`` while a background thread already produces the next ``depth`` of them.

    The source iterator runs (and is closed) entirely in that thread, so a connector's connection is
    used by one thread only. An exception in the source is re-raised here; closing this generator
    stops and closes the source.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
            except queue.Full:
                continue
            return True
        return False

    def produce() -> None:
        outcome: object = _DONE
        try:
            for item in items:
                if not offer(item):
                    break
        except BaseException as exc:  # handed to the consuming thread, which re-raises it
            outcome = exc
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
        offer(outcome)

    worker = threading.Thread(target=produce, name="costclose-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item = handoff.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()
