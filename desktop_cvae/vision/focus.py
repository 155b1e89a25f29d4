"""Is a photo out of focus? Blurred, a thin stroke keeps half the darkness of a thick one or less, and the number
reader's hysteresis breaks it into pieces (a 4 without its left arm read as two 1s, a 9's thin loop lost and the 9
read as 7). Stage 2 brings each digit's ridges to full ink, but only after the pieces are found.

The measure is the steepness of the strokes' edges: at a stroke's edge, how much its ink rises per pixel against
the most ink near it. A sharp photo's edges rise in a pixel or two (about half the local peak a pixel); out of
focus by one to two hundredths of the digits' height, they rise over four pixels or more."""

from __future__ import annotations

import numpy as np

from .pixels import grown

# Median edge steepness (the local peak's share per pixel) below which a picture is out of focus. Of the number
# benchmark's pictures, 91 in 100 blurred phone photos are under it, and none of 20 of each kind of sharp photo,
# scan or drawing; grainy pencil and chalk mostly are, a pen's soft shading on the page now and then
# (docs/NUMBERS.md, step 1a).
SHARP_EDGE = 0.27
EDGE_PIXELS = 200  # fewer edge pixels than this say nothing about the picture


def edge_steepness(ink: np.ndarray) -> float | None:
    """The median, over the pixels on the edges of strong strokes, of the ink's gradient divided by the most ink
    within 3 pixels; None where there are too few strokes to tell."""
    ink = np.asarray(ink, np.float32)
    strong = ink > 0.3
    if np.count_nonzero(strong) < EDGE_PIXELS:
        return None
    peak = float(np.percentile(ink[strong], 90))
    gy, gx = np.gradient(ink)
    local = grown(ink, 3)
    edge = (ink > 0.25 * local) & (ink < 0.75 * local) & (local > 0.5 * peak)
    if np.count_nonzero(edge) < EDGE_PIXELS:
        return None
    return float(np.median(np.hypot(gx[edge], gy[edge]) / local[edge]))


def out_of_focus(ink: np.ndarray) -> bool:
    steepness = edge_steepness(ink)
    return steepness is not None and steepness < SHARP_EDGE
