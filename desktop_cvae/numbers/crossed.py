"""A digit crossed out: scribbled over to take it back, the right digit written after it. The model reads the
scribble as one more digit (an 8 or a 0 mostly, marked as unlike any digit), and the number comes out a digit too
long.

A scribble lays stroke after stroke across the digit: a third or more of the columns (or rows) through its middle
cross five strokes or more, where a digit's cross four at most (an 8's three, and a slanted stroke's end). They are
counted on the candidate's own ink brought to SIDE pixels tall, not on the model's 28x28 input, where a scribble's
strokes run into one blot (`python benchmarks/crossed_out.py` measures digits, pairs of digits that touch or
overlap, and scribbles). Loops drawn round and round so tightly that they run into a blot, and zigzags of few
strokes, keep a digit's count; they are told by their density instead: their ink covers its box far more densely
than the digits beside it, written with the same pen, cover theirs, and leaves no loop open. A digit struck through
once or with an X keeps a digit's count and density: those are read as before, marked, mostly, as unlike any
digit.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..vision.components import label_pieces

SIDE = 64  # pixels: the height the ink is brought to before its strokes are counted
INK = 0.5  # of the ink, contrast-stretched: a pixel this dark is on a stroke
SCRIBBLE_STROKES = 5  # strokes crossed by a column or a row of a scribble ...
SCRIBBLED_SHARE = 0.3  # ... in this share of the columns (or rows) across the middle 60 % of its box, or more.
# No digit of MNIST's test split crosses five strokes along a third of its middle; two digits that touch or overlap
# do one time in 200 or so (a row through "88" crosses four, and where they overlap, more).
MIDDLE = 0.2  # of the box, each side: left out of the share (a scribble's ends turn)
WIDEST = 1.5  # writing heights: a scribble covers one digit's room; a wider piece is digits that touch ...
LOWEST = 0.5  # ... and one this tall at least: a smaller blot is a dot or a speck, no digit taken back
FILLED = 0.55  # of its box: ink this dense is strokes laid over strokes (loops run into a blot), where a digit as
# wide as half its height covers less (MNIST's test digits drawn with a pen 1.2 % of the time, two that touch or
# overlap never) ...
DENSER = 2.0  # ... and this many times as dense as the line's other pieces (the median): a scribble is written with
# the pen of the digits beside it, while a digit drawn in chalk or with a marker is as dense as its neighbours
NARROWEST = 0.5  # of its height: a piece narrower than this (a 1) fills its box whatever it is
OPEN_LOOP = 0.08  # of its box: a hole this large is a digit's loop (a 0 in chalk, denser than the 1s and 4s beside
# it); a scribble's strokes cross one another and leave small holes only (under 0.06 of the box)


def _runs(on: np.ndarray) -> np.ndarray:
    """The runs of ink down each column of a mask, a gap of one pixel (the photo's noise) closed."""
    on = on.copy()
    on[1:-1] |= on[:-2] & on[2:]
    return on[0].astype(int) + (on[1:] & ~on[:-1]).sum(axis=0)


def _strokes(ink: np.ndarray) -> np.ndarray | None:
    """Where the ink's box, brought to SIDE pixels tall, is on a stroke; None where there is no ink."""
    rows, cols = np.nonzero(np.asarray(ink) > INK)
    if not len(rows):
        return None
    box = np.asarray(ink, np.float32)[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    h, w = box.shape
    return np.asarray(Image.fromarray(box, mode="F").resize((max(round(w * SIDE / h), 1), SIDE),
                                                            Image.Resampling.BILINEAR)) > INK


def _largest_hole(on: np.ndarray) -> float:
    """The largest stretch of paper that the strokes enclose, as a share of the box."""
    h, w = on.shape
    _, pieces = label_pieces(~on)
    return max((p.area for p in pieces if p.x0 > 0 and p.y0 > 0 and p.x1 < w and p.y1 < h), default=0) / on.size


def _filled(on: np.ndarray) -> float:
    h, w = on.shape
    return 0.0 if w < NARROWEST * h else float(on.mean())


def _crossing_share(on: np.ndarray) -> float:
    shares = []
    for m in (on, on.T):
        runs = _runs(m)
        middle = runs[int(MIDDLE * len(runs)): max(int((1 - MIDDLE) * len(runs)), int(MIDDLE * len(runs)) + 1)]
        shares.append(float(np.mean(middle >= SCRIBBLE_STROKES)))
    return max(shares)


def filled_share(ink: np.ndarray) -> float:
    """The share of the ink's box on a stroke, 0 for a box narrower than NARROWEST of its height."""
    on = _strokes(ink)
    return 0.0 if on is None else _filled(on)


def scribbled_share(ink: np.ndarray) -> float:
    """The share of the columns, or of the rows (the larger), across the middle of the ink's box that cross
    SCRIBBLE_STROKES strokes or more, with the box brought to SIDE pixels tall."""
    on = _strokes(ink)
    return 0.0 if on is None else _crossing_share(on)


def scribbled_out(ink: np.ndarray, line_filled: float | None = None) -> bool:
    """Is this a digit's ink scribbled out? `line_filled`: the median `filled_share` of the line's other pieces as
    wide as a digit; with None (fewer than two: one other digit is no measure of the pen, a 7 fills less of its box
    than an 8), only the strokes are counted."""
    on = _strokes(ink)  # brought to SIDE pixels once, for every measure
    if on is None:
        return False
    if _crossing_share(on) >= SCRIBBLED_SHARE:
        return True
    if line_filled is None:
        return False
    filled = _filled(on)
    return filled >= FILLED and filled >= DENSER * line_filled and _largest_hole(on) < OPEN_LOOP
