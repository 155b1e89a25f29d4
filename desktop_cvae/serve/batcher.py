"""Dynamic batching: requests that arrive together go through the model as one call.

One thread owns the model calls. A request puts its input in a bounded queue and waits on a Future. The
thread takes the first waiting input, gathers more for up to `wait_ms` (or until `max_batch`), runs the
whole batch at once and hands each request its own answer. A full queue refuses at once (the server answers
503 with Retry-After) instead of letting every request's latency grow without bound, as TensorFlow Serving
does.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from typing import Callable, Sequence

import numpy as np


class QueueFull(Exception):
    """Too many requests are waiting for the model; try again shortly."""


_STOP = object()


class Batcher:
    def __init__(self, run: Callable[[np.ndarray], Sequence], max_batch: int = 64, wait_ms: float = 2.0,
                 queue_size: int = 256):
        """`run` takes a stacked batch of inputs and returns one answer per input, in order."""
        self._run = run
        self.max_batch = max_batch
        self.wait_s = wait_ms / 1000.0
        self._queue: queue.Queue = queue.Queue(maxsize=queue_size)
        self.batches = 0  # model calls made, for the load benchmark and tests
        self.items = 0  # inputs answered
        self._thread = threading.Thread(target=self._loop, name="model-batcher", daemon=True)
        self._thread.start()

    def submit(self, x: np.ndarray) -> Future:
        """Queue one input; its Future gets the answer (or the model's exception). Raises QueueFull."""
        fut: Future = Future()
        try:
            self._queue.put_nowait((x, fut))
        except queue.Full:
            raise QueueFull("the model is busy: too many requests are waiting") from None
        return fut

    def close(self, timeout: float = 10.0) -> None:
        """Answer what is queued, then stop the thread."""
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _gather(self, first) -> tuple[list, bool]:
        batch, stop = [first], False
        deadline = time.monotonic() + self.wait_s
        while len(batch) < self.max_batch:
            try:  # whatever is already waiting joins without delay; then wait out the rest of the window
                item = self._queue.get_nowait()
            except queue.Empty:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    item = self._queue.get(timeout=left)
                except queue.Empty:
                    break
            if item is _STOP:
                stop = True
                break
            batch.append(item)
        return batch, stop

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stop = self._gather(first)
            live = [(x, f) for x, f in batch if f.set_running_or_notify_cancel()]
            if live:
                try:
                    answers = self._run(np.stack([x for x, _ in live]))
                except Exception as e:  # noqa: BLE001 - each waiting request gets the error, the thread goes on
                    for _, f in live:
                        f.set_exception(e)
                else:
                    self.batches += 1
                    self.items += len(live)
                    for (_, f), a in zip(live, answers):
                        f.set_result(a)
            if stop:
                return
