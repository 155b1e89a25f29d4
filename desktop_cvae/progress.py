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
    elapsed: float  # seconds since training started

    @property
    def fraction(self) -> float:
        return (self.epoch * self.steps + self.step) / max(self.epochs * self.steps, 1)

    @property
    def remaining(self) -> float:
        f = self.fraction
        return self.elapsed * (1 - f) / f if f > 0 else math.inf


@dataclass
class EpochReport:
    epoch: int  # 0-based
    epochs: int
    logs: dict[str, float]  # loss/reconstruction/kl and val_* of this epoch
    history: dict[str, list[float]]  # everything so far, for live curves
    previews: np.ndarray | None  # reconstructions (n, 28, 28) of the preview images, if any were given
