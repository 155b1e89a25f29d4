"""Is it a letter? A small judge that tells letters from digits on the model's 28x28 input.

The CVAE was only ever shown digits, and it reads a letter as the digit it looks most like: a printed "H" as a
sure 4, an "e" as an 8, so a word came out as a confident number ("Hello" as 48110 at 98 %). Its evidence bound
tells letters from digits too weakly to flag them. This judge, a two-layer convolutional net trained on letters
drawn from fonts against MNIST's digits and the same fonts' digits (scripts/train_letters.py), gives each input
its log odds of being a letter. Letters that look like digits (o, l, s, z, ...) were never taught as letters:
they are read as the digits they look like.

It runs with NumPy alone (no TensorFlow): a handful of crops per number costs well under a millisecond.
"""

from __future__ import annotations

import functools
import json
import logging
import zipfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

# Log odds above which an input is taken for a letter: 99 % on the judge's training balance (letters half,
# digits half). Chosen on benchmarks/words.py's words against numbers of MNIST test digits (docs/NUMBERS.md).
LETTER_LOG_ODDS = 4.6

_NAMES = ("conv1_kernel", "conv1_bias", "conv2_kernel", "conv2_bias", "dense1_kernel", "dense1_bias",
          "dense2_kernel", "dense2_bias")


def _shapes(conv1: int, conv2: int, units: int) -> dict[str, tuple[int, ...]]:
    """What each weight's shape must be for a judge of these widths (scripts/train_letters.py --filters, --units)."""
    return {"conv1_kernel": (3, 3, 1, conv1), "conv1_bias": (conv1,), "conv2_kernel": (3, 3, conv1, conv2),
            "conv2_bias": (conv2,), "dense1_kernel": (7 * 7 * conv2, units), "dense1_bias": (units,),
            "dense2_kernel": (units, 1), "dense2_bias": (1,)}


class LetterJudgeError(Exception):
    """The judge's weights file is missing or not what it should be."""


def _conv_same_stride2(x: np.ndarray, kernel: np.ndarray, bias: np.ndarray) -> np.ndarray:
    """Keras' Conv2D(strides=2, padding="same") with a 3x3 kernel, then ReLU: (n, H, W, C) -> (n, H/2, W/2, F).
    For an even H, "same" pads one row and column after the input and none before."""
    n, h, w, c = x.shape
    oh, ow = (h + 1) // 2, (w + 1) // 2
    pad_h, pad_w = max((oh - 1) * 2 + 3 - h, 0), max((ow - 1) * 2 + 3 - w, 0)
    x = np.pad(x, ((0, 0), (pad_h // 2, pad_h - pad_h // 2), (pad_w // 2, pad_w - pad_w // 2), (0, 0)))
    patches = np.stack([x[:, ky: ky + 2 * oh: 2, kx: kx + 2 * ow: 2, :] for ky in range(3) for kx in range(3)],
                       axis=3)  # (n, oh, ow, 9, c), in the kernel's (ky, kx) order
    out = patches.reshape(n, oh, ow, 9 * c) @ kernel.reshape(9 * c, -1) + bias
    return np.maximum(out, 0)


class LetterJudge:
    def __init__(self, weights: dict[str, np.ndarray], meta: dict | None = None):
        missing = [name for name in _NAMES if name not in weights]
        if missing:
            raise LetterJudgeError(f"the letter judge's {', '.join(missing)} is missing")
        try:  # the widths are the trainer's choice; each layer must fit the one before
            conv1, conv2, units = (int(np.shape(weights[name])[-1]) for name in
                                   ("conv1_kernel", "conv2_kernel", "dense1_kernel"))
        except IndexError:
            raise LetterJudgeError("the letter judge's weights are not arrays of layers") from None
        for name, shape in _shapes(conv1, conv2, units).items():
            if tuple(np.shape(weights[name])) != shape:
                raise LetterJudgeError(f"the letter judge's {name} is not of shape {shape}")
        self.w = {name: np.asarray(weights[name], np.float32) for name in _NAMES}
        self.meta = meta or {}

    @classmethod
    def load(cls, path: str | Path) -> LetterJudge:
        try:
            with np.load(path, allow_pickle=False) as f:
                weights = {name: f[name] for name in f.files if name != "meta"}
                meta = json.loads(str(f["meta"])) if "meta" in f.files else {}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as e:  # missing, empty, not an archive
            raise LetterJudgeError(f"cannot read the letter judge {path}: {e}") from None
        return cls(weights, meta)

    def log_odds(self, pixels: np.ndarray) -> np.ndarray:
        """(n, 28, 28) inputs in [0, 1] -> (n,) log odds of being a letter rather than a digit."""
        x = np.asarray(pixels, np.float32).reshape(-1, 28, 28, 1)
        w = self.w
        x = _conv_same_stride2(x, w["conv1_kernel"], w["conv1_bias"])
        x = _conv_same_stride2(x, w["conv2_kernel"], w["conv2_bias"])
        x = np.maximum(x.reshape(len(x), -1) @ w["dense1_kernel"] + w["dense1_bias"], 0)
        return (x @ w["dense2_kernel"] + w["dense2_bias"])[:, 0]

    def is_letter(self, pixels: np.ndarray) -> np.ndarray:
        return self.log_odds(pixels) > LETTER_LOG_ODDS


def taken_for_letters(pixels: np.ndarray) -> np.ndarray:
    """(n, 28, 28) inputs -> (n,) bool: taken for a letter by the shipped judge (none, if it cannot be read)."""
    judge = shipped()
    x = np.asarray(pixels, np.float32).reshape(-1, 28, 28)
    return np.zeros(len(x), bool) if judge is None else judge.is_letter(x)


@functools.cache
def shipped() -> LetterJudge | None:
    """The judge shipped in resources/, or None (logged) if it cannot be read: numbers are then read without it."""
    from .resources import resource_path

    try:
        return LetterJudge.load(resource_path("letters.npz"))
    except LetterJudgeError as e:
        log.warning("%s: letters are not told from digits", e)
        return None
