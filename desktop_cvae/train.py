"""Training: fit a CVAE with validation every epoch, per-batch progress and cooperative cancel."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import keras
import numpy as np

from .config import ModelConfig
from .data import Dataset
from .model import CVAE, build_model

VALIDATION_SIZE = 5000  # held out from the training split, so the test split stays unseen


class TrainingCancelled(Exception):
    """Raised by train() when should_stop() asked it to stop."""


class TrainingFailed(Exception):
    """Training diverged (NaN or inf loss) or could not run; the message says why."""


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
class TrainResult:
    model: CVAE
    history: dict[str, list[float]]  # loss/reconstruction/kl and val_* per epoch
    epoch_seconds: list[float] = field(default_factory=list)


class _Hooks(keras.callbacks.Callback):
    def __init__(self, epochs, steps, on_batch, on_epoch, should_stop):
        super().__init__()
        self.epochs, self.steps = epochs, steps
        self.on_batch, self.on_epoch, self.should_stop = on_batch, on_epoch, should_stop
        self.epoch = 0
        self.cancelled = False
        self.diverged = None
        self.epoch_seconds: list[float] = []
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch
        self.epoch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        loss = float(logs.get("loss", math.nan)) if logs else math.nan
        if not math.isfinite(loss):
            self.diverged = f"the loss became {loss} in epoch {self.epoch + 1}, step {batch + 1}"
            self.model.stop_training = True
            return
        if self.should_stop is not None and self.should_stop():
            self.cancelled = True
            self.model.stop_training = True
            return
        if self.on_batch is not None:
            self.on_batch(BatchProgress(self.epoch, self.epochs, batch + 1, self.steps, loss,
                                        time.perf_counter() - self.start))

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds.append(time.perf_counter() - self.epoch_start)
        if self.cancelled or self.diverged:
            return
        if logs and not all(math.isfinite(float(v)) for v in logs.values()):
            self.diverged = f"a loss became NaN or infinite in epoch {epoch + 1}"
            self.model.stop_training = True
            return
        if self.on_epoch is not None:
            self.on_epoch(epoch, {k: float(v) for k, v in (logs or {}).items()})


def split_validation(data: Dataset, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training and validation images/labels; validation is a seeded hold-out of the training split."""
    x, y = Dataset.images(data.x_train), data.y_train.astype(np.int32)
    n_val = min(VALIDATION_SIZE, len(x) // 10) or 1
    order = np.random.default_rng(seed).permutation(len(x))
    val, train = order[:n_val], order[n_val:]
    return x[train], y[train], x[val], y[val]


def train(
    cfg: ModelConfig,
    data: Dataset,
    on_batch: Callable[[BatchProgress], None] | None = None,
    on_epoch: Callable[[int, dict], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    steps_per_execution: int = 1,
) -> TrainResult:
    """Train a new model. Raises TrainingCancelled or TrainingFailed; never returns a half-trained model
    as if it were finished."""
    keras.utils.set_random_seed(cfg.seed)
    x_train, y_train, x_val, y_val = split_validation(data, cfg.seed)
    steps = math.ceil(len(x_train) / cfg.batch_size)
    model = build_model(cfg)
    # Cosine decay to 5 % of the rate: a better final bound than a constant rate, at no cost.
    schedule = keras.optimizers.schedules.CosineDecay(cfg.learning_rate, decay_steps=steps * cfg.epochs, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule), jit_compile=True, steps_per_execution=steps_per_execution)
    hooks = _Hooks(cfg.epochs, steps, on_batch, on_epoch, should_stop)
    history = model.fit(
        x_train, y_train, batch_size=cfg.batch_size, epochs=cfg.epochs,
        validation_data=(x_val, y_val), callbacks=[hooks], verbose=0, shuffle=True,
    )
    if hooks.cancelled:
        raise TrainingCancelled("training was cancelled")
    if hooks.diverged:
        raise TrainingFailed(f"Training stopped: {hooks.diverged}. Try a lower learning rate or beta.")
    return TrainResult(model, {k: [float(v) for v in vals] for k, vals in history.history.items()}, hooks.epoch_seconds)
