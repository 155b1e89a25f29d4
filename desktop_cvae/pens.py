"""MNIST digits as the app sees people's digits: written again with another pen (thinner or bolder, crisp or
soft), at another size, and then normalised by the app's own stage 2 (preprocess.ink_to_mnist),
which measures and resets the stroke width, crops, fits and centres.

MNIST's digits were all made one way, so a model trained on them alone reads a digit a little worse once it has
been through a photo and the app's normalisation: a 9 with a thin loop becomes a 7. Training adds such redrawn
digits (ModelConfig.train_pens) so that the model learns the inputs it is given. Paper noise is left out: the
app's stage 1 takes it away before this stage, and training noises its inputs on its own. No Qt, no TensorFlow.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .vision.preprocess import NoInkError, ink_to_mnist

WORK = 96  # pens are changed at this size, one pixel of each edge at a time


def redraw(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One digit (28, 28) in [0, 1] -> the app's 28x28 model input for it written with a pen drawn from rng.
    Raises NoInkError if the pen left no ink."""
    img = Image.fromarray((np.clip(digit, 0, 1) * 255).astype(np.uint8), mode="L").crop((2, 2, 26, 26))
    img = img.resize((WORK, WORK), Image.Resampling.BICUBIC)
    area = (np.asarray(img) > 128).sum()
    steps = int(rng.integers(-4, 3))  # negative: a thinner pen than MNIST's
    for _ in range(abs(steps)):
        nxt = img.filter(ImageFilter.MinFilter(3) if steps < 0 else ImageFilter.MaxFilter(3))
        if steps < 0 and (np.asarray(nxt) > 128).sum() < 0.3 * area:
            break  # never so thin that the digit falls apart
        img = nxt
    side = int(rng.integers(24, 161))  # the digit's height in the picture
    img = img.resize((side, side), Image.Resampling.BICUBIC)
    if rng.random() < 0.5:
        img = img.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.3, 1.2))))
    a = np.asarray(img, np.float32) / 255
    # Where the paper ends and the ink begins: a crisp pen or a soft one.
    a = np.clip((a - rng.uniform(0.15, 0.5)) / rng.uniform(0.15, 0.6), 0, 1)
    return ink_to_mnist(a).pixels


def redrawn(images: np.ndarray, share: float, seed: int, should_stop=None) -> tuple[np.ndarray, np.ndarray] | None:
    """`share` of the digits (n, 28, 28), picked with `seed`, redrawn: (images (m, 28, 28) float32, the indices
    they were drawn from). A digit the pen erased is left out. None if `should_stop()` turned true on the way
    (a minute's work for all of MNIST: a cancel must not wait for it)."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    rng = np.random.default_rng(seed)
    pool = rng.permutation(len(images))[: round(share * len(images))]
    made, used = [], []
    for k, i in enumerate(pool):
        if should_stop is not None and k % 256 == 0 and should_stop():
            return None
        try:
            made.append(redraw(images[i].astype(np.float32) / scale, rng))
        except NoInkError:
            continue
        used.append(i)
    return np.asarray(made, np.float32).reshape(-1, 28, 28), np.asarray(used, np.int64)
