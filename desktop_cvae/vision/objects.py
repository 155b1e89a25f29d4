"""Things lying on the page that are not writing: a pen beside the number, a fingertip holding the page. Each is
far thicker than the strokes written with the pen, and longer or larger than the digits."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from .components import label_pieces
from .pixels import convex_fill, grown, stroke_width

THICKER = 2.5  # an object is at least this many times as thick as the writing's strokes ...
BOLD = 0.3  # ... and as thick as this share of the writing's pieces are long (a bold digit's strokes: 0.1-0.16)
AS_TALL = 0.7  # the writing compared with: two or more pieces at least this share of the tallest one's height
LONGER = 2.5  # ... and this many times as long as them (a pen), or as large as this many squares of it (a finger)
# ... or, where it runs off the picture (a fingertip holding the page, a pen's end), as long as them: the frame shows
# only part of it
AT_FRAME_LONGER = 1.0
ACROSS_BOLD = 0.5  # ... or half as thick, where it runs across the whole picture from edge to edge: a grey pen,
# split by its highlight, leaves halves a quarter of a digit's height thick, and no digit crosses the picture
SMALLEST = 0.015  # of the picture's long side: pieces shorter than this are specks, neither writing nor objects
WRITING_LONG = 3.0  # a piece of writing is at least this many times as long as its strokes are thick
CLOSE = 2  # pixels: holes and notches this narrow in a piece are noise, not the gaps between strokes
HOLE_THIN = 4  # a hole this many times as long as it is wide is no digit's loop: a pen's highlight
INSIDE = 0.2  # ink: strokes this much darker than most of a dark area are writing in it, not part of a thing
AGAINST = 0.5  # of a piece's ink within an object's thickness of it: the piece lies against the object
GUARD = 2  # pixels: an object's soft rim, left out with it
ONE_BODY = 0.55  # an object's ink fills at least this share of its convex hull: one solid body (pens, fingertips
# and a desk's corner 0.75-0.99), not a chain of touching digits (0.18-0.38)
SHADE = 0.5  # what lies against a thing left out and is fainter than this share of the writing's strong ink is its
# shadow or rim (a pen's shadow 0.2-0.3, its highlight's rim 0.4; strokes reach full ink)


def objects_on_the_page(ink: np.ndarray, mask: np.ndarray) -> np.ndarray | None:
    """Where the mask holds things lying on the page (a pen, a fingertip) beside writing, or None if it holds none.

    A piece is an object where, against the writing beside it (two or more writing-like pieces that do not lie
    against it: AGAINST), it is THICKER times as thick as the writing's strokes, as thick as BOLD of the writing's
    height, and LONGER times as long as its tallest piece, or as large as LONGER squares of that (where it runs off
    the picture, AT_FRAME_LONGER times as long: a fingertip holding the page, a pen's end; where it runs across the
    whole picture, ACROSS_BOLD as bold). A pen is as thick as a digit is tall, or half that; a digit's strokes,
    however bold, are a sixth of its height at most, and a chain of touching digits is long but no thicker than its
    strokes. A piece lying against an object, as thick and as large, is part of it: a pen's highlight splits it in
    two along its length. A picture without writing beside the object has nothing to compare it with, and is read
    as before. Nor is a dark area with darker strokes inside it (a shadow with writing in it): a pen or a finger is
    of one tone, give or take INSIDE. Nor a tangle of strokes: an object fills ONE_BODY of its convex hull or
    more."""
    labels, pieces = label_pieces(mask)
    shortest = SMALLEST * max(mask.shape)
    sized = [p for p in pieces if max(p.width, p.height) >= shortest]
    if len(sized) < 3:
        return None
    # Thickness is measured plainly first (2 * area / boundary); a large piece, the only kind that can be an
    # object, is measured again with its holes closed (_solid).
    widths = np.array([stroke_width(labels[p.y0:p.y1, p.x0:p.x1] == p.index) for p in sized])
    lengths = np.array([max(p.width, p.height) for p in sized], np.float64)
    heights = np.array([p.height for p in sized], np.float64)
    areas = np.array([p.area for p in sized], np.float64)
    # Writing: pieces longer than their strokes are thick, but no straight rule (a ruled page's, or a line under).
    writing = (lengths >= WRITING_LONG * widths) & (np.array([min(p.width, p.height) for p in sized]) >= 2 * widths)
    h, w = mask.shape
    at_frame = np.array([(p.y0 == 0, p.y1 == h, p.x0 == 0, p.x1 == w) for p in sized])
    # Large and, even measured plainly, thicker than most: a ruled page's long rules need no second look. Or, cut
    # off by the frame, far thicker than most.
    candidates = np.flatnonzero((((lengths >= LONGER * np.median(lengths)) | (areas >= LONGER ** 2 * np.median(areas)))
                                 & (widths >= 1.5 * np.median(widths)))
                                | (at_frame.any(axis=1) & (widths >= THICKER * np.median(widths))))
    if not len(candidates):
        return None
    for i in candidates:
        p = sized[i]
        widths[i] = stroke_width(_solid(labels[p.y0:p.y1, p.x0:p.x1] == p.index, tuple(at_frame[i])))

    labels_count = int(labels.max()) + 1

    def beside(i: int) -> np.ndarray:
        """The pieces that do not lie against piece i: none of their ink within half its thickness of it (its
        other half past a highlight), and under AGAINST of it within its whole thickness (its shadow; a digit
        written just under it has only its top there)."""
        p, reach = sized[i], int(np.ceil(widths[i])) + 2 * GUARD
        y0, y1, x0, x1 = max(p.y0 - reach, 0), min(p.y1 + reach, h), max(p.x0 - reach, 0), min(p.x1 + reach, w)
        window = labels[y0:y1, x0:x1]
        own = window == p.index
        touching = np.bincount(window[grown(own, int(np.ceil(widths[i] / 2)) + 2 * GUARD)], minlength=labels_count)
        near = np.bincount(window[grown(own, reach)], minlength=labels_count)
        return np.array([touching[q.index] == 0 and near[q.index] < AGAINST * q.area for q in sized])

    def thick_and_large(i: int, others: np.ndarray, thicker: float = THICKER, bold: float = BOLD) -> bool:
        if (at_frame[i, 0] and at_frame[i, 1]) or (at_frame[i, 2] and at_frame[i, 3]):
            bold *= ACROSS_BOLD  # across the whole picture: a slim pen, its halves either side of a highlight
        if others.sum() < 2:
            return False
        # The writing's strokes and height, each piece weighing by its ink: a broken stroke's fragments and a
        # rule's stubs are many but small. A piece twice as thick as the strokes is not writing to compare with.
        stroke = _weighted_median(widths[others], areas[others])
        others = others & (widths <= 2 * stroke)
        # Digits: two or more pieces about as tall as the tallest (not the inner fragments of a tangle).
        others = others & (heights >= AS_TALL * heights[others].max()) if others.any() else others
        if others.sum() < 2:
            return False
        tall, tallest = _weighted_median(heights[others], areas[others]), float(lengths[others].max())
        large = lengths[i] >= (AT_FRAME_LONGER if at_frame[i].any() else LONGER) * tallest
        return (widths[i] >= thicker * stroke and widths[i] >= bold * tall
                and (large or areas[i] >= LONGER * tallest * tallest))

    def of_one_tone(i: int) -> bool:
        p = sized[i]
        tones = ink[p.y0:p.y1, p.x0:p.x1][labels[p.y0:p.y1, p.x0:p.x1] == p.index]
        return float(np.percentile(tones, 98) - np.median(tones)) < INSIDE

    found = np.zeros(len(sized), bool)
    for i in candidates:
        # A chain of touching digits in a thin pen, against the specks its strokes shed on grainy paper (the only
        # writing beside it), is as thick and long as a pen: but a pen is one solid body.
        found[i] = (thick_and_large(i, writing & beside(i)) and of_one_tone(i)
                    and _hull_share(labels, sized[i]) >= ONE_BODY)
    if not found.any():
        return None
    # What lies against an object and is as large, if less thick, is the object's too (its halves either side
    # of a highlight).
    reach = int(np.ceil(widths[found].max()))
    near = grown(np.isin(labels, [sized[i].index for i in np.flatnonzero(found)]), reach)
    for i in candidates[~found[candidates]]:
        p = sized[i]
        touches = near[p.y0:p.y1, p.x0:p.x1][labels[p.y0:p.y1, p.x0:p.x1] == p.index].any()
        found[i] = (touches and thick_and_large(i, writing & ~found & beside(i), thicker=1.5, bold=BOLD / 2)
                    and of_one_tone(i))
    if found.all():
        return None
    return grown(np.isin(labels, [sized[i].index for i in np.flatnonzero(found)]), GUARD)


def its_shade(lying: np.ndarray, ink: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The pieces of the mask that lie against the things left out (`lying`) and are all fainter than SHADE of the
    writing's strong ink: their soft shadow and rims. Under the thing's darkness they stood below the threshold;
    measured without it, they stand out, a band across the picture that was read as the line of writing. A
    stroke that touches them is as strong as the writing, and keeps its piece."""
    labels, pieces = label_pieces(mask)
    out = np.zeros(mask.shape, bool)
    near = grown(lying, 2 * GUARD + 1)
    against = np.unique(labels[near & mask])
    writing = mask & ~np.isin(labels, against)
    if not len(against) or not writing.any():
        return out
    strong = float(np.percentile(ink[writing], 90))  # the writing's own: a broad shadow outweighs thin strokes
    for p in pieces:
        if p.index not in against:
            continue
        box = (slice(p.y0, p.y1), slice(p.x0, p.x1))
        own = labels[box] == p.index
        if float(np.percentile(ink[box][own], 98)) < SHADE * strong:
            out[box] |= own
    return out


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values)
    c = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(c, 0.5 * c[-1])])


def _solid(piece: np.ndarray, at_frame: tuple[bool, bool, bool, bool]) -> np.ndarray:
    """A piece with its pinholes and ragged rims closed, and its long thin holes filled: sensor noise at the
    threshold riddles a dark object with holes, and a pen's highlight runs inside it, whose edges would count as
    stroke edges. A digit's loops are rounder. at_frame: whether the piece reaches the picture's top, bottom,
    left and right edge; a highlight that runs off the picture there is a hole all the same."""
    side, pad = 2 * CLOSE + 1, CLOSE + 1
    img = Image.fromarray(np.pad(piece, pad).astype(np.uint8) * 255)
    closed = np.asarray(img.filter(ImageFilter.MaxFilter(side)).filter(ImageFilter.MinFilter(side))) > 0
    closed[pad:-pad, pad:-pad] |= piece
    top, bottom, left, right = at_frame
    closed[:pad], closed[-pad:], closed[:, :pad], closed[:, -pad:] = top, bottom, left, right
    gap_labels, gaps = label_pieces(~closed)
    margin = np.concatenate([gap_labels[0], gap_labels[-1], gap_labels[:, 0], gap_labels[:, -1]])
    outside = set(margin[margin > 0].tolist())
    thin = [g.index for g in gaps if g.index not in outside and g.area * HOLE_THIN <= max(g.width, g.height) ** 2]
    return (closed | np.isin(gap_labels, thin))[pad:-pad, pad:-pad]


def _hull_share(labels: np.ndarray, p) -> float:
    """The share of its convex hull that a piece's ink fills: a bar or a fingertip nearly all of it, a digit's
    strokes a fraction."""
    piece = labels[p.y0:p.y1, p.x0:p.x1] == p.index
    return float(piece.sum() / max(convex_fill(piece).sum(), 1))
