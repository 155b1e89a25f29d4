"""What training reports while it runs. TensorFlow-free, so a process that only watches training (the GUI)
can receive these without importing it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class BatchProgress:
    epoch: int  # 0-based
    epochs: int
    step: int  # 1-based within the epoch
    steps: int
    loss: float
    elapsed: float  # seconds since training started (or resumed)
    start_fraction: float = 0.0  # the fraction done before `elapsed` began: a resumed training's epochs

    @property
    def fraction(self) -> float:
        return (self.epoch * self.steps + self.step) / max(self.epochs * self.steps, 1)


class TimeLeft:
    """How long a training has left, from the pace of the batches measured so far in this run. The first report
    is only the starting point: the time before it went into building and tracing the model, not into batches,
    so an estimate from the start of the run would say several times too much after a short first epoch."""

    def __init__(self) -> None:
        self._first: tuple[float, float] | None = None  # (elapsed, fraction) at the first batch reported

    def update(self, p: BatchProgress) -> float:
        """Seconds left after report p, or inf while there is no pace to go by."""
        if self._first is None or p.elapsed < self._first[0]:
            self._first = (p.elapsed, p.fraction)
            return math.inf
        seconds, done = p.elapsed - self._first[0], p.fraction - self._first[1]
        return seconds * (1 - p.fraction) / done if done > 0 and seconds > 0 else math.inf


def plural(n: int, word: str) -> str:
    """'1 epoch', '2 epochs'."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def duration(seconds: float) -> str:
    """'45 s', '3 min 05 s', '2 h 10 min'."""
    s = int(round(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min {s % 60:02d} s"
    return f"{s // 3600} h {s % 3600 // 60:02d} min"


@dataclass
class EpochReport:
    epoch: int  # 0-based
    epochs: int
    logs: dict[str, float]  # loss/reconstruction/kl and val_* of this epoch
    history: dict[str, list[float]]  # everything so far, for live curves
    previews: np.ndarray | None  # reconstructions (n, 28, 28) of the preview images, if any were given
