"""Print that is not handwriting, found before any of it is read as digits.

A barcode's bars are 1s to the model, and sure ones: a label's barcode was read as a row of 1s with no digit
marked. No hand draws a dozen strokes the same height to a few pixels, each filling its box, so
such a row is refused, with a message that says why.
"""

from __future__ import annotations

import numpy as np

from .segment import Writing

BARCODE_BARS = 12  # a barcode has at least this many bars (a short EAN-8 has 22) ...
SAME_HEIGHT = 0.04  # ... as tall as their median to within this share (a hand varies by a tenth or more) ...
BAR_FILL = 0.6  # ... each filling this share of its box, or more (a slanted 1 fills far less) ...
BAR_SHARE = 0.6  # ... and they are this share of the line's pieces or more


def looks_like_barcode(w: Writing) -> bool:
    """Whether the line of writing is a barcode: BARCODE_BARS bars or more, upright, filled, the same height
    (its guard bars, a little longer, may differ) and most of its pieces."""
    bars = [p for p in w.pieces if p.height >= 4 * p.width and p.area >= BAR_FILL * p.width * p.height]
    if len(bars) < max(BARCODE_BARS, BAR_SHARE * len(w.pieces)):
        return False
    heights = np.array([p.height for p in bars], np.float64)
    same = np.abs(heights - np.median(heights)) <= SAME_HEIGHT * np.median(heights)
    return int(same.sum()) >= BARCODE_BARS
