"""Print that is not handwriting, found before any of it is read as digits.

A barcode's bars are 1s to the model, and sure ones: a label's barcode was read as a row of 1s with no digit
marked. No hand draws a dozen strokes the same height to a few pixels, each filling its box, so
such a row is refused, with a message that says why.

A form's printed label beside a handwritten number ("Tel." before it) is read as more digits, and its letters,
being most of the line's pieces, set the writing's height to theirs. Where they are far smaller than the digits,
side by side at an end of the line, they are left out (`without_small_print`). So are they printed just over or
under the number ("Customer reference:" over its field): there each digit took the letters over it as its own
strokes, and was read as another digit.
"""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import numpy as np

from ..vision.components import Piece
from .segment import Writing, digit_height, horizontal_overlap, line_measures, top_and_baseline

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


SMALL_PRINT_HEIGHT = 0.5  # a label's letters are less tall than this share of the digits (the smallest of a
# hurried hand's digits are 0.6 of its tallest, and of its median 0.75) ...
SMALL_PRINT_RUN = 3  # ... and stand side by side at an end of the line, this many or more: a word, not a mark,
SMALL_PRINT_BAND = 0.6  # ... in a band of rows less tall than this share of the digits (a digit broken into
# small pieces spreads them over its whole height)
PRINT_CLEAR = 0.1  # print over or under the digits ends within this share of their height past their top or foot
# (a digit's top broken off by a lifted pen reaches down into the digit, a third of its height or more) ...
WORD_SPACE = 0.5  # ... and its letters stand closer than this share of the digits' height: a word or a label
LETTER_HEIGHT = 0.15  # a printed letter is at least this share of the digits' height (a full stop is less)
PRINT_GAP = 0.12  # ... and it stands this share of the digits' height clear of them, or more (a pen's break, less)


def without_small_print(w: Writing) -> Writing:
    """The line of writing without a printed label at either end of it: SMALL_PRINT_RUN or more pieces side by
    side, each less tall than SMALL_PRINT_HEIGHT of the digits and clear of their columns (a digit's broken-off
    piece shares its digit's columns), all within SMALL_PRINT_BAND of the digits' height; nor words of small print
    just over or under the digits (`_print_over_or_under`). The line's height and middle are measured again
    without them."""
    pieces = w.pieces
    if len(pieces) <= SMALL_PRINT_RUN:
        return w
    tallest = max(p.height for p in pieces)
    tall = [p for p in pieces if p.height >= 0.5 * tallest]
    if _side_by_side(tall) < 2:  # one tall thing is no measure of digits: a pen left on the page beside them
        return w
    digits_tall = float(np.median([p.height for p in tall]))
    small = [p.height < SMALL_PRINT_HEIGHT * digits_tall and not any(horizontal_overlap(p, q) > 0 for q in tall)
             for p in pieces]
    first = next((k for k, s in enumerate(small) if not s), len(pieces))
    last = next((k for k in range(len(pieces) - 1, -1, -1) if not small[k]), -1)
    left_out = [run for run in (pieces[:first], pieces[last + 1:]) if _a_word(run, digits_tall)]
    if first == len(pieces):
        return w
    beside = {p.index for run in left_out for p in run}
    left_out += [run for run in _print_over_or_under(pieces, tall, digits_tall)
                 if not any(p.index in beside for p in run)]
    if not left_out:
        return w
    drop = {p.index for run in left_out for p in run}
    kept = [p for p in pieces if p.index not in drop]
    line_height, middle = line_measures(kept, max(p.area for p in kept))
    return dataclasses.replace(w, pieces=kept, height=digit_height(kept, line_height), line_height=line_height,
                               middle=middle, print_left_out=len(left_out))


def _print_over_or_under(pieces: list[Piece], tall: list[Piece], digits_tall: float) -> list[list[Piece]]:
    """Words of small print wholly over or under the digits: pieces less tall than SMALL_PRINT_HEIGHT of the
    digits that end within PRINT_CLEAR of their top (or begin within it of their foot), grouped left to right
    into runs at gaps of WORD_SPACE, each a word by `_a_word` with SMALL_PRINT_RUN letters or more among them.
    A 7's bar or a 5's flag lifted off is one dash over its digit, and a digit's top broken off reaches well into
    the digit's rows."""
    top, foot = top_and_baseline(tall)
    clear = PRINT_CLEAR * digits_tall

    def letters(run: list[Piece]) -> int:
        return sum(p.height >= LETTER_HEIGHT * digits_tall and p.width < 3 * p.height for p in run)

    words = []
    for over, beyond in ((True, lambda p: p.y1 <= top + clear), (False, lambda p: p.y0 >= foot - clear)):
        small = sorted((p for p in pieces if p.height < SMALL_PRINT_HEIGHT * digits_tall and beyond(p)),
                       key=lambda p: p.x0)
        runs: list[list[Piece]] = []
        for p in small:
            if runs and p.x0 - max(q.x1 for q in runs[-1]) <= WORD_SPACE * digits_tall:
                runs[-1].append(p)
            else:
                runs.append([p])
        words += [run for run in runs if letters(run) >= SMALL_PRINT_RUN and _a_word(run, digits_tall)
                  and _clear_of_writing(run, pieces, digits_tall, over)]
    return words


def _clear_of_writing(run: list[Piece], pieces: list[Piece], digits_tall: float, over: bool) -> bool:
    """Whether the run stands clear of the writing it is over (or under): the median gap between its pieces and
    the nearest piece beneath (above) them in their columns is PRINT_GAP of the digits' height or more. Where most
    of a number's digits are broken by a lifted pen, their bodies set the digits' top, and each top lies over its
    body across the pen's short break."""
    ids = {p.index for p in run}
    gaps = []
    for p in run:
        near = [q.y0 - p.y1 if over else p.y0 - q.y1 for q in pieces
                if q.index not in ids and horizontal_overlap(p, q) > 0 and (q.y0 >= p.y1 if over else q.y1 <= p.y0)]
        if near:
            gaps.append(min(near))
    return not gaps or float(np.median(gaps)) >= PRINT_GAP * digits_tall


def _a_word(run: list[Piece], digits_tall: float) -> bool:
    """SMALL_PRINT_RUN or more pieces, left to right, each sharing less than half its columns with the next one
    (print's kerning tucks an "e" under a "T"; a broken digit's pieces lie over one another), in one band of rows
    (a broken 1's dashes are strung along its height)."""
    if not run or max(p.y1 for p in run) - min(p.y0 for p in run) >= SMALL_PRINT_BAND * digits_tall:
        return False
    return _side_by_side(run) >= SMALL_PRINT_RUN


def _side_by_side(pieces: list[Piece]) -> int:
    """How many pieces, left to right, stand side by side: the first, and each that shares under half its
    columns with the one before."""
    if not pieces:
        return 0
    return 1 + sum(horizontal_overlap(a, b) < 0.5 for a, b in pairwise(pieces))
