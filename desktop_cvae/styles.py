"""National handwriting styles that MNIST (American writers) hardly has, drawn from the digits it does have:
a 1 with a long flag (and sometimes a foot), a 7 with a crossbar, a 9 with a long tail, and a 4 left open at
the top. Each variant is an MNIST digit of its label with strokes added or a join taken out, in the pen's own
width, then fitted into MNIST's box as MNIST's own digits were.

Training adds such variants of the training digits (ModelConfig.train_styles); benchmarks/handwriting_styles.py
measures a model on variants of the test digits. No Qt, no TensorFlow.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from PIL import Image, ImageDraw

from .vision.pixels import fill_holes, stroke_width
from .vision.preprocess import MNIST_CENTRE

UP = 4  # edits are drawn at 4x MNIST's resolution, on a canvas padded so that added strokes fit
PAD = 14


class NotApplicable(ValueError):
    """This digit cannot carry the variant (too little ink, or no closed top to open)."""


def _work(digit: np.ndarray) -> np.ndarray:
    padded = np.pad(np.asarray(digit, np.float32), PAD)
    side = padded.shape[0] * UP
    return np.asarray(Image.fromarray(padded, mode="F").resize((side, side), Image.Resampling.BICUBIC), np.float32)


def _pen_width(mask: np.ndarray) -> float:
    """The pen's width in pixels, as normalisation measures strokes, and never under 2."""
    return max(stroke_width(mask), 2.0)


def _stroke(work: np.ndarray, points, width: float, tone: float = 1.0) -> np.ndarray:
    """work with a pen line through `points` ((x, y), ...), round-ended, drawn in `tone` (0 erases)."""
    img = Image.fromarray(work, mode="F")
    draw = ImageDraw.Draw(img)
    w = max(int(round(width)), 1)
    draw.line([tuple(map(float, p)) for p in points], fill=float(tone), width=w, joint="curve")
    for x, y in (points[0], points[-1]):
        draw.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=float(tone))
    return np.asarray(img, np.float32)


def _finish(work: np.ndarray) -> np.ndarray:
    """The edited digit back in MNIST's format as MNIST made it: cropped to its ink, fitted into 20x20 by
    area averaging from the fine drawing (as sharp as MNIST's own digits: a blurrier variant would teach the
    model that blur means these labels), the centre of mass at the centre of 28x28."""
    ink = np.clip(work, 0.0, 1.0)
    rows, cols = np.nonzero(ink > 0.1)
    if len(rows) == 0:
        raise NotApplicable("no ink left")
    ink = ink[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    h, w = ink.shape
    scale = 20.0 / max(h, w)
    size = (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1))
    box = np.clip(np.asarray(Image.fromarray(ink, mode="F").resize(size, Image.Resampling.BOX), np.float32), 0, 1)
    total = float(box.sum())
    com_r = float((box.sum(axis=1) * np.arange(box.shape[0])).sum() / total)
    com_c = float((box.sum(axis=0) * np.arange(box.shape[1])).sum() / total)
    top = int(np.clip(round(MNIST_CENTRE[0] - com_r), 0, 28 - box.shape[0]))
    left = int(np.clip(round(MNIST_CENTRE[1] - com_c), 0, 28 - box.shape[1]))
    out = np.zeros((28, 28), np.float32)
    out[top: top + box.shape[0], left: left + box.shape[1]] = box
    return out


def _ink(work: np.ndarray):
    mask = work > 0.5
    rows, cols = np.nonzero(mask)
    if len(rows) < 20 * UP:
        raise NotApplicable("too little ink")
    return mask, rows, cols


def flag_one(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 1 with the long up-stroke flag of continental Europe: from the top of the stem down to the left,
    a quarter to a half of the digit's height, 35-60 degrees below the horizontal, and in a quarter of them a foot."""
    work = _work(digit)
    mask, rows, cols = _ink(work)
    pen = _pen_width(mask) * rng.uniform(0.8, 1.0)
    top, bottom = rows.min(), rows.max()
    height = bottom - top
    xt = cols[rows <= top + pen].mean()
    length, angle = height * rng.uniform(0.25, 0.5), np.deg2rad(rng.uniform(35, 60))
    start = (xt, top + pen / 2)
    work = _stroke(work, [start, (xt - length * np.cos(angle), start[1] + length * np.sin(angle))], pen)
    if rng.random() < 0.25:
        xb = cols[rows >= bottom - pen].mean()
        half = height * rng.uniform(0.15, 0.25)
        work = _stroke(work, [(xb - half, bottom - pen / 2), (xb + half, bottom - pen / 2)], pen)
    return _finish(work)


def crossed_seven(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 7 with a short bar across its stem a little below the middle, as most of Europe writes it."""
    work = _work(digit)
    mask, rows, cols = _ink(work)
    pen = _pen_width(mask) * rng.uniform(0.8, 1.0)
    top, bottom = rows.min(), rows.max()
    y = int(top + (bottom - top) * rng.uniform(0.45, 0.6))
    band = cols[np.abs(rows - y) <= pen / 2]
    if len(band) == 0:
        raise NotApplicable("no stem at mid-height")
    xs = band.mean()
    width = cols.max() - cols.min()
    half = width * rng.uniform(0.18, 0.3)
    centre = xs + half * rng.uniform(-0.1, 0.3)
    tilt = np.tan(np.deg2rad(rng.uniform(-6, 6))) * half
    return _finish(_stroke(work, [(centre - half, y + tilt), (centre + half, y - tilt)], pen))


def long_tail_nine(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 9 whose tail runs on well below the loop (0.4-0.9 of the digit's height again), in
    its own direction, sometimes ending in a hook to the left. Fitted back into MNIST's box, the loop is
    small and the tail long."""
    work = _work(digit)
    mask, rows, cols = _ink(work)
    pen = _pen_width(mask) * rng.uniform(0.8, 1.0)
    top, bottom = rows.min(), rows.max()
    height = bottom - top
    low = rows >= bottom - 0.3 * height
    if low.sum() < 5 or np.ptp(rows[low]) < 2:
        raise NotApplicable("no tail to extend")
    slope = np.polyfit(rows[low], cols[low], 1)[0]  # columns per row along the tail
    direction = np.array([slope, 1.0]) / np.hypot(slope, 1.0)
    end = np.array([cols[rows >= bottom - pen].mean(), bottom - pen / 2])
    tip = end + direction * height * rng.uniform(0.4, 0.9)
    points = [tuple(end), tuple(tip)]
    if rng.random() < 0.3:
        points.append((tip[0] - height * rng.uniform(0.1, 0.2), tip[1] - height * rng.uniform(0.0, 0.08)))
    return _finish(_stroke(work, points, pen))


def open_four(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A 4 written open: where a closed 4's slanted arm meets the stem at the top, the join is taken out, so
    the arm stops short of the stem. A 4 that is open already cannot carry the variant."""
    work = _work(digit)
    mask, _, _ = _ink(work)
    hole = fill_holes(mask) & ~mask
    if hole.sum() < 10 * UP * UP:  # a closed 4's triangle; specks between strokes are not one
        raise NotApplicable("the 4 is open already")
    pen = _pen_width(mask)
    hr, hc = np.nonzero(hole)
    apex = (hc[hr <= hr.min() + pen].mean(), hr.min())  # the triangle's top corner: arm meets stem there
    gap = pen * rng.uniform(1.6, 2.6)
    img = Image.fromarray(work, mode="F")
    ImageDraw.Draw(img).ellipse((apex[0] - gap, apex[1] - 2 * gap, apex[0] + gap, apex[1] + gap / 2), fill=0.0)
    opened = _finish(np.asarray(img, np.float32))
    if (fill_holes(opened > 0.3) & ~(opened > 0.3)).sum() > 3:
        raise NotApplicable("the join is not where the 4 closes")  # a 4 with its triangle elsewhere
    return opened


# name -> (the label the variant keeps, how it is drawn)
VARIANTS: dict[str, tuple[int, Callable[[np.ndarray, np.random.Generator], np.ndarray]]] = {
    "flag 1": (1, flag_one),
    "crossbar 7": (7, crossed_seven),
    "long-tail 9": (9, long_tail_nine),
    "open 4": (4, open_four),
}


def variants_of(images: np.ndarray, labels: np.ndarray, names=None, share: float = 1.0, seed: int = 0,
                limit: int | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each variant: (images (n, 28, 28) float32 in [0, 1], indices into `images` they were drawn from),
    from `share` of the digits of its label (at most `limit`), picked at random with `seed`. images: uint8
    or float in [0, 1], (n, 28, 28)."""
    images = np.asarray(images)
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    rng = np.random.default_rng(seed)
    out = {}
    for name in names or VARIANTS:
        label, draw = VARIANTS[name]
        pool = np.flatnonzero(np.asarray(labels) == label)
        pool = rng.permutation(pool)[: int(round(share * len(pool)))][:limit]
        made, used = [], []
        for i in pool:
            try:
                made.append(draw(images[i].astype(np.float32) / scale, rng))
            except NotApplicable:
                continue
            used.append(i)
        out[name] = (np.asarray(made, np.float32).reshape(-1, 28, 28), np.asarray(used, np.int64))
    return out
