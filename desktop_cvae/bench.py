"""Timing of the interactive update, as the GUI does it per stroke: normalise the canvas, add noise,
then reconstruction + recognition over the 10 labels."""

from __future__ import annotations

import time

import numpy as np
from PIL import Image

from .data import load_sample
from .engine import Engine
from .vision.preprocess import add_noise, normalize_gray

CANVAS_SIDE = 140  # the canvas hands the model a 140x140 grayscale image (see gui/canvas.py)


def canvas_like_inputs(count: int = 50) -> list[np.ndarray]:
    """Shipped sample digits as the canvas would hand them over: dark ink on light paper, 140x140."""
    x = load_sample().x_test[:count].astype(np.float32) / 255.0
    big = [np.asarray(Image.fromarray(d, mode="F").resize((CANVAS_SIDE, CANVAS_SIDE), Image.Resampling.BILINEAR))
           for d in x]
    return [1.0 - np.clip(b, 0, 1) for b in big]


def model_input(inputs: list[np.ndarray], i: int, sigma: float = 0.1) -> np.ndarray:
    """The update's work before the model: normalise canvas image i (cycling), add seeded noise."""
    return add_noise(normalize_gray(inputs[i % len(inputs)]).pixels, sigma=sigma, seed=i)


def times_ms(call, n: int, warmup: int = 20) -> np.ndarray:
    """Wall time of call(i) for i in 0..n-1, in ms, after `warmup` calls not counted."""
    for i in range(warmup):
        call(i)
    times = np.empty(n)
    for i in range(n):
        t = time.perf_counter()
        call(i)
        times[i] = time.perf_counter() - t
    return times * 1000


def bench_update(engine: Engine, n: int = 1000, sigma: float = 0.1, warmup: int = 20) -> dict:
    engine.warm_up()  # as the app runs it once warmed up: traced, and compiled where the engine compiles
    inputs = canvas_like_inputs()

    def update(i):
        return engine.analyze(model_input(inputs, i, sigma))

    ms = times_ms(update, n, warmup)
    return {"update_ms_p50": float(np.percentile(ms, 50)), "update_ms_p99": float(np.percentile(ms, 99)), "n": n}
