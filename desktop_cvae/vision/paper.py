"""What paper does to a picture of ink, and how each is undone: uneven light, printed lines, a hand's shadow,
a shadow across the page, sensor noise, and a broad dark area that is the desk or a shadow rather than strokes.
Each function here is one tool of a step of normalisation (module preprocess)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .components import label_pieces
from .pixels import (
    convex_fill,
    gaussian_blur,
    otsu,
    percentiles,
    resize_long_side,
    stroke_width,
)

# A page partly in a hard-edged shadow (a hand's, the phone's, a lamp's) has two levels of paper, and writing on
# either. Strokes are looked for at WRITING_SIDE pixels, as what a closing over STROKE_WINDOW of the picture's
# long side (wider than a bold digit's strokes there) lifts off the level round them. The dim part holds writing
# where strokes nearly as dark against it as the lit part's strokes would be in its light (k c below paper dimmed
# to k, for ink of contrast c) cover at least WRITING_AROUND of what the lit part's cover; where the lit part holds
# none, strokes PEN_CONTRAST below the dim paper cover STROKES_SEEN of it. A desk round a sheet holds none.
WRITING_SIDE = 256
STROKE_WINDOW = 0.05
WRITING_AROUND = 0.25
STROKES_SEEN = 0.004  # fewer strokes than this share of a part is no writing: a desk's grain can match that
EDGE_BAND = 7  # pixels at WRITING_SIDE: strokes this near the edge between the parts are not judged
PEN_CONTRAST = 0.5  # a pen's ink is darker than that; a sheet's own shadow on the desk is paler
SHADOW_SHARE = (0.1, 0.9)  # each level covers at least this share of the picture
# A lamp's light falls off smoothly, and the smooth lighting fit follows it; a shadow's edge leaves the fit
# wrong, over a tenth of the picture, by more than this (a lamp: under 0.03; shadows dimming the paper to
# 45-60 %: 0.18 or more).
SHADOW_STEP = 0.08
GRAIN_SIGMA = 1.5  # pixels: a hand's shadow's two levels are judged smoothed this much (a stroke's grain is none)


def _running(a: np.ndarray, k: int, axis: int, op) -> np.ndarray:
    """op (np.maximum or np.minimum) over windows of k (odd) along an axis, centred, the edges repeated: by
    doubling, so a few array operations whatever k is."""
    def part(start, stop):
        return (slice(None),) * axis + (slice(start, stop),)

    r = np.pad(a, [(k // 2, k // 2) if ax == axis else (0, 0) for ax in range(a.ndim)], mode="edge")
    n, span = a.shape[axis], 1
    while 2 * span <= k:  # r[i] = op over span values from i, then over twice as many
        r = op(r[part(0, r.shape[axis] - span)], r[part(span, None)])
        span *= 2
    return op(r[part(0, n)], r[part(k - span, k - span + n)])


def widened(a: np.ndarray, k: int) -> np.ndarray:
    """The largest value over k x k windows (k odd): a mask grown by k // 2 pixels each way."""
    return _running(_running(a, k, 0, np.maximum), k, 1, np.maximum)


def closing(a: np.ndarray, k: int) -> np.ndarray:
    """The largest, then the least, value over k x k windows (k odd, edges repeated): on a luminance picture,
    dark strokes narrower than k filled with the level round them, broad areas (a shadow, a desk) kept."""
    for op in (np.maximum, np.minimum):
        a = _running(_running(a, k, 0, op), k, 1, op)
    return a


def _thumbnail(g: np.ndarray) -> tuple[np.ndarray, int]:
    """The picture at WRITING_SIDE at most, and the closing's window there (odd)."""
    small = resize_long_side(g, WRITING_SIDE) if max(g.shape) > WRITING_SIDE else g
    return small, max(3, round(STROKE_WINDOW * max(small.shape)) | 1)


def writing_around(g: np.ndarray, lit: np.ndarray, sheet: bool = False) -> bool:
    """Whether the dim part of a luminance picture (outside `lit`, a mask of any size) holds pen strokes: a page
    partly in shadow rather than a sheet on a desk. For a `sheet` (a bright piece like a sheet on a desk), strokes
    along its edge are not counted (its own shadow on the desk runs there), nor is a dim part judged by a pen's
    usual contrast where the lit part's strokes are too few to tell it by: a blank sheet on a grainy desk could pass."""
    small, k = _thumbnail(g)
    h, w = small.shape
    mask = np.asarray(Image.fromarray(lit.astype(np.float32), mode="F").resize((w, h), Image.Resampling.BILINEAR))
    # Each part a few pixels away from the edge between them (a soft shadow's edge, the mask's own error), a
    # sheet's surround well away from it.
    inside = widened(1.0 - mask, EDGE_BAND) < 0.5
    outside = widened(mask, 3 * k if sheet else EDGE_BAND) < 0.5
    if inside.sum() < 64 or outside.sum() < 64:
        return False
    paper, level = percentiles(small[inside], (50,))[0], percentiles(small[outside], (50,))[0]

    def lifted(k):  # what a closing lifts off each part, the other part filled with its own paper's level
        on_lit, on_dim = np.where(mask >= 0.5, small, paper), np.where(mask < 0.5, small, level)
        return np.where(mask >= 0.5, closing(on_lit, k) - on_lit, closing(on_dim, k) - on_dim)

    drop = lifted(k)
    strokes_in = inside & (drop > 0.2)  # as find_sheet's own test for ink on a sheet
    seen = strokes_in.sum() >= STROKES_SEEN * inside.sum()
    if not seen and sheet:
        return False
    if seen:
        # A window three times the strokes' width: a desk's grain and a sheet's shadow are thin too, and a
        # wider window makes them stand out more.
        k = min(k, max(3, round(3 * stroke_width(strokes_in)) | 1))
        drop = lifted(k)
        strokes_in = inside & (drop > 0.2)
        seen = strokes_in.any()
    least = 0.6 * percentiles(drop[strokes_in], (75,))[0] / max(paper, 1e-3) if seen else PEN_CONTRAST
    # Strokes stand out from the dim part's own texture too: a desk's grain lifts all of it, paper in shadow little.
    out = drop[outside]
    texture = 1.4826 * percentiles(np.abs(out - percentiles(out, (50,))[0]), (50,))[0]
    strokes_out = (out > max(least * level, 0.1, 6.0 * texture)).mean()
    return bool(strokes_out >= (WRITING_AROUND * strokes_in.sum() / inside.sum() if seen else STROKES_SEEN))


def even_out_shadow(g: np.ndarray) -> np.ndarray | None:
    """A luminance picture of a page partly in a hard-edged shadow, with the paper brought to one level (each
    pixel divided by the paper's level round it, a closing wider than the strokes), or None where there is no
    such shadow. The smooth lighting fit cannot follow the shadow's edge, and with the shadow over half the page
    even the ink's polarity and the paper's noise come out wrong."""
    if min(g.shape) < 32:
        return None  # an icon: too small to hold two levels of paper and writing
    small, k = _thumbnail(g)
    bright = small > otsu(small)
    lo, hi = SHADOW_SHARE
    if not bright.any() or bright.mean() > hi:
        return None  # paper and strokes: most pictures
    level = closing(small, k)  # the paper, strokes filled in
    if percentiles(np.abs((1.0 - level) - paper_level(1.0 - level)), (90,))[0] < SHADOW_STEP:
        return None  # a lamp's smooth fall-off, which even_lighting follows
    labels, pieces = label_pieces(bright)
    lit = convex_fill(labels == max(pieces, key=lambda p: p.area).index)
    if not lo <= float(lit.mean()) <= hi or not writing_around(g, lit):
        return None
    # At full size, the closing is three times as wide as the strokes (darker than the paper round them by 0.2).
    strokes = (level - small) > 0.2
    scale = max(g.shape) / max(small.shape)
    k_full = max(3, round(max(3 * stroke_width(strokes), 0.02 * max(small.shape)) * scale) | 1)
    paper = float(np.median(small[lit]))
    return np.clip(g / np.maximum(closing(g, k_full), 0.02) * paper, 0.0, 1.0).astype(np.float32)


def paper_level(ink: np.ndarray) -> np.ndarray | np.float32:
    """Smooth estimate of the paper's level under the ink (ink is high, paper low): a quadratic surface
    fitted to the paper pixels of a 32-pixel thumbnail, refitted after dropping what stands above it.
    A lamp's gradient or vignetting is smooth; strokes, however thick, are not part of the fit."""
    h, w = ink.shape
    scale = 32 / max(h, w)
    small = Image.fromarray(ink, mode="F").resize((max(round(w * scale), 1), max(round(h * scale), 1)),
                                                  Image.Resampling.BOX)
    v = np.asarray(small, np.float64).ravel()
    lo, hi = percentiles(v, (5, 60))
    if hi - lo < 0.01:  # flat paper (a canvas, a clean scan): the fit would find a constant
        return np.float32(percentiles(v[v <= hi], (50,))[0])  # a constant: no full-size array to build
    sh, sw = small.size[1], small.size[0]
    yy, xx = np.mgrid[-1:1:sh * 1j, -1:1:sw * 1j]
    basis = np.stack([np.ones_like(xx), xx, yy, xx * xx, yy * yy, xx * yy], axis=-1).reshape(-1, 6)
    paper = v <= hi  # paper is most of any picture of a digit
    coef = np.zeros(6)
    for _ in range(3):
        b = basis[paper]
        coef = np.linalg.solve(b.T @ b + 1e-6 * np.eye(6), b.T @ v[paper])  # normal equations: 6x6
        resid = v - basis @ coef
        spread = 1.4826 * np.median(np.abs(resid[paper])) + 1e-3
        paper = resid < max(2.5 * spread, 0.02)
    y = np.linspace(-1, 1, h, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, w, dtype=np.float32)[None, :]
    c = coef.astype(np.float32)
    return c[0] + c[1] * x + c[2] * y + c[3] * x * x + c[4] * y * y + c[5] * x * y


def remove_ruled_lines(ink: np.ndarray, faint: float) -> tuple[np.ndarray, bool]:
    """Printed lines of ruled or squared paper (and a notebook's margin line) out of the ink map.

    A line is a band of rows (or columns) at most 1 % of the picture thick in which ink crosses at least
    90 % of the picture: no stroke of a digit does both unless the picture is cropped to a sliver around it.
    Each band is replaced by the lesser of its two neighbouring rows, so a stroke that crosses the line
    (ink on both sides) survives and the paper around it does not."""
    found = False
    for axis in (0, 1):
        a = ink if axis == 0 else ink.T
        n = a.shape[0]
        row_level = np.median(a, axis=1)
        covered = (a > 0.5 * row_level[:, None]).mean(axis=1)
        is_line = (row_level > faint) & (covered >= 0.9)
        if not is_line.any():
            continue
        thickest = max(2, int(round(0.01 * n)))
        a = a.copy()
        start = None
        for i in range(n + 1):
            if i < n and is_line[i]:
                start = i if start is None else start
                continue
            if start is not None and i - start <= thickest and (start > 0 or i < n):
                before, after = a[start - 1] if start > 0 else a[i], a[i] if i < n else a[start - 1]
                a[start:i] = np.minimum(before, after)
                found = True
            start = None
        ink = a if axis == 0 else a.T
    return np.ascontiguousarray(ink), found


def lift_shadow(ink: np.ndarray, mask: np.ndarray, peak: float) -> np.ndarray | None:
    """The ink map with a hard-edged shadow (a hand's, the phone's) taken out, or None if there is none.

    More of the picture stands out from the paper than a digit's strokes cover, and it falls into two
    clear levels: the fainter one, a broad area (not the soft rims of strokes), is paper in shadow, whose
    edge is too abrupt for the smooth lighting fit. Under a shadow that dims the paper to k of its level,
    paper reads 1 - k in the ink map and ink of contrast c reads (1 - k) + k c, so (ink - s) / (1 - s)
    with s = 1 - k gives the contrast back. The shadow's region is found at 1/8 resolution, where a
    stroke inside it is a minority of its block."""
    # Two levels both as the pixels are and a little smoothed: chalk's or a soft pencil's grain makes each stroke
    # two levels pixel by pixel, its faint pixels spread across the whole stroke like a shadow's.
    shade = _shadow_level(ink, mask, peak)
    if shade is None or _shadow_level(gaussian_blur(ink, GRAIN_SIGMA), mask, None) is None:
        return None
    inside = ink[mask]
    faint = shade[mask]
    h, w = ink.shape

    def coarse(a: np.ndarray, step: int) -> np.ndarray:  # block means at 1/step, back to full size
        small = Image.fromarray(a.astype(np.float32), mode="F").resize(
            (max(w // step, 1), max(h // step, 1)), Image.Resampling.BOX)
        return np.asarray(small.resize((w, h), Image.Resampling.BILINEAR))

    region = coarse(shade, 8) > 0.1  # the shadow with the strokes in it, and its penumbra
    # The shadow's depth varies with the light across it: its level is measured locally (1/16 blocks).
    cover = coarse(shade, 16)
    level = np.where(cover > 0.05, coarse(np.where(shade, ink, 0), 16) / np.maximum(cover, 1e-6),
                     np.float32(percentiles(inside[faint], (50,))[0]))
    out = ink.copy()
    out[region] = (ink[region] - level[region]) / np.maximum(1.0 - level[region], np.float32(0.2))
    return np.clip(out, 0.0, None).astype(np.float32)


def _shadow_level(ink: np.ndarray, mask: np.ndarray, peak: float | None) -> np.ndarray | None:
    """The pixels of the fainter of two clear levels of what stands out, where that level is broad (paper in a
    shadow, not the soft rims of strokes); None where there is no such level."""
    inside = ink[mask]
    peak = max(float(inside.max()), 1e-6) if peak is None else peak
    split = otsu(inside / peak) * peak
    faint = inside <= split
    if faint.mean() < 0.5 and (~faint).sum() > 0:
        # The shadow's soft edge can be the fainter level and the shadow itself merged with the ink: split
        # again above it.
        above = inside[~faint]
        split = split + otsu((above - split) / max(peak - split, 1e-6)) * (peak - split)
        faint = inside <= split
    if faint.mean() < 0.5 or faint.all() or float(inside[faint].mean()) >= 0.75 * float(inside[~faint].mean()):
        return None
    shade = mask & (ink <= split)
    if stroke_width(shade) <= 1.5 * stroke_width(ink > split):
        return None
    return shade


def blocks_peak(ink: np.ndarray) -> float:
    """The strongest 2x2 block mean. Noise on blank paper has long tails pixel by pixel (8-bit steps,
    uneven downscaling: single pixels reach 8 sigma), but it averages away over a block; a stroke, at
    least two pixels wide, does not."""
    h, w = ink.shape
    small = Image.fromarray(ink.astype(np.float32), mode="F").resize((max(w // 2, 1), max(h // 2, 1)),
                                                                      Image.Resampling.BOX)
    return float(np.asarray(small).max())


def ink_threshold(ink: np.ndarray, peak: float, noise: float) -> float:
    """Where ink starts: Otsu's split, but never below a tenth of the darkest ink, nor into the paper's noise."""
    return max(otsu(ink / peak) * peak, 0.1 * peak, 0.06, 5.0 * noise)


def broad_area_at_edge(mask: np.ndarray) -> bool:
    """Whether what stands out lies along a side's length of the picture's edge in a broad area: a shadow
    with no digit under it (one with a digit is lifted by lift_shadow), or the desk round a sheet that
    was not found, but not strokes. Blank pages with a hand's shadow run along 30-33 % of the edge in one
    piece, 14-17 % of the picture's side across; digits keep clear of the edge (on 40 pictures of every
    imagegen kind, at most 0.1 % of it was ink), and close-ups whose bold strokes the frame cuts met it in
    pieces of at most 17 %."""
    h, w = mask.shape
    # The edge as one loop: top left to right, right side down, bottom right to left, left side up.
    loop = np.concatenate([mask[0], mask[1:, -1], mask[-1, -2::-1], mask[-2:0:-1, 0]])
    if loop.all():
        longest = len(loop)
    elif not loop.any():
        return False
    else:
        loop = np.roll(loop, -int(np.argmin(loop)))  # start on paper, so that no piece wraps round
        bounds = np.flatnonzero(np.diff(np.concatenate([[0], loop.astype(np.int8), [0]])))
        longest = int((bounds[1::2] - bounds[::2]).max())
    return longest > 0.25 * len(loop) and stroke_width(mask) > 0.1 * min(h, w)
