"""A ring or box drawn by hand round the number ("circle your answer", a total boxed on a bill), found and
taken out before the digits are looked for.

Left in, a ring was read as digits of its own: a box's sides as 1s round a number read right otherwise, a ring
as 0s and 6s or as a wide blob that swallowed the digits. A ring is one piece of ink whose box holds other
substantial pieces wholly inside it, taller than any of them, whose pixels lie along its box's edges (a ring or a
box, closed or not quite) and go round the pieces inside on all four sides, with no stroke across its inside from
top to bottom (a form's comb of boxes, which the line step takes apart by its dividers). Its pixels are taken out
as the outermost run of ink of its own in every row and column: where a digit touches the ring from inside, the
digit keeps all but the stroke that touches. A box with straight sides is looked for first (`find_box_round`):
its four sides are found by their lines, and each goes only as thick as it is, so writing that touches them keeps
its strokes, and writing that is one piece with it (nothing wholly inside for the ring's test) is found too.

A box with nothing written in it (a form's field left blank, a comb of boxes for a number not yet filled in) is
no digit either: read as one, an empty box was a sure 0 and a square one "12". It is a piece whose pixels run the
whole length of its box's four straight sides, with nothing inside but a comb's dividers (`empty_boxes`). A 0,
however square, curves and leaves its box's corners bare.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..vision.components import Piece, label_pieces, row_runs
from ..vision.pixels import grown, stroke_width

RING_CANDIDATES = 8  # the pieces with the largest boxes that may be rings; a grainy picture has thousands
RING_TALLER = 1.2  # a ring is at least this many times as tall as the tallest piece inside it
RING_EDGE = 0.25  # ... its pixels within this share of its box's shorter side from the box's edges ...
RING_ON_EDGE = 0.5  # ... this share of them or more (digits touching it from inside add pixels off its edge)
REMNANT_REACH = 3.0  # what is left of the ring after its outermost runs go, within this many of its strokes'
REMNANT_SHARE = 0.8  # widths of them for this share of its pixels or more, is the ring's too (its ends overlapping)
REMNANT_WIDTH = 1.5  # ... if no bolder than this many times the ring's strokes (a bold digit that touched it is)
BOX_REMNANT_REACH = 1.0  # a box's: writing that touches it runs close along its sides
RING_HOLDS = 0.25  # the pieces inside hold this share of the ring's ink or more (not a speck in a blob of digits)
ROUND = 0.5  # a ring has pixels above and below the pieces inside over this share of their columns, and left and
# right of them over this share of their rows (a line under the number joined to a digit holds another within its
# box, and a lined page's rules joined by a digit hold the rest, but neither goes round them)
DIVIDER_FILL = 0.95  # a column inside the box filled over this share of its height is a divider, not a ring's
DIVIDER_SLANT = 1 / 30  # ... give or take this share of the height either way (a scan a degree or two askew)
DIVIDER_THICK = 1.5  # ... and, in a box, no thicker than this many times its sides (and two pixels)
BOX_SIDE = 0.06  # an empty box's sides wobble within this share of its shorter side either way (and half
# their thickness) ...
BOX_SIDE_FILLED = 0.9  # ... each side along this share of its length or more (an oval's top covers about 65 %) ...
BOX_INSIDE = 0.02  # ... with at most this share of its pixels further inside
BOX_STRAIGHT = 0.03  # ... and straight: the first ink along each side within this share of it from a line ...
BOX_STRAIGHT_ROWS = 90  # ... in this percentage of its rows (not its rounded corners)
BOX_STROKE = 0.1  # a box's lines are at most this share of its shorter side thick (a bold 0's strokes are more)
BOX_CANDIDATES = 32  # the pieces with the largest boxes that may be empty boxes (a row of a form's fields)
BOX_SMALLEST = 12  # pixels either way: smaller pieces are too coarse to tell a box from a 0
BOX_HOLDS = 0.25  # a piece inside the box at least this share of its height tall is something written in it
BOX_OUTSIDE = 0.15  # a box that writing may cross holds all but this share of its piece's ink within its sides
BOX_SIDE_RUN = 1.5  # a run of ink across a box's side no longer than this many of its lines' thickness is all side


def find_ring(labels: np.ndarray, pieces: list[Piece]) -> Piece | None:
    """The piece that rings others, or None."""
    if len(pieces) < 2:
        return None
    most = max(p.area for p in pieces)
    substantial = [p for p in pieces if p.area >= 0.05 * most]
    for ring in sorted(pieces, key=lambda p: -p.width * p.height)[:RING_CANDIDATES]:
        inside = [p for p in substantial if p is not ring and ring.x0 < p.x0 and p.x1 < ring.x1
                  and ring.y0 < p.y0 and p.y1 < ring.y1]
        if not inside or ring.height < RING_TALLER * max(p.height for p in inside):
            continue
        if sum(p.area for p in inside) < RING_HOLDS * ring.area:
            continue
        mask = labels[ring.y0:ring.y1, ring.x0:ring.x1] == ring.index
        if _along_its_edges(mask) and _goes_round(mask, ring, inside):
            return ring
    return None


def _along_its_edges(mask: np.ndarray) -> bool:
    """Whether a piece's pixels (its box's mask) lie along the box's edges, with no divider across its inside."""
    h, w = mask.shape
    edge = max(int(RING_EDGE * min(h, w)), 1)
    inner = mask[edge:h - edge, edge:w - edge]
    if mask.sum() == 0 or inner.sum() > (1 - RING_ON_EDGE) * mask.sum():
        return False
    return not np.any(_divider_columns(mask)[edge:w - edge])


def _divider_columns(mask: np.ndarray, thickest: float | None = None) -> np.ndarray:
    """Per column of a mask, whether ink fills it from top to bottom (a form's divider), give or take a slant;
    with `thickest`, only ink whose runs across it are no wider than that, in most of its rows (a form's dividers
    are printed as thin as its sides, and a 1 written from a box's top to its bottom in pen mostly is not)."""
    reach = max(int(DIVIDER_SLANT * mask.shape[0]), 1)
    shifts = range(-reach, reach + 1)
    near = np.stack([np.roll(mask, k, axis=1) for k in shifts]).any(axis=0)
    filled = near.mean(axis=0) > DIVIDER_FILL
    if thickest is None or not filled.any():
        return filled
    widths = np.zeros(mask.shape, np.int32)  # each ink pixel's run along its row
    rows, starts, ends = row_runs(mask)
    for r, a, b in zip(rows, starts, ends):
        widths[r, a:b] = b - a
    nearest = np.stack([np.roll(widths, k, axis=1) for k in shifts]).max(axis=0)
    for c in np.flatnonzero(filled):
        filled[c] = np.median(nearest[near[:, c], c]) <= thickest
    return filled


def _goes_round(mask: np.ndarray, ring: Piece, inside: list[Piece]) -> bool:
    """Whether a piece's pixels (its box's mask) lie above, below, left and right of the pieces inside it."""
    x0, y0 = min(p.x0 for p in inside) - ring.x0, min(p.y0 for p in inside) - ring.y0
    x1, y1 = max(p.x1 for p in inside) - ring.x0, max(p.y1 for p in inside) - ring.y0
    sides = (mask[:y0, x0:x1].any(axis=0), mask[y1:, x0:x1].any(axis=0),
             mask[y0:y1, :x0].any(axis=1), mask[y0:y1, x1:].any(axis=1))
    return all(side.size and side.mean() >= ROUND for side in sides)


def empty_boxes(labels: np.ndarray, pieces: list[Piece]) -> list[Piece]:
    """The pieces that are boxes with nothing written in them."""
    boxes = []
    for box in sorted(pieces, key=lambda p: -p.width * p.height)[:BOX_CANDIDATES]:
        if min(box.width, box.height) < BOX_SMALLEST:
            continue
        if _holds_writing(box, pieces):
            continue
        if _a_box(labels[box.y0:box.y1, box.x0:box.x1] == box.index):
            boxes.append(box)
    return boxes


def _holds_writing(box: Piece, pieces: list[Piece]) -> bool:
    """Whether a piece wholly inside a box is tall enough to be something written in it."""
    return any(p is not box and box.x0 < p.x0 and p.x1 < box.x1 and box.y0 < p.y0 and p.y1 < box.y1
               and p.height >= BOX_HOLDS * box.height for p in pieces)


def _a_box(mask: np.ndarray) -> bool:
    """Whether a piece's pixels (its box's mask) run the length of four sides and keep off the inside between them."""
    sides = _box_sides(mask)
    if sides is None:
        return False
    inside = _inside(mask, sides)
    # A form's comb of boxes: its dividers fill the inside from top to bottom, and are no writing.
    filled = _divider_columns(inside, _thickest_divider(sides))
    band = sides.band
    dividers = np.convolve(filled, np.ones(2 * band + 1))[band:band + len(filled)] > 0  # with their rims
    return inside[:, ~dividers].sum() <= BOX_INSIDE * mask.sum()


class _Sides(NamedTuple):
    top: int  # the rows and columns of a box's four sides in its piece's box
    bottom: int
    left: int
    right: int
    band: int  # how far each side may wobble either way
    stroke: float  # how thick its lines are


def _box_sides(mask: np.ndarray, crossed: bool = False) -> _Sides | None:
    """Where a piece's four straight sides lie, if its pixels (its box's mask) run the length of four, whatever lies
    between them. Each side is the row or column of most ink in its quarter of the box: a hand-drawn box's corners
    overshoot. `crossed`: writing may cross the sides (a digit written taller than its box), so each side's
    straightness is judged by the first ink near its line, not from the piece's edge."""
    h, w = mask.shape
    rows, cols = mask.sum(axis=1), mask.sum(axis=0)
    top, left = int(np.argmax(rows[:max(h // 4, 1)])), int(np.argmax(cols[:max(w // 4, 1)]))
    bottom = h - max(h // 4, 1) + int(np.argmax(rows[h - max(h // 4, 1):]))
    right = w - max(w // 4, 1) + int(np.argmax(cols[w - max(w // 4, 1):]))

    def across(r, c):  # a side's band, along the box between the other two sides
        return mask[max(r.start, 0):r.stop, max(c.start, 0):c.stop]

    def filled(band):  # the share of its length each side covers, within `band` of its row or column
        return min(side.mean() for side in (
            across(slice(top - band, top + band + 1), slice(left, right + 1)).any(axis=0),
            across(slice(bottom - band, bottom + band + 1), slice(left, right + 1)).any(axis=0),
            across(slice(top, bottom + 1), slice(left - band, left + band + 1)).any(axis=1),
            across(slice(top, bottom + 1), slice(right - band, right + band + 1)).any(axis=1)))

    # First with the widest band the thickest sides allow: most pieces are no box, and their thickness costs more.
    if filled(round((BOX_SIDE + BOX_STROKE / 2) * min(h, w)) + 1) < BOX_SIDE_FILLED:
        return None
    stroke = _thickness(mask)
    if stroke > BOX_STROKE * min(h, w):
        return None
    band = round(BOX_SIDE * min(h, w) + stroke / 2) + 1
    if bottom - top <= 2 * band + 2 or right - left <= 2 * band + 2:  # no inside between the sides' bands
        return None
    if filled(band) < BOX_SIDE_FILLED:
        return None
    # A box's sides are straight lines that meet at its corners, where a 0's curve leaves the paper bare.
    upright, level = mask[top + band:bottom - band + 1], mask[:, left + band:right - band + 1].T  # past the corners
    if crossed:  # each side's band alone, seen from outside
        within = across(slice(top - band, bottom + band + 1), slice(left - band, right + band + 1)).sum()
        if mask.sum() - within > BOX_OUTSIDE * mask.sum():
            return None  # lines running on past the corners (a lined page's rules, joined by digits), not writing
        lines = (_band_from_outside(upright, left, band), _band_from_outside(upright[:, ::-1], w - 1 - right, band),
                 _band_from_outside(level, top, band), _band_from_outside(level[:, ::-1], h - 1 - bottom, band))
    else:
        lines = (upright, upright[:, ::-1], level, level[:, ::-1])
    if not all(_straight(line, BOX_STRAIGHT * min(h, w) + 1) for line in lines):
        return None
    if not all(across(slice(r - band, r + band + 1), slice(c - band, c + band + 1)).any()
               for r in (top, bottom) for c in (left, right)):
        return None
    return _Sides(top, bottom, left, right, band, stroke)


def _band_from_outside(mask: np.ndarray, at: int, band: int) -> np.ndarray:
    """The columns of a mask within `band` of a side's column `at`, with the rows where ink comes into them from
    farther out (writing that crosses the side) left blank."""
    near = mask[:, max(at - band, 0):at + band + 1]
    return np.where(near[:, :1], False, near) if at - band > 0 else near


def _thickest_divider(sides: _Sides) -> float:
    """How wide a comb's divider may be, against the thickness of its box's sides."""
    return DIVIDER_THICK * sides.stroke + 2


def _inside(mask: np.ndarray, sides: _Sides) -> np.ndarray:
    """A box's mask between its sides' bands."""
    return mask[sides.top + sides.band + 1:sides.bottom - sides.band,
                sides.left + sides.band + 1:sides.right - sides.band]


def _thickness(mask: np.ndarray) -> float:
    """How thick a piece's outermost strokes are: the median length of the first run of ink met from each side, in
    each row and column that has ink."""
    runs = []
    for side in (mask, mask[:, ::-1], mask.T, mask.T[:, ::-1]):
        rows = side[side.any(axis=1)]
        start = np.argmax(rows, axis=1)
        after = np.cumsum(rows, axis=1) > 0  # from the first ink on
        ends = np.argmax(after & ~rows, axis=1)  # the first paper after it (0: ink to the edge)
        runs.append(np.where(ends > 0, ends, rows.shape[1]) - start)
    return float(np.median(np.concatenate(runs)))


def _straight(mask: np.ndarray, within: float) -> bool:
    """Whether the first ink in each row of a mask (from the left, in its left half) lies along a straight line: most
    rows within `within` pixels of the line fitted through them (a rounded corner's rows may not)."""
    half = mask[:, :max(mask.shape[1] // 2, 1)]
    rows = np.flatnonzero(half.any(axis=1))
    if len(rows) < 3:
        return False
    first = np.argmax(half[rows], axis=1)
    fitted = np.polyval(np.polyfit(rows, first, 1), rows)
    return float(np.percentile(np.abs(first - fitted), BOX_STRAIGHT_ROWS)) <= within


def _outermost_runs(mask: np.ndarray) -> np.ndarray:
    """The pixels of each row's first run of ink (from the left)."""
    seen = np.cumsum(mask, axis=1) > 0
    return mask & (np.cumsum(~mask & seen, axis=1) == 0)


def without_ring(ink: np.ndarray, labels: np.ndarray, ring: Piece) -> np.ndarray:
    """The ink map with the ring taken out: in its box, the outermost run of its pixels from each side."""
    mask = labels[ring.y0:ring.y1, ring.x0:ring.x1] == ring.index
    outer = (_outermost_runs(mask) | _outermost_runs(mask[:, ::-1])[:, ::-1]
             | _outermost_runs(mask.T).T | _outermost_runs(mask.T[:, ::-1])[:, ::-1].T)
    return _taken_out(ink, ring, mask, outer)


def find_box_round(labels: np.ndarray, pieces: list[Piece]) -> tuple[Piece, _Sides] | None:
    """A box round writing, looked for before a ring: as a ring, a digit touching it lost its stroke along the
    ring's outermost run (a 1 against a side, whole), and writing that touches it from inside is one piece with it
    (a form's field filled to its edges), where a ring needs pieces wholly inside. Four straight sides that run
    the length of the piece's box, with writing between them at least a quarter of the box tall (its own ink, or
    a piece, a thin 1 too), and no divider across (a form's comb of boxes, which the line step takes apart)."""
    for box in sorted(pieces, key=lambda p: -p.width * p.height)[:BOX_CANDIDATES]:
        if min(box.width, box.height) < BOX_SMALLEST:
            continue
        mask = labels[box.y0:box.y1, box.x0:box.x1] == box.index
        sides = _box_sides(mask) or _box_sides(mask, crossed=True)
        if sides is None:
            continue
        inside = _inside(mask, sides)
        rows = np.flatnonzero(inside.any(axis=1))
        touching = inside.sum() > BOX_INSIDE * mask.sum() and rows[-1] - rows[0] + 1 >= BOX_HOLDS * box.height
        if not touching and not _holds_writing(box, pieces):
            continue
        # A comb's dividers run from its top side to its bottom side; a digit's stroke stops short of one of them.
        between = mask[sides.top:sides.bottom + 1, sides.left + sides.band + 1:sides.right - sides.band]
        if np.any(_divider_columns(between, _thickest_divider(sides))):
            continue
        return box, sides
    return None


def without_box(ink: np.ndarray, labels: np.ndarray, box: Piece, sides: _Sides) -> np.ndarray:
    """The ink map with a box round writing that touches it taken out: along each side, the run of ink met first
    from outside, up to the side's own thickness where writing carries it on inward, so the writing keeps its
    strokes past the side's line."""
    mask = labels[box.y0:box.y1, box.x0:box.x1] == box.index
    h, w = mask.shape
    down, across = (sides.top, sides.bottom), (sides.left, sides.right)  # where the upright and level sides run
    side = (_side_run(mask, sides.left, down, sides)
            | _side_run(mask[:, ::-1], w - 1 - sides.right, down, sides)[:, ::-1]
            | _side_run(mask.T, sides.top, across, sides).T
            | _side_run(mask.T[:, ::-1], h - 1 - sides.bottom, across, sides)[:, ::-1].T)
    return _taken_out(ink, box, mask, side, BOX_REMNANT_REACH)


def _side_run(mask: np.ndarray, at: int, along: tuple[int, int], sides: _Sides) -> np.ndarray:
    """A box's left side (column `at` of the mask, over rows `along`): in each row, the run of ink met first from
    the left near the side, all of it where no longer than a side's run, else the side's own thickness."""
    out = np.zeros_like(mask)
    longest = round(BOX_SIDE_RUN * sides.stroke) + 2
    for r in range(max(along[0] - sides.band, 0), min(along[1] + sides.band + 1, mask.shape[0])):
        row = mask[r]
        start = int(np.argmax(row))
        if not row[start] or abs(start - at) > sides.band:
            continue
        run = int(np.argmax(~row[start:])) or len(row) - start
        out[r, start:start + (run if run <= longest else round(sides.stroke) + 1)] = True
    return out


def _taken_out(ink: np.ndarray, piece: Piece, mask: np.ndarray, outer: np.ndarray,
               remnant_reach: float = REMNANT_REACH) -> np.ndarray:
    """The ink map with a ring's or a box's pixels (`outer`, in the piece's box with its `mask`) taken out, and
    what is left of them within `remnant_reach` of their strokes' widths."""
    box = (slice(piece.y0, piece.y1), slice(piece.x0, piece.x1))
    out = ink.copy()
    out[box][outer] = 0.0
    # Where the ring's ends overlap, or a second stroke went over part of it, the inner stroke is not outermost and
    # stayed, to be read as a 1 or a 7 at the number's end. It runs along the ring, within a few of its strokes'
    # widths; a digit that touched the ring from inside keeps most of its ink farther in, and a digit cut in two
    # where it touched the ring keeps its other part close by.
    left = mask & ~outer
    if left.any():
        width = stroke_width(outer)
        reach = max(2, round(remnant_reach * width))
        near = grown(outer, reach)
        parts, pieces = label_pieces(left)
        near_ring = np.bincount(parts[near], minlength=len(pieces) + 1)  # each part's pixels near the ring
        along = [part.index for part in pieces if near_ring[part.index] >= REMNANT_SHARE * part.area
                 and stroke_width(parts == part.index) <= REMNANT_WIDTH * width]
        digits = (parts > 0) & ~np.isin(parts, along)
        for index in along:
            own = parts == index
            if not np.any(grown(own, reach) & digits):
                out[box][own] = 0.0
    return out
