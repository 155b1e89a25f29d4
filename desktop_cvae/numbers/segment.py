"""The pixel work of reading a number: a notebook's or a table's rules across the writing taken out, the line of
writing straightened, a ruled or drawn line taken out, the pieces of ink found and grouped, and the ways a piece
could be cut into several digits proposed.

Everything works on an ink map (preprocess.ink_map: 1 = ink, 0 = paper). Nothing here decides an ambiguous
case: where pieces could be one digit or two, or a wide piece two digits or three, every reading is proposed
(`Unit`, `cut_paths`) and the reader lets the model judge.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ..vision.components import Piece, label_pieces, row_runs
from ..vision.errors import NoInkError
from ..vision.pixels import grown
from . import rings

INK_LEVEL = 0.3  # an ink map's pixels above this are pen, below it the soft rims of strokes and paper
# Faint ink joins a piece when it touches strong ink (hysteresis): a pencil stroke that fades mid-way stays one.
FAINT_LEVEL = 0.15
MAX_SKEW_DEGREES = 12.0
# A line through four or more digits' middles (certain of its slope) levels a number tilted this far: a page held
# askew, a photo taken at a slant. From STEEP_FROM_DEGREES, a number's digits may share too few rows to be grouped
# as one line of writing until it is levelled.
MAX_MIDDLES_SKEW_DEGREES = 30.0
STEEP_FROM_DEGREES = 10.0
RULED_SHARE = 0.7  # a line-like piece holds a straight line if one row at some angle has ink in this share of columns
STRAIGHTEN_FROM_DEGREES = 1.0  # below this a line of writing is read as it lies
SKEW_CERTAINTY = 2.0  # a slope fitted through the digits' middles counts from this many standard errors
LINE_LENGTH_PER_HEIGHT = 2.0  # a horizontal run this many times the writing's height is a line, not strokes
PRINTED_LINE_LENGTH = 1.2  # ... or this many, if it is as straight as print (a form's box round two digits)
EDGE_TO_EDGE = 0.9  # a page's printed rule runs across at least this share of the picture
BLANK_PAGE_HEIGHT = 0.45  # a blank ruled page's writing height, of the picture's: its rules outreach twice that
LINED_RULES = 3  # faint rules from edge to edge along the writing that make a lined page
RULE_GAPS = 3  # pixels: a printed rule's breaks up to this long, left by the picture's noise, are bridged
RULE_STUB = 4  # pixels: what is left of a rule across, either side of a rule along it
PEN_OVER_RULE = 0.25  # ink this much darker than a printed rule, on the rule, is a pen stroke along it
STICKS_OUT = 0.1  # ... or if it reaches this many heights past the other ink at both ends (under a short number)
OTHER_LINE_HEIGHT = 0.4  # another line of writing is at least this share of the writing's height (not a 7's bar)
LINE_GAP = 0.2  # ... and stands at least this many heights clear of the writing's pieces above or below it
MARK_REACH = 0.3  # a line of marks smaller than that, this many heights clear of the writing, is another line
DASH_THICK = 0.15  # a dash (a line's remains, a 7's bar lifted off, one between digits): this many heights thick
ONE_DIGIT_KEPT = 0.7  # what one_digit keeps of a picture is at least this share of its tallest piece's height
ONE_DIGIT_LINE_REACH = 0.03  # ... and a line it takes out reaches past the digit on both sides by this share of its
# height (a form's box may stand only a few pixels clear of the digit)
ONE_DIGIT_SMALLEST = 64  # pixels: a picture smaller than this either way is the digit alone (MNIST's own 28)
MAX_LINE_PIECES = 400  # the largest pieces grouped into lines; a number on one line has far fewer


def strong_pieces(ink: np.ndarray) -> tuple[np.ndarray, list[Piece]]:
    """The pieces of ink by hysteresis: connected at FAINT_LEVEL, kept where they hold ink above INK_LEVEL.
    Returns the label image (faint pixels of a kept piece included) and the pieces, renumbered 1..n."""
    labels, pieces = label_pieces(ink > FAINT_LEVEL)
    if not pieces:
        return labels, pieces
    strongest = np.zeros(len(pieces) + 1, np.float32)
    np.maximum.at(strongest, labels.ravel(), ink.ravel())
    keep = strongest > INK_LEVEL
    keep[0] = False
    renumber = np.zeros(len(pieces) + 1, np.int32)
    renumber[keep] = np.arange(1, int(keep.sum()) + 1)
    kept = [Piece(int(renumber[p.index]), p.x0, p.y0, p.x1, p.y1, p.area) for p in pieces if keep[p.index]]
    return renumber[labels], kept


def estimate_skew(ink: np.ndarray, labels: np.ndarray, pieces: list[Piece]) -> float:
    """The angle (degrees, Image.rotate's sense) that makes the line of writing horizontal.

    A frame round the digits (a form's boxes) gives it best, by its straight rules: writing follows its boxes.
    Without one, the digits' middles lie along the line: a straight line is fitted through the middles of the
    substantial digit-like pieces (weighted by their ink). Fewer than four say too little of the slope (three
    digits of uneven height tilt it by degrees). Then a line-like piece (a rule, a line drawn under or through the
    number, which may join the digits) gives it by the straight line in it, or else by its pixels' principal
    direction; failing that, all the ink does if it is a long band. A slanted digit does not tilt the fit, as it
    would a fit through every pixel. (Digits joined into one long piece hold rows of ink at many angles, so the
    search for a straight line is kept for where the digits' middles cannot say.)"""
    if not pieces:
        return 0.0
    frames = _frames(pieces)
    framing = {p.index for p in frames}
    digit_like = [p for p in pieces if p.width < 3 * p.height and p.index not in framing]
    line_like = [p for p in pieces if (p.width >= 3 * p.height and p.width >= 20) or p.index in framing]
    if frames:
        ruled = _ruled_angle(*np.nonzero(np.isin(labels, [p.index for p in frames])))
        if ruled is not None:
            return ruled
    big = _substantial(digit_like)
    if len(big) >= 4:
        return _middles_angle(big)
    if line_like:
        ys, xs = np.nonzero(np.isin(labels, [p.index for p in line_like]))
        ruled = _ruled_angle(ys, xs)
        if ruled is not None:
            return ruled
    else:
        small = _shrink(ink, 256)
        ys, xs = np.nonzero(small > INK_LEVEL)
        if len(xs) < 20 or np.ptp(xs) < 3 * max(np.ptp(ys), 1):
            return 0.0  # not a long band of ink: nothing to straighten by
    xs = xs - np.mean(xs)
    if np.ptp(xs) <= 0:
        return 0.0
    slope = float(np.sum(xs * (ys - np.mean(ys))) / np.sum(xs * xs))
    angle = float(np.degrees(np.arctan(slope)))  # rows fall by `slope` per column: Image.rotate(angle) levels them
    return angle if abs(angle) <= MAX_SKEW_DEGREES else 0.0


def _middles_angle(pieces: list[Piece], certain: bool = True) -> float:
    """The angle of a straight line fitted through the pieces' middles (weighted by their ink), or 0.

    certain: 0 where the fit cannot tell the slope from level: digits' middles stand a little higher or lower by
    their shape alone, and across four or five digits that scatter tilts the fit by a degree or two (a level
    number was "turned by 2°" one time in four). Without it, the line through however few middles."""
    w = np.array([p.area for p in pieces], np.float64)
    w /= w.sum()
    xs, ys = np.array([p.cx for p in pieces]), np.array([p.cy for p in pieces])
    xs = xs - np.sum(w * xs)
    ys = ys - np.sum(w * ys)
    spread = float(np.sum(w * xs * xs))
    if spread <= 0:
        return 0.0
    slope = float(np.sum(w * xs * ys)) / spread
    scatter = np.sum(w * (ys - slope * xs) ** 2)  # the middles' own scatter about the line
    slope_error = float(np.sqrt(scatter * np.sum(w * w * xs * xs)) / spread)
    if certain and abs(slope) < SKEW_CERTAINTY * slope_error:
        return 0.0
    angle = float(np.degrees(np.arctan(slope)))
    return angle if abs(angle) <= MAX_MIDDLES_SKEW_DEGREES else 0.0


def _substantial(pieces: list[Piece]) -> list[Piece]:
    """The pieces that hold a fair share of the ink (not specks, not a 7's bar lifted off)."""
    most = max((p.area for p in pieces), default=0)
    return [p for p in pieces if p.area >= 0.15 * most]


FRAME_CANDIDATES = 64  # the pieces with the largest boxes that may frame others; a grainy picture has thousands


def _frames(pieces: list[Piece]) -> list[Piece]:
    """The frames round other pieces (a form's boxes round two or three digits): pieces whose box holds the
    middles of two smaller pieces or more. A frame's middle is not on the line of writing."""
    cx, cy = np.array([p.cx for p in pieces]), np.array([p.cy for p in pieces])
    area = np.array([p.area for p in pieces])
    by_box = sorted(pieces, key=lambda p: -p.width * p.height)[:FRAME_CANDIDATES]
    return [p for p in by_box if np.count_nonzero((area < p.area) & (p.x0 <= cx) & (cx <= p.x1)
                                                  & (p.y0 <= cy) & (cy <= p.y1)) >= 2]


def _ruled_angle(ys: np.ndarray, xs: np.ndarray) -> float | None:
    """The angle of a straight line in these pixels (a line drawn under or through digits that touch it), or None
    if there is none: at its angle, one row of the line holds a pixel in most of its columns. Fitted to all the
    pixels, the digits on the line would tilt it by degrees."""
    if len(xs) > 40_000:  # enough to find the line, for a bounded time
        keep = np.random.default_rng(0).choice(len(xs), 40_000, replace=False)
        ys, xs = ys[keep], xs[keep]
    width = int(np.ptp(xs)) + 1
    xs = xs - xs.min()
    angles = np.arange(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES + 0.01, 0.25)
    counts = np.zeros(len(angles), np.int64)
    for k, degrees in enumerate(angles):
        rows = np.round(ys - np.tan(np.radians(degrees)) * xs).astype(np.int64)
        rows -= rows.min()
        # A row of the line: its pixels, counted once per column.
        count = np.bincount(rows * width + xs, minlength=(rows.max() + 1) * width)
        counts[k] = (count.reshape(-1, width) > 0).sum(axis=1).max()
    if counts.max() < RULED_SHARE * width:
        return None
    # A thick line holds a full row over a band of angles round its own; the first of them tilted a short, bold
    # underline by two degrees, and the line was then too aslant to be taken out. The band's middle is its angle.
    return float(np.median(angles[counts == counts.max()]))


def _shrink(a: np.ndarray, side: int) -> np.ndarray:
    h, w = a.shape
    if max(h, w) <= side:
        return a
    scale = side / max(h, w)
    return np.asarray(Image.fromarray(a.astype(np.float32), mode="F").resize(
        (max(int(w * scale), 1), max(int(h * scale), 1)), Image.Resampling.BOX))


def straighten(ink: np.ndarray, angle: float) -> np.ndarray:
    """The ink map turned by `angle` degrees (Image.rotate's sense, expand=True)."""
    return np.asarray(Image.fromarray(ink.astype(np.float32), mode="F").rotate(
        angle, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=0.0), dtype=np.float32)


def _bridged(rows: np.ndarray, starts: np.ndarray, ends: np.ndarray, gap: int):
    """Runs (as `row_runs` gives them, row by row, left to right) with those in one row at most `gap` apart joined."""
    if not len(rows):  # no ink at all: a page whose rules were all that stood out, taken out already
        return rows, starts, ends
    joins = (rows[1:] == rows[:-1]) & (starts[1:] - ends[:-1] <= gap)
    first = np.concatenate([[True], ~joins])  # where each joined run begins
    last = np.concatenate([~joins, [True]])
    return rows[first], starts[first], ends[last]


def remove_lines(ink: np.ndarray, height: float | None = None, rules: bool = False) -> tuple[np.ndarray, bool]:
    """A ruled or drawn line through or under the number taken out of a straightened ink map. `height`: the
    writing's, where the caller has measured it. `rules`: the lines are a page's printed rules, paler than the
    pen. They are traced in faint ink, with breaks of up to RULE_GAPS pixels (the picture's noise) bridged, and
    their middle followed where they run alone (the digits' tops and feet run beside them for a while); ink
    darker than the rule on it is a stroke along it and stays; and a column filled between two rules is a
    digit's stroke, not a form's divider. Otherwise the shorter printed lines and a form's dividers go too.

    A line is ink that runs horizontally for more than LINE_LENGTH_PER_HEIGHT times the writing's height: no
    digit has a stroke that long, and where digits touch, their bars and tops joined (a 4's arm to the next 4,
    on to a 5's top) were seen to reach 1.5 heights, but not two. A printed line as straight as print counts from
    PRINTED_LINE_LENGTH heights (a form's box round two digits); between two lines, a form's dividers go too
    (_remove_dividers). A drawn line
    wobbles and is never quite level, so the runs are measured with the ink smeared a few rows up and down. In
    each column the line's pixels are replaced by the lesser of the ink just above and just below them, so a
    stroke that crosses the line goes on and the paper beside it stays paper."""
    level, gaps, forms = (FAINT_LEVEL, RULE_GAPS, False) if rules else (INK_LEVEL, 0, True)
    mask = ink > level
    h, w = mask.shape
    rows, starts, ends = row_runs(mask)
    if len(rows) == 0:
        return ink, False
    reach = max(int(round(0.012 * max(h, w))), 2)  # how far a line may wobble, in rows
    smeared = mask.copy()
    for k in range(1, reach + 1):
        smeared[k:] |= mask[:-k]
        smeared[:-k] |= mask[k:]
    srows, sstarts, sends = row_runs(smeared)
    if gaps:
        srows, sstarts, sends = _bridged(srows, sstarts, sends, gaps)
    if height is None:
        # The writing's height: the rows holding ink outside the longest runs (a line would stretch the estimate).
        longest = int((sends - sstarts).max())
        short_rows = np.unique(rows[ends - starts < 0.5 * longest])
        if len(short_rows) == 0:
            return ink, False
        height = short_rows.max() - short_rows.min() + 1
    # Drawn lines first; only where there are none, the shorter printed ones (which must then be straight).
    kinds = ((LINE_LENGTH_PER_HEIGHT, False), (PRINTED_LINE_LENGTH, True))
    for per_height, printed_only in kinds if forms else kinds[:1]:
        long_runs = np.flatnonzero(sends - sstarts >= max(per_height * height, 8 * reach))
        if len(long_runs):
            break
    else:
        return ink, False
    out = ink.copy()
    traced = []  # (first column, middle row per column, half thickness) of each line
    # Each band of rows whose smeared runs are long is one line: trace its middle and its thickness.
    band_rows = np.unique(srows[long_runs])
    bands = np.split(band_rows, np.flatnonzero(np.diff(band_rows) > 1) + 1)
    for band in bands:
        in_band = np.isin(srows[long_runs], band)
        c0, c1 = int(sstarts[long_runs][in_band].min()), int(sends[long_runs][in_band].max())
        r0, r1 = max(int(band.min()) - reach, 0), min(int(band.max()) + reach + 1, h)
        region = mask[r0:r1, c0:c1]
        count = region.sum(axis=0)
        if not count.any():
            continue
        centre = (region * np.arange(r0, r1)[:, None]).sum(axis=0) / np.maximum(count, 1)
        thickness = float(np.median(count[count > 0]))  # most columns hold the line alone
        # A running median of the middle over a line's stretch ignores the strokes that cross it; where the
        # digits' tops or feet run beside it for a while, it follows the columns that hold the line alone.
        window = max(int(height), 3)
        has = count > 0
        alone = has & (count <= 2 * thickness)
        idx = np.flatnonzero(alone if rules and alone.sum() >= 0.5 * has.sum() else has)
        smooth = _running_median(centre[idx], window // 2)
        middle = np.interp(np.arange(c1 - c0), idx, smooth)
        if printed_only and not (_printed(centre, has) or _sticks_out(mask, r0, r1, c0, c1, height)):
            continue  # shorter than a drawn line, not straight enough to be a printed one, within the digits
        half = thickness / 2 + 1
        pen_from = _darker_than_line(ink, middle, half, c0, has & (count <= thickness)) if rules else np.inf
        _bridge_over(out, ink, middle, half, c0, pen_from, keep_along=not rules)
        traced.append((c0, middle, half))
    if not traced:
        return ink, False
    if forms:
        _remove_dividers(mask, out, traced)
    return out, True


def _bridge_over(out: np.ndarray, ink: np.ndarray, middle: np.ndarray, half: float, c0: int, pen_from: float,
                 keep_along: bool = False) -> None:
    """The line's pixels in each column from c0 on (`middle` its middle row there, `half` its half thickness) set to
    the lesser of the ink just above and just below them, column by column from left to right, in place. A stroke
    crossing the line at a slant is above it a little to one side and below it a little to the other: each side's
    ink is the most within as many columns either way as the line is thick. Ink darker than `pen_from` (a pale
    printed rule's) is the pen's, even where a stroke runs along the rule, and stays.

    As a loop over columns this was most of the time spent on a squared page. Here every column is done at once,
    but for those that read, above or below the line, a pixel that a column before them on its left has just
    set: those follow in order, as the loop had them. `keep_along`: a drawn line's pixels stay in the columns
    where a stroke runs along it (_stroke_beside); a printed rule's are told from the pen's by their darkness."""
    h, w = out.shape
    reach = int(half)
    cols = c0 + np.arange(len(middle))
    a = np.maximum(np.floor(middle - half).astype(np.int64), 0)  # the line's rows in each column: a..b-1
    b = np.minimum(np.ceil(middle + half).astype(np.int64) + 1, h)
    after = np.zeros(len(cols), bool)  # reads a pixel a column on its left sets first
    for d in range(1, reach + 1):
        ja, jb = a[d:], b[d:]
        ea, eb = a[:-d], b[:-d]
        after[d:] |= (ja > 0) & (ea <= ja - 1) & (ja - 1 < eb)
        after[d:] |= (jb < h) & (ea <= jb) & (jb < eb)
    top, bottom = max(int(a.min()) - 1, 0), min(int(b.max()) + 1, h)
    before = out[top:bottom].copy()  # the rows read, as they were before this line

    def most(rows: np.ndarray, on: np.ndarray) -> np.ndarray:
        """The most ink in each column's row `rows` within `reach` columns either way (0 where `on` is False)."""
        near = cols[:, None] + np.arange(-reach, reach + 1)[None, :]
        inside = (near >= 0) & (near < w)
        got = before[np.clip(rows, top, bottom - 1)[:, None] - top, np.clip(near, 0, w - 1)]
        return np.where(on, np.where(inside, got, -np.inf).max(axis=1), 0.0).astype(out.dtype)

    lesser = np.minimum(most(a - 1, a > 0), most(b, b < h))
    thick = int((b - a).max(initial=0))
    rows = a[:, None] + np.arange(thick)[None, :]
    change = (rows < b[:, None]) & ~after[:, None]
    # A stroke that runs along the line (a 4's bar, a 6's foot) sticks out of it by its own width: there the line's
    # pixels are the stroke's too, and stay. A line's wobble leaves its band by a pixel or so.
    along = (_stroke_beside(ink, a, b, cols, max(2 * reach, 2)) if keep_along
             else np.zeros(len(cols), bool))
    change &= ~along[:, None]
    j, k = np.nonzero(change)  # column, and row of the line there
    r, c = rows[j, k], cols[j]
    bridged = np.minimum(before[r - top, c], lesser[j])
    out[r, c] = np.where(ink[r, c] > pen_from, ink[r, c], bridged)

    def side(row: int, c: int) -> float:
        """The most ink in `row` within `reach` columns of c: the columns on the left as this line left them,
        the others as they were."""
        lo, hi = max(c - reach, 0), min(c + reach + 1, w)
        return float(max(out[row, lo:c].max(initial=-np.inf), before[row - top, c:hi].max()))

    for j in np.flatnonzero(after & ~along):
        c, aj, bj = int(cols[j]), int(a[j]), int(b[j])
        above = side(aj - 1, c) if aj > 0 else 0.0
        below = side(bj, c) if bj < h else 0.0
        bridged = np.minimum(before[aj - top:bj - top, c], min(above, below))
        out[aj:bj, c] = np.where(ink[aj:bj, c] > pen_from, ink[aj:bj, c], bridged)


def _stroke_beside(ink: np.ndarray, a: np.ndarray, b: np.ndarray, cols: np.ndarray, solid: int) -> np.ndarray:
    """Per column, whether a stroke runs along the line there: ink in all of the `solid` rows just above the line's
    rows a..b-1, or just below them (a line's own wobble leaves the band by a pixel or so, not a stroke's width)."""
    h = ink.shape[0]
    k = np.arange(1, solid + 1)[None, :]
    up, down = a[:, None] - k, b[:, None] - 1 + k
    above = np.where(up >= 0, ink[np.clip(up, 0, h - 1), cols[:, None]], 0.0).min(axis=1)
    below = np.where(down < h, ink[np.clip(down, 0, h - 1), cols[:, None]], 0.0).min(axis=1)
    return (above > INK_LEVEL) | (below > INK_LEVEL)


def _darker_than_line(ink: np.ndarray, middle: np.ndarray, half: float, c0: int, alone: np.ndarray) -> float:
    """The ink from which a pixel on a traced line is a pen's stroke, not the line: PEN_OVER_RULE above the line's
    own ink (its darkest pixel per column where it runs alone, the median over those columns). Above 1 (never)
    for a line drawn as dark as the digits."""
    cols = np.flatnonzero(alone)
    if not len(cols):
        return np.inf
    h = ink.shape[0]
    rows = np.clip(np.round(middle[cols]).astype(int)[:, None] + np.arange(-int(half), int(half) + 1), 0, h - 1)
    return float(np.median(ink[rows, (c0 + cols)[:, None]].max(axis=1))) + PEN_OVER_RULE


def _running_median(values: np.ndarray, half: int) -> np.ndarray:
    """Each value's median with up to `half` values either side (fewer at the ends)."""
    n, out = len(values), np.empty(len(values))
    if n > 2 * half:  # the full windows at once: a ruled page has dozens of lines a thousand columns long
        out[half: n - half] = np.median(np.lib.stride_tricks.sliding_window_view(values, 2 * half + 1), axis=1)
    # The clipped windows at the ends, one value in or out at a time: kept sorted, not sorted afresh each time.
    for ks in (range(min(half, n)), range(max(n - half, half), n)):
        window, lo, hi = [], 0, 0
        for k in ks:
            new_lo, new_hi = max(k - half, 0), min(k + half + 1, n)
            if not window:
                lo, hi = new_lo, new_hi
                window = sorted(values[lo:hi].tolist())
            for v in values[lo:new_lo].tolist():
                del window[bisect.bisect_left(window, v)]
            for v in values[hi:new_hi].tolist():
                bisect.insort(window, v)
            lo, hi = new_lo, new_hi
            m = len(window)
            out[k] = window[m // 2] if m % 2 else (window[m // 2 - 1] + window[m // 2]) / 2
    return out


def remove_rules_across(ink: np.ndarray) -> tuple[np.ndarray, bool]:
    """Ruled lines across the line of writing, top to bottom, taken out of an ink map: a notebook's margin, the
    rules of squared paper or a table's columns. Traced and bridged as a line under the number is
    (`remove_lines`, on the map turned on its side), from LINE_LENGTH_PER_HEIGHT writing heights long: no digit
    is that tall, and a 1 as straight as print is as tall as the writing. Left in, such a rule is the tallest
    thing on the page: it set the writing's height, joined lines of writing and cut every digit it crossed."""
    height = _height_between_rules(ink)
    if not height and _ruled_both_ways(ink):
        height = BLANK_PAGE_HEIGHT * ink.shape[0]  # a blank page of squared paper: nothing but rules, edge to edge
    if not height:
        return ink, False
    # Traced in faint ink as well: a printed rule is paler than the pen, and a margin's red is paler still.
    out, removed = remove_lines(np.ascontiguousarray(ink.T), height=height, rules=True)
    return (np.ascontiguousarray(out.T), True) if removed else (ink, False)


def _height_between_rules(ink: np.ndarray) -> float:
    """The writing's height where rules may run along and across it: the rows of the ink left when the runs of
    faint ink at least half as long as the longest, either way, are set aside (rules, and a digit's longest
    strokes: its loops and turns are left), with the pixels beside them. The 2nd to the 98th percentile of those
    pixels' rows, so that specks count for nothing; 0 where no ink is left. A rule's breaks of up to RULE_GAPS
    pixels, left by the picture's noise, are bridged: its pieces, shorter than half the longest, would stretch
    the rows."""
    faint = ink > FAINT_LEVEL
    ruled = np.zeros(ink.shape, bool)
    page = np.zeros(ink.shape, bool)  # rules from edge to edge
    for grid, out, across in ((faint, ruled, page), (faint.T, ruled.T, page.T)):  # the views share pixels
        rows, starts, ends = _bridged(*row_runs(grid), RULE_GAPS)
        lengths = ends - starts
        if not len(lengths):
            return 0.0
        long = lengths >= 0.5 * lengths.max()
        edge_to_edge = lengths >= EDGE_TO_EDGE * grid.shape[1]
        for r, a, b, whole in zip(rows[long], starts[long], ends[long], edge_to_edge[long]):
            out[r, a:b] = True
            across[r, a:b] = whole
    # With the rules across taken out, a stub of each is left where it crossed a rule along: beside such rules.
    near = ruled.copy()
    for k in range(1, RULE_STUB + 1):
        near[k:] |= page[:-k]
        near[:-k] |= page[k:]
        near[:, k:] |= page[:, :-k]
        near[:, :-k] |= page[:, k:]
    ys = np.nonzero((ink > INK_LEVEL) & ~near)[0]
    if len(ys) < 20:
        return 0.0
    return float(np.percentile(ys, 98) - np.percentile(ys, 2) + 1)


def _lined(ink: np.ndarray) -> bool:
    """Whether faint rules run along the writing from edge to edge, LINED_RULES or more: a lined page cropped
    inside its margin (a form's boxes have two)."""
    rows, starts, ends = _bridged(*row_runs(ink > FAINT_LEVEL), RULE_GAPS)
    whole = np.unique(rows[ends - starts >= EDGE_TO_EDGE * ink.shape[1]])
    return len(whole) > 0 and int((np.diff(whole) > 1).sum()) + 1 >= LINED_RULES


def _ruled_both_ways(ink: np.ndarray) -> bool:
    """Whether faint ink runs across nearly the whole picture both ways: the rules of squared paper (a 1 drawn
    from the top of the canvas to the bottom has no line across the canvas beside it)."""
    faint = ink > FAINT_LEVEL
    for grid in (faint, faint.T):  # along rows, then along columns
        _, starts, ends = row_runs(grid)
        if not len(starts) or (ends - starts).max() < EDGE_TO_EDGE * grid.shape[1]:
            return False
    return True


def _sticks_out(mask: np.ndarray, r0: int, r1: int, c0: int, c1: int, height: float) -> bool:
    """Whether a line (rows r0..r1, columns c0..c1) reaches past all the other ink at both ends, as a line drawn
    under or through a number of two or three digits does: too short to be told by its length, but the bars of
    digits that touch end within the digits on one side at least."""
    other = mask.copy()
    other[r0:r1, c0:c1] = False
    cols = np.flatnonzero(other.any(axis=0))
    margin = STICKS_OUT * height
    return len(cols) > 0 and c0 <= cols.min() - margin and c1 >= cols.max() + margin


def _printed(centre: np.ndarray, has: np.ndarray) -> bool:
    """Whether a traced line is as straight as print: ink in nearly every column, and its middle within a pixel
    of a straight line (a pen wanders more over a digit's width, and strokes joined across digits far more)."""
    if has.mean() < 0.95:
        return False
    cols = np.flatnonzero(has)
    fit = np.polyval(np.polyfit(cols, centre[cols], 1), cols)
    return float(np.percentile(np.abs(centre[cols] - fit), 90)) <= 1.0


def _remove_dividers(mask: np.ndarray, out: np.ndarray, traced: list) -> None:
    """A form's boxes: between two traced lines, one above the other, a column whose ink fills nearly all the
    rows between them is a printed divider, not a 1 (a hand writes inside the box, clear of its edges). Taken
    out of `out` in place."""
    traced = sorted(traced, key=lambda t: float(np.median(t[1])))
    for (c0a, mid_a, half_a), (c0b, mid_b, half_b) in zip(traced, traced[1:]):
        lo, hi = max(c0a, c0b), min(c0a + len(mid_a), c0b + len(mid_b))
        if hi - lo < 2:
            continue
        top = int(np.ceil(np.max(mid_a[lo - c0a: hi - c0a]) + half_a)) + 1
        bottom = int(np.floor(np.min(mid_b[lo - c0b: hi - c0b]) - half_b))
        if bottom - top < 8:
            continue
        filled = mask[top:bottom, lo:hi].mean(axis=0) >= 0.9
        # Taken out from the upper line's top to the lower line's bottom: what is left of a divider where it
        # meets a line would read as a short 1.
        top = max(int(np.floor(np.min(mid_a[lo - c0a: hi - c0a]) - half_a)) - 1, 0)
        bottom = int(np.ceil(np.max(mid_b[lo - c0b: hi - c0b]) + half_b)) + 2
        if filled.any():
            # The divider's soft rims go with it: a column beside a filled one, as far as the line is thick.
            reach = max(int(round(half_a)), 1)
            wide = filled.copy()
            for k in range(1, reach + 1):
                wide[k:] |= filled[:-k]
                wide[:-k] |= filled[k:]
            out[top:bottom, lo:hi][:, wide] = 0.0


@dataclass
class Writing:
    """The line of writing found in an ink map: the map straightened and cleaned, its pieces in order."""

    ink: np.ndarray  # (H, W) the ink map, straightened, with any line through the number taken out
    angle: float  # degrees it was turned by (Image.rotate's sense, expand=True), 0 if it was not
    labels: np.ndarray  # (H, W) piece numbers, 0 for paper
    pieces: list[Piece]  # the pieces of the number, left to right (specks and other lines of writing left out)
    height: float  # the writing's height: the median height of its substantial pieces
    line_removed: bool
    other_lines: int = 0  # lines of writing above or below it, left out
    middle: float = 0.0  # the row through the middle of the number's line
    line_height: float = 0.0  # the median height of its substantial pieces, before they were grouped into digits
    dashes: tuple[Piece, ...] = ()  # thin dashes left out: between digits ("555-1234") or what is left of a line
    rules_removed: bool = False  # rules across the writing taken out (a notebook's margin, squared paper)
    lined: bool = False  # a lined page's rules along the writing taken out (no rules across it)
    ring_removed: bool = False  # a ring or box drawn round the number taken out (rings.find_box_round, find_ring)
    empty_boxes: int = 0  # boxes with nothing written in them, left out (rings.empty_boxes)
    line_ink: np.ndarray | None = None  # (H, W) the ink taken out with a line through or under the number
    # Set by marks.set_apart:
    slash_like: frozenset[int] = frozenset()  # pieces that may be a slash ("12/05") as well as a 1
    marks_left_out: int = 0  # full stops, commas, colons, dashes, slashes, brackets and plus signs between digits
    # Set by printed.without_small_print:
    print_left_out: int = 0  # printed labels beside, over or under the number left out ("Tel." before it)


def find_writing(ink: np.ndarray, passed: int = 0) -> Writing:
    """Take out rules across the writing, straighten the line of writing, take out a line through it, and find its
    pieces. Where the picture holds several lines of writing, the one with the most ink is read, and the others
    are counted; `passed` lines with the most ink are passed over, and the next one read (the reader's next line,
    where the first was words)."""
    ink, rules_removed = remove_rules_across(ink)
    labels, pieces = strong_pieces(ink)
    # A box's straight sides go only as thick as they are, so the digits touching them keep their strokes; a ring
    # goes by its outermost runs.
    ring, boxed = None, rings.find_box_round(labels, pieces)
    if boxed is not None:
        ink = rings.without_box(ink, labels, *boxed)
    else:
        ring = rings.find_ring(labels, pieces)
        if ring is not None:
            ink = rings.without_ring(ink, labels, ring)
    ringed = ring is not None or boxed is not None
    if ringed:
        labels, pieces = strong_pieces(ink)
    empty = rings.empty_boxes(labels, pieces)
    if empty:
        ink = ink * ~with_rims(np.isin(labels, [b.index for b in empty]))
        labels, pieces = strong_pieces(ink)
    lines = lines_of_writing(pieces)
    if passed:
        if passed >= len(lines):
            return Writing(ink, 0.0, labels, [], 0.0, False, rules_removed=rules_removed,
                           ring_removed=ringed, empty_boxes=len(empty))
        lines = lines_of_writing(pieces, prefer=_ink_of(labels, np.isin(labels, [p.index for p in lines[passed]])))
    angle = estimate_skew(ink, labels, pieces)
    if len(lines) > 1:
        # A steeply tilted number's digits share too few rows to be grouped as one line until it is levelled (a
        # short one's by a line through its few digits' middles); two real lines stay two when turned.
        tilt = _tilted_line(pieces, angle)
        if tilt and _one_line_when_level(ink, tilt):
            angle = tilt
        else:  # fitted through two lines' digits at once, the slope is the step from one line to the other
            near = _along_line(pieces, lines[0])
            angle = estimate_skew(ink * np.isin(labels, [p.index for p in near]), labels, near)
    if abs(angle) >= STRAIGHTEN_FROM_DEGREES:
        ink = straighten(ink, angle)
    else:
        angle = 0.0
    lined = not rules_removed and _lined(ink)
    before = ink
    if rules_removed or lined:
        # Ruled paper: the rules along the writing are as pale as those across, and stretch its rows. Its rules
        # across are gone already (or it has none), so a column filled between two rules is a digit's stroke, not a
        # form's divider.
        # A blank lined page leaves no writing to measure: its rules from edge to edge go all the same.
        height = _height_between_rules(ink) or (BLANK_PAGE_HEIGHT * ink.shape[0] if lined else None)
        ink, line_removed = remove_lines(ink, height=height, rules=True)
        lined = lined and line_removed
    else:
        ink, line_removed = remove_lines(ink)
    line_ink = np.clip(before - ink, 0.0, 1.0) if line_removed else None
    if angle or line_removed:
        # The line levelled is the line read: turned, another line (print over the number, its letters joined by
        # the turn's smoothing) may come to hold more ink.
        read = np.isin(labels, [p.index for p in lines[0]]) if lines else np.zeros(labels.shape, bool)
        if angle:
            read = straighten(read.astype(np.float32), angle) >= 0.5
        labels, pieces = strong_pieces(ink)
        lines = lines_of_writing(pieces, prefer=_ink_of(labels, read))
    if not pieces:
        return Writing(ink, angle, labels, [], 0.0, line_removed, rules_removed=rules_removed, lined=lined,
                       ring_removed=ringed, empty_boxes=len(empty))
    # The number's line: where its substantial pieces' middles lie, a height either way.
    height, middle = line_measures(lines[0] if lines else pieces, max(p.area for p in pieces))
    # Another line's pieces, and marks nearer another line than this one, are that line's.
    others = {p.index for line in lines[1:] for p in line}
    other_middles = [float(np.average([p.cy for p in line], weights=[p.area for p in line])) for line in lines[1:]]
    kept, dashes = [], []
    for p in pieces:
        if p.y1 < middle - height or p.y0 > middle + height:
            continue  # another line of writing, or a mark far from the number
        if p.index in others or any(abs(p.cy - m) < abs(p.cy - middle) for m in other_middles):
            continue
        if max(p.width, p.height) < 0.12 * height and p.area < 0.02 * height * height:
            continue  # a speck
        if p.width >= 3 * p.height and p.height <= DASH_THICK * height:
            dashes.append(p)  # what is left of a line, a dash between digits, or a 7's bar or 5's flag
            continue
        kept.append(p)
    capping = [d for d in dashes if _caps_a_digit(d, kept, height)]
    kept = sorted(kept + capping, key=lambda p: (p.x0 + p.x1) / 2)
    return Writing(ink, angle, labels, kept, digit_height(kept, height), line_removed, max(len(lines) - 1, 0),
                   middle, height, tuple(d for d in dashes if d not in capping), rules_removed=rules_removed,
                   lined=lined, ring_removed=ringed, empty_boxes=len(empty), line_ink=line_ink)


def one_digit(ink: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A picture given as one digit (preprocess.normalize_gray): its ink with what `find_writing` takes out of a
    number's picture taken out of it too (a ring or box drawn round it, a line under or through it, a form's box),
    and notes saying what went. The ink as it was, and no notes, where nothing was taken out: a plain digit is
    read exactly as before, and turned only where something drawn round it was."""
    if min(ink.shape) < ONE_DIGIT_SMALLEST:
        return ink, []
    w = find_writing(ink)
    if w.empty_boxes and not w.pieces:
        raise NoInkError("No digit found: the box is empty, with nothing written in it.")
    lines_out = w.line_removed or w.rules_removed or w.lined
    notes = []
    if w.ring_removed:
        notes.append("a ring or box round the digit taken out")
    if w.empty_boxes:
        notes.append("an empty box beside the digit left out")
    if lines_out:
        notes.append("a line under, through or round the digit taken out (a form's box)")
    underlines = [d for d in w.dashes if d.width >= 0.5 * w.height]  # a dash as long as half a digit or more
    if underlines and not w.line_removed:
        notes.append("a line under the digit left out")
    if not notes or not w.pieces:
        return ink, []
    # What is left must still be the digit, as tall as the tallest piece that held no other (a ring or a box does):
    # a thin 1 beside a full stop, the writing measured on both, was seen to go in part as a line.
    labels, pieces = strong_pieces(ink)
    boxes = rings.empty_boxes(labels, pieces)
    if w.ring_removed and (boxed := rings.find_box_round(labels, pieces)) is not None:
        boxes.append(boxed[0])  # a box the digit touched: one piece with it, and taller
    pieces = _substantial([p for p in pieces if p not in boxes])
    before = [p for p in pieces if not any(q is not p and p.x0 <= q.x0 and q.x1 <= p.x1 and p.y0 <= q.y0
                                           and q.y1 <= p.y1 for q in pieces)]
    kept_height = max(p.y1 for p in w.pieces) - min(p.y0 for p in w.pieces)
    if before and kept_height < ONE_DIGIT_KEPT * max(p.height for p in before):
        return ink, []
    keep = with_rims(np.isin(w.labels, [p.index for p in w.pieces]))
    if lines_out and not w.ring_removed:
        # A line under or through a digit, or a form's box, reaches past it on both sides; a digit's own stroke
        # taken for a line (a 6's long top, a 1's slope, a 7's bar) does not.
        removed = ((straighten(ink, w.angle) if w.angle else ink) > INK_LEVEL) & ~keep
        cols = np.flatnonzero(removed.any(axis=0))
        reach = ONE_DIGIT_LINE_REACH * kept_height
        left, right = min(p.x0 for p in w.pieces), max(p.x1 for p in w.pieces)
        if not len(cols) or cols.min() > left - reach or cols.max() < right + reach:
            return ink, []
    if w.angle:
        notes.append(f"the digit was turned by {abs(w.angle):.0f}°: straightened")
    return (w.ink * keep).astype(np.float32), notes


def with_rims(mask: np.ndarray) -> np.ndarray:
    """A mask of pieces and one pixel round them: the soft rims of the strokes belong to them."""
    return grown(mask.astype(bool), 1)


def line_measures(line: list[Piece], biggest: float) -> tuple[float, float]:
    """A line of writing's height and middle row: the median height of its substantial pieces (those holding 15 %
    of the `biggest` piece's ink or more; all of them if none does), and their middles weighted by ink."""
    substantial = [p for p in line if p.area >= 0.15 * biggest] or line
    height = float(np.median([p.height for p in substantial]))
    return height, float(np.average([p.cy for p in substantial], weights=[p.area for p in substantial]))


def _one_line_when_level(ink: np.ndarray, angle: float) -> bool:
    """Whether the ink's pieces, turned by `angle`, form one line of writing."""
    return len(lines_of_writing(strong_pieces(straighten(ink, angle))[1])) == 1


def _tilted_line(pieces: list[Piece], angle: float) -> float:
    """For pieces that fall into several lines of writing: the angle of a steeply tilted line they may be (the
    fit through every piece, else a line through two or more substantial digit-like pieces' middles, however
    few), or 0. Only worth trying where turning the pieces can confirm it."""
    big = _substantial([p for p in pieces if p.width < 3 * p.height])
    tallest = max((p.height for p in big), default=0)
    big = [p for p in big if p.height >= 0.5 * tallest]  # not a comma or a full stop
    if len(big) < 2 or any(horizontal_overlap(a, b) > 0.5 for i, a in enumerate(big) for b in big[i + 1:]):
        return 0.0  # one over another: lines of writing, which no tilt joins
    if abs(angle) < STEEP_FROM_DEGREES:
        angle = _middles_angle(big, certain=False)
    return angle if abs(angle) >= STEEP_FROM_DEGREES else 0.0


def digit_height(pieces: list[Piece], line_height: float) -> float:
    """The writing's height: a digit broken into pieces is as tall as its pieces together, so the grouped units
    are measured (the tall ones: not a 7's bar lifted off)."""
    if not pieces:
        return line_height
    units, _ = group_pieces(pieces, line_height)
    tallest = max(u.height for u in units)
    return float(np.median([u.height for u in units if u.height >= 0.5 * tallest]))


def top_and_baseline(digits: list[Piece]) -> tuple[float, float]:
    """Where the digits' tops and feet lie: the median of each, so that a tall or dropped digit moves neither."""
    return float(np.median([p.y0 for p in digits])), float(np.median([p.y1 for p in digits]))


def _ink_of(labels: np.ndarray, mask: np.ndarray):
    """A line's pixels under the mask: `lines_of_writing`'s `prefer` for the line the mask marks."""
    under = np.bincount(labels.ravel(), weights=mask.ravel().astype(np.float64), minlength=int(labels.max()) + 1)
    return lambda line: float(sum(under[p.index] for p in line))


def lines_of_writing(pieces: list[Piece], prefer=None) -> list[list[Piece]]:
    """The substantial pieces grouped into lines of writing, the line with the most ink first (or the one `prefer`,
    a function of a line's pieces, gives most, where it gives any more than the others). Two pieces are on
    one line when they share half the rows of the shorter and stand within a few heights of each other:
    neighbours link a tilted line from end to end. Marks less tall than OTHER_LINE_HEIGHT of the writing and
    within MARK_REACH of its rows, or closer than LINE_GAP over or under its pieces, are the first line's own. A
    thin rule is left out: it would join the lines it runs between."""
    if not pieces:
        return []
    biggest = max(p.area for p in pieces)
    tall = np.median([p.height for p in pieces if p.area >= 0.15 * biggest])
    # Thin strokes (a 1, a 0 in ballpoint) hold little ink but are as tall as the writing, and link its digits.
    big = [p for p in pieces if (p.area >= 0.15 * biggest or p.height >= 0.5 * tall)
           and (p.height >= 0.3 * tall or p.width < 3 * p.height)]
    # The pairs below grow with the square: a grainy picture's specks are no writing to group.
    big = sorted(big, key=lambda p: -p.area)[:MAX_LINE_PIECES]
    if not big:
        return []
    y0, y1, x0, x1 = (np.array([getattr(p, k) for p in big]) for k in ("y0", "y1", "x0", "x1"))
    h = y1 - y0
    shared = np.minimum(y1[:, None], y1[None, :]) - np.maximum(y0[:, None], y0[None, :])
    gap = np.maximum(x0[:, None], x0[None, :]) - np.minimum(x1[:, None], x1[None, :])
    linked = (shared >= 0.5 * np.minimum(h[:, None], h[None, :])) & (gap <= 3 * np.maximum(h[:, None], h[None, :]))
    group = list(range(len(big)))

    def root(i: int) -> int:
        while group[i] != i:
            group[i] = group[group[i]]
            i = group[i]
        return i

    for i, j in zip(*np.nonzero(np.triu(linked, 1))):
        group[root(int(j))] = root(int(i))
    lines: dict[int, list[Piece]] = {}
    for i, p in enumerate(big):
        lines.setdefault(root(i), []).append(p)
    ranked = sorted(lines.values(), key=lambda line: -sum(p.area for p in line))
    if prefer is not None:
        ranked.sort(key=lambda line: -prefer(line))  # stable: equals stay in order of their ink
    main = list(ranked[0])
    tall = np.median([p.height for p in main])
    top, bottom = min(p.y0 for p in main), max(p.y1 for p in main)
    others = []
    for line in ranked[1:]:
        # Marks just over or under the line's pieces are theirs: a digit's top broken off by a lifted pen.
        near = any(horizontal_overlap(p, q) > 0 and max(p.y0, q.y0) - min(p.y1, q.y1) < LINE_GAP * tall
                   for p in line for q in ranked[0])
        # Small marks are the number's too, but only beside its rows: a form's printed label over the number is
        # as small, and taken for its marks, it stretched the writing's rows and narrowed its height to the
        # print's, and every digit but the tallest was dropped ("Telephone number:" over "90479" read as "0").
        clear = max(min(p.y0 for p in line) - bottom, top - max(p.y1 for p in line))
        if near or (max(p.height for p in line) < OTHER_LINE_HEIGHT * tall and clear < MARK_REACH * tall):
            main += line
        else:
            others.append(line)
    return [main] + others


def _along_line(pieces: list[Piece], line: list[Piece]) -> list[Piece]:
    """The line's pieces, and any long thin piece along it (a rule under or through it, which levels it best)."""
    top, bottom = min(p.y0 for p in line), max(p.y1 for p in line)
    left, right = min(p.x0 for p in line), max(p.x1 for p in line)
    ids = {p.index for p in line}
    return [p for p in pieces if p.index in ids or (p.width >= 3 * p.height and top <= p.cy <= bottom
                                                      and p.x0 < right and p.x1 > left)]


def _caps_a_digit(dash: Piece, pieces: list[Piece], height: float) -> bool:
    """A dash at the top of a digit's piece, over it or touching it, is that digit's stroke lifted off: a 7's
    bar or a 5's flag drawn apart (thin pens break them off). What is left of a line lies lower down, and a
    dash between digits ("555-1234") stands at mid-height."""
    return any(dash.cy < p.y0 + 0.3 * p.height and dash.y0 < p.y1 and p.height > 2 * dash.height
               and (horizontal_overlap(dash, p) > 0 or min(abs(dash.x0 - p.x1), abs(p.x0 - dash.x1)) < 0.15 * height)
               for p in pieces)


def horizontal_overlap(a: Piece, b: Piece) -> float:
    """How much two pieces share of their columns, as a fraction of the narrower one's width."""
    shared = min(a.x1, b.x1) - max(a.x0, b.x0)
    return max(shared, 0) / max(min(a.width, b.width), 1)


@dataclass
class Unit:
    """Pieces that certainly belong to one digit (a 5's flag over its body, a 4 drawn in two strokes)."""

    pieces: list[Piece]

    @property
    def x0(self) -> int:
        return min(p.x0 for p in self.pieces)

    @property
    def x1(self) -> int:
        return max(p.x1 for p in self.pieces)

    @property
    def y0(self) -> int:
        return min(p.y0 for p in self.pieces)

    @property
    def y1(self) -> int:
        return max(p.y1 for p in self.pieces)

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


CERTAIN_OVERLAP = 0.6  # pieces sharing this much of their columns are one digit
# Two pieces this many writing heights apart or closer may be one digit that a line taken out left in two, where
# one is shorter than HALF_ACROSS heights, together they are as tall, and the line ran across the gap between them.
ACROSS_LINE = 0.6
HALF_ACROSS = 0.8
UNSURE_OVERLAP = 0.1  # pieces sharing less than this are two digits, unless one is small and close:
SMALL_PIECE = 0.6  # under this many writing heights tall (a 5's flag, a 4's arm broken off) ...
SMALL_GAP = 0.15  # ... and this many heights from its neighbour or closer
FRAGMENT_GAP = 0.3  # ... or, wider than tall, this many from the nearer of its neighbours (a thin pen's breaks)


def group_pieces(pieces: list[Piece], height: float, line_ink: np.ndarray | None = None
                 ) -> tuple[list[Unit], list[bool]]:
    """Pieces in left-to-right order -> units, and for each pair of neighbouring units whether they might be one
    digit after all (for the model to judge). A piece sharing most of its columns with its neighbour is part of
    it; one sharing few, or a small piece close by (a 5's flag drawn apart, the foot of a 1), may or may not be."""
    units: list[Unit] = []
    for p in pieces:
        if units and any(horizontal_overlap(p, q) >= CERTAIN_OVERLAP for q in units[-1].pieces):
            units[-1].pieces.append(p)
        else:
            units.append(Unit([p]))
    unsure = []
    for a, b in zip(units, units[1:]):
        overlap = max(horizontal_overlap(p, q) for p in a.pieces for q in b.pieces)
        gap = b.x0 - a.x1
        small = min(a.height, b.height) < SMALL_PIECE * height
        unsure.append(overlap >= UNSURE_OVERLAP or (small and gap < SMALL_GAP * height)
                      or (gap < ACROSS_LINE * height and _halves_across_line(line_ink, a, b, height)))
    # A small piece wider than tall may lie further from its digit (a 5's flag or an 8's loop that a thin pen left
    # apart): it is offered joined to its nearer neighbour, the one it most likely belongs to. Upright, it may be a
    # 1 of its own (what a box's side left of a 1 against it).
    for i, u in enumerate(units):
        if u.height >= SMALL_PIECE * height or u.width < u.height:
            continue
        gaps = [(units[j].x0 - u.x1 if j > i else u.x0 - units[j].x1, min(i, j))
                for j in (i - 1, i + 1) if 0 <= j < len(units)]
        if gaps:
            gap, link = min(gaps)
            if gap < FRAGMENT_GAP * height:
                unsure[link] = True
    return units, unsure


def _halves_across_line(line_ink: np.ndarray | None, a: Unit, b: Unit, height: float) -> bool:
    """Whether two units may be the halves of one digit that a line taken out left in two (a 4's bar drawn along
    the line went with it, and left its arm and its stem): one short of the writing's height, the two together as
    tall, and the line across the gap between them."""
    if line_ink is None or min(a.height, b.height) >= HALF_ACROSS * height:
        return False
    if max(a.y1, b.y1) - min(a.y0, b.y0) < HALF_ACROSS * height:
        return False
    if b.x0 <= a.x1:  # no gap between them for the line to cross
        return True
    reach = int(0.1 * height)  # the line's own rows lie just past a piece it cut short
    rows = slice(max(min(a.y0, b.y0) - reach, 0), max(a.y1, b.y1) + reach)
    gap = line_ink[rows, a.x1:b.x0] > INK_LEVEL
    return gap.size > 0 and bool(gap.any(axis=0).mean() > 0.8)  # a gap or two in the line: its noise


def cut_paths(ink: np.ndarray, x0: int, x1: int, y0: int, y1: int, centres: list[float],
              reach: float) -> list[np.ndarray]:
    """For each guessed cut column, the top-to-bottom path through the box that crosses the least ink, within
    `reach` columns of the guess (dynamic programming; each row's step moves at most one column). A path is
    the column of the cut in each row y0..y1-1, in the ink map's columns."""
    box = ink[y0:y1, x0:x1]
    h, w = box.shape
    paths: list[np.ndarray | None] = [None] * len(centres)
    windows = []  # (index, lo, hi): each guess's columns of the box
    for i, centre in enumerate(centres):
        lo = int(max(round(centre - reach - x0), 1))
        hi = int(min(round(centre + reach - x0) + 1, w - 1))
        if hi - lo < 1:
            paths[i] = np.full(h, int(round(centre)))
        else:
            windows.append((i, lo, hi))
    if not windows:
        return paths
    # All guesses at once, row by row: each window padded to the widest with columns no path may enter.
    width = max(hi - lo for _, lo, hi in windows)
    cost = np.full((len(windows), h, width), np.inf)
    for k, (i, lo, hi) in enumerate(windows):
        # Crossing a pixel of ink costs its value; straying from the guess costs a little, so that among cuts
        # through equally little ink the straight one wins.
        cost[k, :, :hi - lo] = box[:, lo:hi] + 0.02 * np.abs(np.arange(lo, hi) - (centres[i] - x0))[None, :]
    acc = cost[:, 0].copy()
    back = np.zeros((h, len(windows), width), np.int8)
    edge = np.full((len(windows), 1), np.inf)
    for r in range(1, h):
        stacked = np.stack([np.concatenate([edge, acc[:, :-1]], axis=1), acc,
                            np.concatenate([acc[:, 1:], edge], axis=1)])
        step = np.argmin(stacked, axis=0)
        back[r] = step - 1
        acc = np.take_along_axis(stacked, step[None], axis=0)[0] + cost[:, r]
    for k, (i, lo, _) in enumerate(windows):
        col = int(np.argmin(acc[k]))
        path = np.empty(h, np.int64)
        for r in range(h - 1, -1, -1):
            path[r] = col
            col = col + int(back[r, k, col]) if r > 0 else col  # int8 + int stays int8: past 127 it overflowed
        paths[i] = path + lo + x0
    return paths


def path_cost(ink: np.ndarray, path: np.ndarray, y0: int) -> float:
    """The ink a cut path crosses."""
    return float(ink[np.arange(y0, y0 + len(path)), path].sum())


def valley_guesses(ink: np.ndarray, x0: int, x1: int, y0: int, y1: int, height: float, parts: int,
                   margin: float = 0.2, valleys: int = 4) -> list[float]:
    """Where to try cutting a piece into `parts` digits: even spacing, and the `valleys` columns where least ink
    stands (digits touch where they thin out), keeping `margin` writing heights clear of the piece's ends."""
    width = x1 - x0
    guesses = [x0 + width * j / parts for j in range(1, parts)]
    profile = ink[y0:y1, x0:x1].sum(axis=0)
    margin = int(max(margin * height, 2))
    if width > 2 * margin + 2:
        inner = profile[margin: width - margin]
        smooth = np.convolve(inner, np.ones(3) / 3, mode="same")
        minima = [i for i in range(1, len(smooth) - 1) if smooth[i] <= smooth[i - 1] and smooth[i] < smooth[i + 1]]
        minima.sort(key=lambda i: smooth[i])
        guesses += [x0 + margin + i for i in minima[:valleys]]
    return sorted(set(round(g, 1) for g in guesses))
