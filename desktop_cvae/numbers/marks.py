"""What people write between the digits of a number, which the model would read as digits of their own: full stops,
commas, colons, dashes, a plus and brackets (set apart from the number), and a date's slashes (set apart where
they reach past the digits' tops and baseline both, else marked, since the pixels cannot tell them from 1s). Read
alone, a dot was a sure 4 or 0, a comma a 9, a colon a 2, a plus a 4, and a bracket or a slash a sure 1.

`set_apart(writing)` takes a line of writing from `segment.find_writing` and returns it without its marks.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ..vision.components import Piece
from .segment import DASH_THICK, INK_LEVEL, Writing, digit_height, horizontal_overlap, top_and_baseline


def set_apart(w: Writing) -> Writing:
    """The line of writing without the marks between its digits, with how many were left out (a dash between
    digits counts too) and which of its pieces may be a date's slashes."""
    ink, labels, middle, height = w.ink, w.labels, w.middle, w.line_height
    marks = marks_between_digits(w.pieces, middle, height)
    kept = [p for p in w.pieces if p.index not in marks]
    marks |= brackets(kept, ink, labels, height) | plus_signs(kept, ink, labels, height)
    kept = [p for p in kept if p.index not in marks]
    if kept:  # a dash between digits, at mid-height ("555-1234"), is a mark left out too; a line's remains are not
        left, right = min(p.x1 for p in kept), max(p.x0 for p in kept)
        marks |= {d.index for d in w.dashes if left <= d.x0 and d.x1 <= right and abs(d.cy - middle) < 0.3 * height}
        marks |= bold_dashes(kept, middle, height)
        kept = [p for p in kept if p.index not in marks]
    digits_tall = w.height if len(kept) == len(w.pieces) else digit_height(kept, height)  # measured once if unchanged
    slashes = slash_like(kept, ink, labels, digits_tall)
    if surely_slashes(kept, slashes, digits_tall):
        marks |= slashes
        kept = [p for p in kept if p.index not in slashes]
        slashes = frozenset()
    return dataclasses.replace(w, pieces=kept, height=digits_tall, slash_like=slashes,
                               marks_left_out=count_marks([*w.pieces, *w.dashes], marks))


BOLD_DASH = 0.25  # a dash drawn bold is up to this many writing heights thick ...
DASH_FILL = 0.6  # ... a straight bar, filling this share of its box or more (a faint digit's curved remains: 0.3) ...
DASH_CLEAR = 0.1  # ... standing this many heights clear of the pieces either side (a 7's bar lifted off its stem: 0.04)


def bold_dashes(pieces: list[Piece], middle: float, height: float) -> set[int]:
    """Dashes at mid-height between digits drawn too bold for segment's dashes (up to DASH_THICK of the height
    thick): a straight bar three times as wide as it is thick, up to BOLD_DASH heights thick, with digits on both
    sides DASH_CLEAR heights away or more and none of its columns shared with another piece (a 4's bar broken off
    its stem shares the stem's). Read as a digit, a bold dash was a 4. A thinner one among the pieces is there as
    a 7's bar or a 5's flag lifted off its digit (segment keeps those), and stays."""
    out = set()
    for p in pieces:
        if not (p.width >= 3 * p.height and DASH_THICK * height < p.height <= BOLD_DASH * height
                and abs(p.cy - middle) < 0.3 * height and p.area >= DASH_FILL * p.width * p.height):
            continue
        others = [q for q in pieces if q is not p]
        clear = DASH_CLEAR * height
        if (any(q.x1 <= p.x0 - clear for q in others) and any(q.x0 >= p.x1 + clear for q in others)
                and not any(q.x1 > p.x0 - clear and q.x0 < p.x1 + clear for q in others)):
            out.add(p.index)
    return out


DOT_SIZE = 0.25  # a full stop or a colon's dot is less than this many writing heights across
COMMA_HEIGHT = 0.5  # a comma, on and under the baseline, is less tall than this


def marks_between_digits(pieces: list[Piece], middle: float, height: float) -> set[int]:
    """Full stops, decimal points, commas and colons: small marks on the baseline (a colon's upper dot over one),
    clear of every digit's columns. Read alone, each was a digit (a dot a sure 4 or 0, a comma a 9, a colon a 2).
    A piece broken off a digit lies within its digit's columns or touches them, or higher up (a 5's flag, the top
    of a broken 8), and a small 0 or a short 1 is taller."""
    def small(p: Piece) -> bool:
        return max(p.width, p.height) < DOT_SIZE * height

    def on_baseline(p: Piece) -> bool:
        comma = p.y0 > middle + 0.25 * height and p.height < COMMA_HEIGHT * height and p.width < DOT_SIZE * height
        return comma or small(p) and p.cy >= middle + 0.3 * height

    low = [p for p in pieces if on_baseline(p)]
    colon_tops = [p for p in pieces if small(p) and p not in low and any(horizontal_overlap(p, q) > 0 for q in low)]
    marks = low + colon_tops
    digits = [p for p in pieces if p not in marks]
    return {p.index for p in marks
            if not any(horizontal_overlap(p, q) > 0
                       or q.height >= 0.5 * height and min(abs(p.x0 - q.x1), abs(q.x0 - p.x1)) < 0.1 * height
                       for q in digits)}


def plus_signs(pieces: list[Piece], ink: np.ndarray, labels: np.ndarray, height: float) -> set[int]:
    """The plus of an international phone number, "+44 20 ...": a cross floating at mid-height, clear of the
    digits' tops and baseline. Read alone, it was a sure 4; a 4 reaches the baseline, and a small digit written
    quickly stands on it too."""
    tall = [p for p in pieces if p.height >= 0.7 * height]
    if len(tall) < 2:
        return set()
    top, baseline = top_and_baseline(tall)
    found = set()
    for p in pieces:
        if not (0.25 * height <= p.height <= 0.75 * height and 0.25 * height <= p.width <= 0.8 * height
                and min(p.y0 - top, baseline - p.y1) > 0.08 * height
                and (p.y0 - top) + (baseline - p.y1) > 0.25 * height):
            continue
        mask = _stroke(p, ink, labels) > 0
        rows, cols = mask.sum(axis=1), mask.sum(axis=0)
        h, w = mask.shape
        middle_rows, middle_cols = rows[h // 4: h - h // 4], cols[w // 4: w - w // 4]
        # A bar across (one row holds ink nearly the whole width) and a bar down (one column, nearly the whole
        # height), each crossing the other's middle half.
        bars = len(middle_rows) and len(middle_cols) and middle_rows.max() >= 0.75 * w and middle_cols.max() >= 0.75 * h
        if bars and not any(horizontal_overlap(p, q) > 0 for q in pieces if q is not p):
            found.add(p.index)
    return found


def count_marks(pieces: list[Piece], chosen: set[int]) -> int:
    """How many marks the chosen pieces make: pieces that share columns (a colon's two dots) are one."""
    spans = sorted((p.x0, p.x1) for p in pieces if p.index in chosen)
    count, reach = 0, -1
    for x0, x1 in spans:
        count += x0 >= reach
        reach = max(reach, x1) if x0 < reach else x1
    return count


BRACKET_BOW = 0.06  # a bracket's middle bulges by this many of its heights or more (bow)


def brackets(pieces: list[Piece], ink: np.ndarray, labels: np.ndarray, height: float) -> set[int]:
    """The pieces of a pair of brackets round some digits, "(020)": a tall narrow stroke bulging left, digits,
    then one bulging right. Read alone, each was a sure 1. A 1 bows that much one time in a hundred or so, and
    two facing each other round digits are rarer still; a 0 drawn in two strokes has nothing between its halves."""
    def bulge(p: Piece) -> int:
        if p.height < 0.7 * height or p.width > 0.55 * height:
            return 0
        stroke = _stroke(p, ink, labels)
        if not one_stroke(stroke > INK_LEVEL):
            return 0  # a 6's loop or a 2's foot crosses some rows twice, or runs along them
        b = bow(stroke)
        return -1 if b <= -BRACKET_BOW else 1 if b >= BRACKET_BOW else 0

    found, opening, between = set(), None, 0
    for p in pieces:  # left to right
        side = bulge(p)
        if side < 0 and opening is None:
            opening, between = p, 0
        elif side > 0 and opening is not None and between > 0:
            found |= {opening.index, p.index}
            opening = None
        else:
            between += 1
    return found


SLASH_LEAN = 25.0  # degrees from the vertical from which a single stroke may be a slash ...
SLASH_BEYOND_SLANT = 8.0  # ... if it also leans this much further than the writing's other digits


def slash_like(pieces: list[Piece], ink: np.ndarray, labels: np.ndarray, height: float) -> frozenset[int]:
    """A date's two slashes, "12/05/2024", or two 1s written leaning: two single strokes leaning further than the
    writer's slant, with one or two pieces between them and digits on both sides. The model reads a slash as a
    sure 1 and the pixels cannot tell them apart (one 1 in thirteen leans as far), so such 1s are marked for the
    person to check, never silently taken either way. A lone leaning 1 is not: marked, one number in ten would
    carry a needless mark."""
    tall = {p.index: _stroke(p, ink, labels) for p in pieces if p.height >= 0.7 * height}
    single = {i: one_stroke(stroke > INK_LEVEL) for i, stroke in tall.items()}
    leans = {i: lean(stroke) for i, stroke in tall.items()}
    bodies = [leans[i] for i, alone in single.items() if not alone]
    slant = float(np.median(bodies)) if bodies else 0.0
    slashes = [k for k, p in enumerate(pieces) if single.get(p.index) and p.height >= 0.8 * height
               and leans[p.index] >= SLASH_LEAN and leans[p.index] - slant >= SLASH_BEYOND_SLANT]
    pairs = [(a, b) for a, b in zip(slashes, slashes[1:]) if a >= 1 and 2 <= b - a <= 3 and b < len(pieces) - 1]
    return frozenset(pieces[k].index for pair in pairs for k in pair)


SLASH_PAST = 0.08  # a slash that reaches this share of the digits' height past both their tops and their baseline


def surely_slashes(pieces: list[Piece], slashes: frozenset[int], height: float) -> bool:
    """Whether a date's slashes (`slash_like`) are surely slashes, to be left out rather than marked: one of them
    reaches SLASH_PAST of the digits' height above their tops and below their baseline both. A 1 stands on the
    baseline however tall it is written (of mixed sizes, the tallest is a quarter taller than the rest), and
    however it leans; a slash is drawn through the line of writing."""
    digits = [p for p in pieces if p.index not in slashes and p.height >= 0.7 * height]
    if not slashes or len(digits) < 2:
        return False
    top, base = top_and_baseline(digits)
    past = SLASH_PAST * height
    return any(p.index in slashes and top - p.y0 >= past and p.y1 - base >= past for p in pieces)


def _stroke(p: Piece, ink: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """One piece's ink alone, in its box."""
    return ink[p.y0:p.y1, p.x0:p.x1] * (labels[p.y0:p.y1, p.x0:p.x1] == p.index)


def _row_middles(stroke: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The rows that hold ink, and the ink-weighted column of each: a stroke's centre line. None under 6 rows."""
    rows = np.flatnonzero(stroke.sum(axis=1) > 0)
    if len(rows) < 6:
        return None
    weights = stroke[rows]
    return rows, (weights * np.arange(stroke.shape[1])).sum(axis=1) / weights.sum(axis=1)


def lean(stroke: np.ndarray) -> float:
    """The degrees a stroke's row middles lean from the vertical: positive with its top to the right."""
    line = _row_middles(stroke)
    if line is None:
        return 0.0
    return float(np.degrees(np.arctan(-np.polyfit(*line, 1)[0])))


def one_stroke(mask: np.ndarray) -> bool:
    """A single stroke from top to bottom: nearly every row crosses it once, and no wider than a pen's width
    a few times over (a bracket, a slash or a 1; not a digit with a loop or a bar)."""
    rows = mask[mask.any(axis=1)]
    if len(rows) < 6:
        return False
    runs = np.count_nonzero(np.diff(rows.astype(np.int8), axis=1) == 1, axis=1) + rows[:, 0]
    widths = rows.sum(axis=1)
    return bool(np.mean(runs == 1) >= 0.9 and np.percentile(widths, 90) <= 3 * np.median(widths))


def bow(stroke: np.ndarray) -> float:
    """How far a stroke's middle third bulges right (+) or left (-) of the straight line through it, in its
    heights: a bracket bows by a tenth or more, a 1 seldom by a twentieth. stroke: (h, w) ink, one piece."""
    line = _row_middles(stroke)
    if line is None:
        return 0.0
    rows, centres = line
    slope, offset = np.polyfit(rows, centres, 1)
    off_line = centres - (slope * rows + offset)
    third = (rows[-1] - rows[0]) / 3
    middle = (rows > rows[0] + third) & (rows < rows[-1] - third)
    if not middle.any() or middle.all():
        return 0.0
    return float(off_line[middle].mean() - off_line[~middle].mean()) / (rows[-1] - rows[0] + 1)
