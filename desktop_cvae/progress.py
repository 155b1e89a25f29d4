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

    @property
    def remaining(self) -> float:
        f, done_here = self.fraction, self.fraction - self.start_fraction
        return self.elapsed * (1 - f) / done_here if done_here > 0 else math.inf


@dataclass
class EpochReport:
    epoch: int  # 0-based
    epochs: int
    logs: dict[str, float]  # loss/reconstruction/kl and val_* of this epoch
    history: dict[str, list[float]]  # everything so far, for live curves
    previews: np.ndarray | None  # reconstructions (n, 28, 28) of the preview images, if any were given
