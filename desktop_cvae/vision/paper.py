"""What paper does to a picture of ink, and how each is undone: uneven light, printed lines, a hand's shadow,
sensor noise, and a broad dark area that is the desk or a shadow rather than strokes. Each function here is
one tool of a step of normalisation (module preprocess)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .pixels import otsu, percentiles, stroke_width

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
    inside = ink[mask]
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
