"""Finding the sheet, card or note in a photo of it lying on a desk, and undoing the turn it lay at."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .components import label_pieces
from .errors import NoInkError
from .paper import closing, writing_around
from .pixels import (
    convex_fill,
    otsu,
    percentiles,
    resize_long_side,
    stroke_width,
    turn_of,
)

# A sheet turned by less than this is read as it lies: people's digits slant that much anyway.
STRAIGHTEN_FROM_DEGREES = 10.0

# The smallest sheet looked for, as a share of the picture: a sticky note 35 % of the frame's height covers
# about 9 % of a 4:3 photo, an upright card that high in a landscape photo 6 %. Smaller bright pieces are strokes,
# reflections or the things on a desk.
SHEET_MIN_SHARE = 0.05
SHEET_STEP = 0.2  # the sheet at least this much brighter than its surround, on average (0-1 luminance): a card on a
# light desk, its digit's ink in the sheet's mean, was seen at 0.235. The lit part of a page half in a hard shadow,
# which is no sheet, reaches 0.20-0.23 too (benchmarks/imagegen.py's "shadow across"): the step cannot tell them apart
SHEET_MASK_SIDE = 128  # the sheet is looked for at this long side: a small card is still ~30 pixels tall

# The desk past a page's edges, where the page fills most of the frame (a page photographed at a slant, its
# edges converging, or lying turned): dark areas at the frame's edge, each at least DESK_MIN_SHARE of the
# picture, DESK_SOLID pixels thick at SHEET_MASK_SIDE or more (a pen's stroke there is 1-2 pixels, and a
# marker's 2-3), and along DESK_MIN_EDGE of the frame's shorter side or more (a stroke cut off by the frame
# touches it across its own width).
DESK_MIN_SHARE = 0.01
DESK_SOLID = 5
DESK_MIN_EDGE = 0.15
DESK_BROADER = 3.0  # times the writing's stroke width, at least


def desk_breadth(desk: np.ndarray) -> float:
    """How far a mask reaches in from the frame's edge on average: its area over the length of its boundary
    inside the frame (a wedge of desk along a side: half its widest; a stroke cut off by the frame: its width)."""
    m = desk.astype(np.int8)
    inside = np.abs(np.diff(m, axis=0)).sum() + np.abs(np.diff(m, axis=1)).sum()
    return float(m.sum()) / max(float(inside), 1.0)


def find_sheet(g: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int], tuple[int, int]] | None:
    """A photo of a sheet, card or note lying on something darker (a desk), anywhere in the frame: the sheet
    alone, its surround filled with the paper's level, cropped to it, the turn (degrees) by which it was
    straightened, or 0, where the crop's top left corner lies (x, y) in the picture as straightened, and that
    picture's size (w, h). None when the picture is not like that (the usual case: paper fills the frame, or
    light ink on a dark ground). Raises NoInkError for a sheet with nothing written on it.

    The sheet is the largest connected bright piece, if the frame's edge is mostly not bright: at least
    SHEET_MIN_SHARE of the picture, nearly solid once the ink inside it is filled in, and rectangular at some
    turn (it fills most of the rectangle around it; a small piece must fill more, since a blob of that size
    is likelier to be something else). A light digit on a dark ground fails these: a stroke is thin and
    small, a "0" or "8" is far from solid, and without dark ink inside there is nothing to read. A sheet
    turned by STRAIGHTEN_FROM_DEGREES or more is turned back first, and the digit written on it with it."""
    h, w = g.shape
    if min(h, w) < 32:
        return None
    small = resize_long_side(g, SHEET_MASK_SIDE)
    bright = small > otsu(small)
    border = np.concatenate([bright[0], bright[-1], bright[:, 0], bright[:, -1]])
    if border.mean() > 0.5:
        return None
    labels, pieces = label_pieces(bright)
    if not pieces:
        return None
    piece = max(pieces, key=lambda p: p.area)
    region = labels == piece.index
    # The sheet is convex: its hull takes in the ink on it, also where a stroke reaches its edge and makes a
    # notch rather than a hole. Its size is the hull's: bold writing can cover a quarter of a small card.
    filled = convex_fill(region)
    share = float(filled.mean())
    if share < SHEET_MIN_SHARE:
        return None
    if float(small[filled].mean() - small[~filled].mean()) < SHEET_STEP:
        return None  # no clear step from surround to sheet
    turn, extent = turn_of(filled)
    if extent < (0.6 if share >= 0.25 else 0.8):
        return None
    if writing_around(g, filled, sheet=True):
        return None  # the lit part of a page in a shadow, not a sheet on a desk (preprocess evens it out)
    # Bold writing can cover a fifth of a small card; only a clearly rectangular piece may be that hollow (a
    # chalk "0" filled in is an ellipse, which fills at most pi/4 of any rectangle round it).
    if region.sum() < (0.6 if extent >= 0.88 else 0.85) * filled.sum():
        return None
    if abs(turn) < STRAIGHTEN_FROM_DEGREES:
        turn = 0.0
    else:  # turn the picture and the sheet's mask back; the corners this uncovers are desk
        def upright(a, fill):
            return np.asarray(Image.fromarray(a, mode="F").rotate(
                -turn, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill), dtype=np.float32)

        g = upright(g, float(np.median(small[~filled])))
        filled = upright(filled.astype(np.float32), 0.0) > 0.5
        h, w = g.shape
    # Keep clear of the sheet's edge: paper curls and shades there, and the mask's edge can lie a pixel out.
    # Two pixels of the mask, or 3 % of the sheet's shorter side if that is more.
    inner = filled
    for _ in range(max(2, round(0.03 * min(piece.width, piece.height)))):
        padded = np.pad(inner, 1)  # the picture's own edge is an edge of the sheet too, where it is cut off
        inner = inner & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    inner = np.asarray(Image.fromarray(inner.astype(np.float32), mode="F").resize(
        (w, h), Image.Resampling.BILINEAR)) > 0.5
    if not inner.any():
        return None
    paper = percentiles(g[inner], (50,))[0]
    if float((g[inner] < paper - 0.2).mean()) < 0.001:
        if writing_around(g, filled):
            return None  # a blank part of a page in light, the writing in the shadow beside it
        if max(piece.width, piece.height) < 4 * min(piece.width, piece.height):
            # A solid bright rectangle, not a bar, is a sheet rather than a light stroke: a blank one.
            raise NoInkError("No ink found: the sheet in the picture is blank. Write a digit on it, darker "
                             "than the paper.")
        return None  # a light bar, not a sheet: read the picture as light ink on a dark ground
    rows, cols = np.nonzero(inner)
    out = np.where(inner, g, np.float32(paper))
    crop = out[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    return np.ascontiguousarray(crop), turn, (int(cols.min()), int(rows.min())), (w, h)


def desk_past_the_page(g: np.ndarray) -> tuple[np.ndarray, tuple[int, int]] | None:
    """A page filling most of the frame with the desk showing past its edges: the picture with the desk
    filled in with the paper's light (paper_light), cropped to the page, and where the crop's top left corner lies (x, y). None
    when no desk shows; when what looks like desk holds anything darker than itself (a shadow with writing in it,
    which preprocess.shadow_across evens out; a desk's grain, left as it was); or when it is not far broader
    than the strokes written beside it, or nothing is (a bold digit cut off by the frame)."""
    h, w = g.shape
    if min(h, w) < 32:
        return None
    small = resize_long_side(g, SHEET_MASK_SIDE)
    sh, sw = small.shape
    dark = small <= otsu(small)
    # The page itself must be most of the frame's edge; otherwise find_sheet looks for a sheet on a desk.
    border = np.concatenate([dark[0], dark[-1], dark[:, 0], dark[:, -1]])
    if border.mean() >= 0.5:
        return None
    # Solid: what is left of the dark after an opening DESK_SOLID wide (a stroke goes, the desk stays).
    solid = ~closing((~dark).astype(np.float32), DESK_SOLID).astype(bool)
    labels, pieces = label_pieces(solid)
    edge = np.zeros_like(solid)
    edge[0], edge[-1], edge[:, 0], edge[:, -1] = True, True, True, True
    on_edge = np.bincount(labels[edge], minlength=len(pieces) + 1)
    wide = [p.index for p in pieces
            if p.area >= DESK_MIN_SHARE * solid.size and on_edge[p.index] >= DESK_MIN_EDGE * min(sh, sw)]
    if not wide:
        return None
    # The whole of each dark area that holds such a solid part: a wedge of desk narrows to a sliver at its tip.
    dark_labels, _ = label_pieces(dark)
    desk = np.isin(dark_labels, np.unique(dark_labels[np.isin(labels, wide)]))
    if desk.mean() > 0.5:
        return None

    def at_full_size(mask: np.ndarray, cut: float) -> np.ndarray:
        return np.asarray(Image.fromarray(mask.astype(np.float32), mode="F").resize(
            (w, h), Image.Resampling.BILINEAR)) > cut

    grown = at_full_size(desk, 0.05)  # with the page's own shaded rim beside it, and the mask's edge a pixel out
    seen_desk = at_full_size(desk, 0.95)
    if not seen_desk.any():
        return None
    level = percentiles(g[seen_desk], (50,))[0]
    if np.count_nonzero(g[seen_desk] < level - 0.15) > max(20, 0.0005 * np.count_nonzero(seen_desk)):
        return None  # something drawn or lying there (a stroke reaching into a shadow): not bare desk
    page = ~grown
    paper = percentiles(g[page], (50,))[0]
    # Desk is far broader than the writing's strokes: a bold digit cut off by the frame (a 7's bar along the
    # top of a tight crop) is dark, solid and on the edge too, but no broader than the digit's other strokes.
    # The writing: the dark pieces at full size that do not reach into the desk.
    dark_full = g < paper - 0.15
    full_labels, _ = label_pieces(dark_full)
    in_desk = np.isin(full_labels, np.unique(full_labels[seen_desk & dark_full]))
    writing = dark_full & ~in_desk
    if writing.sum() < 20 or desk_breadth(in_desk) < DESK_BROADER * stroke_width(writing):
        return None
    rows, cols = np.nonzero(page)
    # Filled with the paper's light as it falls there (a lamp shades a page from one side), not one level: a
    # flat patch beside shaded paper is a step the later steps would read as ink.
    out = g.copy()
    out[grown] = paper_light(g, page & ~dark_full, grown)
    crop = out[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    return np.ascontiguousarray(crop), (int(cols.min()), int(rows.min()))


def paper_light(g: np.ndarray, paper: np.ndarray, where: np.ndarray) -> np.ndarray:
    """A quadratic surface fitted to the picture's paper pixels (a mask), at the pixels of `where` (a mask)."""
    h, w = g.shape
    rows, cols = np.nonzero(paper)
    step = max(1, len(rows) // 20_000)
    y, x = rows[::step] / h - 0.5, cols[::step] / w - 0.5

    def terms(y, x):
        return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=-1)

    coef, *_ = np.linalg.lstsq(terms(y, x), g[rows[::step], cols[::step]], rcond=None)
    yy, xx = np.nonzero(where)
    return (terms(yy / h - 0.5, xx / w - 0.5) @ coef).astype(np.float32)


def rotated_point_back(x: float, y: float, degrees: float, size_in: tuple[int, int],
                       size_out: tuple[int, int]) -> tuple[float, float]:
    """Where a point of `Image.rotate(degrees, expand=True)`'s output lies in its input. Sizes are (w, h).
    Pillow turns the picture counter-clockwise about its centre, as seen with y pointing down."""
    t = np.deg2rad(degrees)
    dx, dy = x - size_out[0] / 2, y - size_out[1] / 2
    return (size_in[0] / 2 + dx * np.cos(t) - dy * np.sin(t), size_in[1] / 2 + dx * np.sin(t) + dy * np.cos(t))
