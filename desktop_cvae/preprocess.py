"""One normalisation for every input: people's images (canvas, photos, scans, screenshots) -> MNIST 28x28.

MNIST digits are light ink on black, the ink's bounding box fitted into 20x20 keeping aspect ratio
(anti-aliased), then placed in 28x28 with the centre of mass at the centre (LeCun et al.). We add what
real inputs need first: alpha, polarity, uneven light, contrast, specks and stroke width.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# Measured on MNIST with the estimator below (benchmarks/mnist_stats.py): stroke width relative to the
# long side of the ink's bounding box, and where the centre of mass sits (row, col) in the 28x28 field.
MNIST_RELATIVE_STROKE = 0.093
MNIST_CENTRE = (14.0, 14.0)
WORK_SIDE = 56  # crop resolution for stroke-width work: 2.8x the final 20-pixel box
MAX_ANALYSIS_SIDE = 512  # larger inputs are downscaled first (photos are 12+ megapixels)


class NoInkError(ValueError):
    """The image holds no ink to recognise (blank, or too faint)."""


@dataclass
class Normalized:
    pixels: np.ndarray  # (28, 28) float32 in [0, 1], light ink on black, as MNIST
    inverted: bool  # the input was dark ink on a light background
    notes: list[str] = field(default_factory=list)  # what was detected, for the UI to say


def add_noise(pixels: np.ndarray, sigma: float = 0.0, salt_pepper: float = 0.0, seed: int = 0) -> np.ndarray:
    """Seed 001's robustness experiment: Gaussian noise (sigma) then salt and pepper (fraction of pixels),
    applied after normalisation, clipped to [0, 1]."""
    if sigma <= 0 and salt_pepper <= 0:
        return pixels
    rng = np.random.default_rng(seed)
    out = pixels.astype(np.float32, copy=True)
    if sigma > 0:
        out += rng.normal(0.0, sigma, out.shape).astype(np.float32)
    if salt_pepper > 0:
        hit = rng.random(out.shape) < salt_pepper
        out[hit] = (rng.random(int(hit.sum())) < 0.5).astype(np.float32)
    return np.clip(out, 0.0, 1.0, out=out)


def image_to_gray(img: Image.Image) -> np.ndarray:
    """Any Pillow image -> float32 luminance in [0, 1]. Transparency is laid onto a background that
    contrasts with the opaque strokes, so dark-on-clear and light-on-clear drawings both survive."""
    if img.mode in ("I", "I;16", "F"):
        a = np.asarray(img, dtype=np.float32)
        lo, hi = float(a.min()), float(a.max())
        return (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    has_alpha = img.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (img.mode == "P" and "transparency" in img.info)
    if not has_alpha:
        return np.asarray(img.convert("L"), dtype=np.float32) / 255.0
    rgba = img.convert("RGBA")
    lum = np.asarray(rgba.convert("L"), dtype=np.float32) / 255.0
    alpha = np.asarray(rgba.getchannel("A"), dtype=np.float32) / 255.0
    if alpha.min() > 0.98:
        return lum
    opaque = alpha > 0.5
    strokes_are_light = opaque.any() and float(lum[opaque].mean()) > 0.5 and not opaque.all()
    background = 0.0 if strokes_are_light else 1.0
    return lum * alpha + background * (1.0 - alpha)


def normalize_image(img: Image.Image) -> Normalized:
    img = img.copy()
    if max(img.size) > MAX_ANALYSIS_SIDE:
        img.thumbnail((MAX_ANALYSIS_SIDE, MAX_ANALYSIS_SIDE), Image.Resampling.BOX)
    return normalize_gray(image_to_gray(img))


def _percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """np.percentile(values, qs) with its default linear interpolation, by partitioning instead of
    sorting: the same numbers, ~4x faster on the few thousand pixels of one update."""
    a = np.asarray(values).ravel()
    pos = [(a.size - 1) * q / 100.0 for q in qs]
    lows = [int(p) for p in pos]
    part = np.partition(a, sorted({i for lo in lows for i in (lo, min(lo + 1, a.size - 1))}))
    return [float(part[lo] + (part[min(lo + 1, a.size - 1)] - part[lo]) * (p - lo)) for p, lo in zip(pos, lows)]


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1] (64 bins; bincount is much faster than np.histogram)."""
    hist = np.bincount(np.minimum((values * 64).astype(np.int32), 63).ravel(), minlength=64)
    p = hist / max(hist.sum(), 1)
    omega = np.cumsum(p)
    mu = np.cumsum(p * (np.arange(64) + 0.5) / 64)
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    return (int(np.argmax(between)) + 1) / 64


def _background(ink: np.ndarray) -> np.ndarray | np.float32:
    """Smooth estimate of the paper's level under the ink (ink is high, paper low): a quadratic surface
    fitted to the paper pixels of a 32-pixel thumbnail, refitted after dropping what stands above it.
    A lamp's gradient or vignetting is smooth; strokes, however thick, are not part of the fit."""
    h, w = ink.shape
    scale = 32 / max(h, w)
    small = Image.fromarray(ink, mode="F").resize((max(round(w * scale), 1), max(round(h * scale), 1)),
                                                  Image.Resampling.BOX)
    v = np.asarray(small, np.float64).ravel()
    lo, hi = _percentiles(v, (5, 60))
    if hi - lo < 0.01:  # flat paper (a canvas, a clean scan): the fit would find a constant
        return np.float32(_percentiles(v[v <= hi], (50,))[0])  # a constant: no full-size array to build
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


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """mask plus every region of ~mask that does not reach the border (geodesic dilation from the border)."""
    outside = np.zeros_like(mask)
    outside[[0, -1], :] = ~mask[[0, -1], :]
    outside[:, [0, -1]] |= ~mask[:, [0, -1]]
    while True:
        grown = outside.copy()
        grown[1:] |= outside[:-1]
        grown[:-1] |= outside[1:]
        grown[:, 1:] |= outside[:, :-1]
        grown[:, :-1] |= outside[:, 1:]
        grown &= ~mask
        if np.array_equal(grown, outside):
            return ~outside
        outside = grown


def _convex_fill(mask: np.ndarray) -> np.ndarray:
    """The convex hull of a mask's pixels, filled (Andrew's monotone chain, drawn back with Pillow)."""
    # Only the outermost pixels of each row can be corners of the hull.
    rows = np.flatnonzero(mask.any(axis=1))
    if len(rows) == 0:
        return mask.copy()
    first = np.argmax(mask[rows], axis=1)
    last = mask.shape[1] - 1 - np.argmax(mask[rows, ::-1], axis=1)
    points = sorted(set(zip(first.tolist(), rows.tolist())) | set(zip(last.tolist(), rows.tolist())))
    if len(points) < 3:
        return mask.copy()

    def half(pts):
        chain: list[tuple[int, int]] = []
        for p in pts:
            while len(chain) >= 2 and ((chain[-1][0] - chain[-2][0]) * (p[1] - chain[-2][1])
                                       - (chain[-1][1] - chain[-2][1]) * (p[0] - chain[-2][0])) <= 0:
                chain.pop()
            chain.append(p)
        return chain

    hull = half(points)[:-1] + half(points[::-1])[:-1]
    img = Image.new("1", (mask.shape[1], mask.shape[0]), 0)
    ImageDraw.Draw(img).polygon(hull, fill=1, outline=1)
    return np.asarray(img, dtype=bool) | mask


def _turn_of(mask: np.ndarray) -> tuple[float, float]:
    """The turn (degrees, within +-45) at which a region best fills its bounding rectangle, and how full that
    rectangle is then: about 1 for a rectangle at any turn, pi/4 for a disc. Rotating the picture by minus
    the turn (Image.rotate's sense) makes the rectangle's sides horizontal and vertical."""
    rows, cols = np.nonzero(mask)
    points = np.stack([rows, cols], axis=1).astype(np.float64)
    best_turn, best_extent = 0.0, 0.0
    for turn in sorted(np.arange(-45.0, 45.0, 1.5), key=abs):  # smallest turns first: they win ties
        t = np.deg2rad(turn)
        u, v = points @ [np.cos(t), np.sin(t)], points @ [-np.sin(t), np.cos(t)]
        extent = len(points) / ((np.ptp(u) + 1) * (np.ptp(v) + 1))
        if extent > best_extent:
            best_turn, best_extent = float(turn), float(extent)
    return best_turn, best_extent


# A sheet turned by less than this is read as it lies: people's digits slant that much anyway.
STRAIGHTEN_FROM_DEGREES = 10.0


# The smallest sheet looked for, as a share of the picture: a sticky note 35 % of the frame's height covers
# about 9 % of a 4:3 photo. Smaller bright pieces are strokes, reflections or the things on a desk.
SHEET_MIN_SHARE = 0.05
SHEET_MASK_SIDE = 128  # the sheet is looked for at this long side: a small card is still ~30 pixels tall


def _find_sheet(g: np.ndarray) -> tuple[np.ndarray, float, tuple[int, int], tuple[int, int]] | None:
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
    from .components import label_pieces

    h, w = g.shape
    if min(h, w) < 32:
        return None
    small = _resize_long_side(g, SHEET_MASK_SIDE)
    bright = small > _otsu(small)
    border = np.concatenate([bright[0], bright[-1], bright[:, 0], bright[:, -1]])
    if border.mean() > 0.5:
        return None
    labels, pieces = label_pieces(bright)
    if not pieces:
        return None
    piece = max(pieces, key=lambda p: p.area)
    share = piece.area / bright.size
    if share < SHEET_MIN_SHARE:
        return None
    region = labels == piece.index
    # The sheet is convex: its hull takes in the ink on it, also where a stroke reaches its edge and makes a
    # notch rather than a hole.
    filled = _convex_fill(region)
    if float(small[filled].mean() - small[~filled].mean()) < 0.25:
        return None  # no clear step from surround to sheet
    turn, extent = _turn_of(filled)
    if extent < (0.6 if share >= 0.25 else 0.8):
        return None
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
    paper = _percentiles(g[inner], (50,))[0]
    if float((g[inner] < paper - 0.2).mean()) < 0.001:
        if max(piece.width, piece.height) < 4 * min(piece.width, piece.height):
            # A solid bright rectangle, not a bar, is a sheet rather than a light stroke: a blank one.
            raise NoInkError("No ink found: the sheet in the picture is blank. Write a digit on it, darker "
                             "than the paper.")
        return None  # a light bar, not a sheet: read the picture as light ink on a dark ground
    rows, cols = np.nonzero(inner)
    out = np.where(inner, g, np.float32(paper))
    crop = out[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    return np.ascontiguousarray(crop), turn, (int(cols.min()), int(rows.min())), (w, h)


def _remove_ruled_lines(ink: np.ndarray, faint: float) -> tuple[np.ndarray, bool]:
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


def _lift_shadow(ink: np.ndarray, mask: np.ndarray, peak: float) -> np.ndarray | None:
    """The ink map with a hard-edged shadow (a hand's, the phone's) taken out, or None if there is none.

    More of the picture stands out from the paper than a digit's strokes cover, and it falls into two
    clear levels: the fainter one, a broad area (not the soft rims of strokes), is paper in shadow, whose
    edge is too abrupt for the smooth lighting fit. Under a shadow that dims the paper to k of its level,
    paper reads 1 - k in the ink map and ink of contrast c reads (1 - k) + k c, so (ink - s) / (1 - s)
    with s = 1 - k gives the contrast back. The shadow's region is found at 1/8 resolution, where a
    stroke inside it is a minority of its block."""
    inside = ink[mask]
    split = _otsu(inside / peak) * peak
    faint = inside <= split
    if faint.mean() < 0.5 and (~faint).sum() > 0:
        # The shadow's soft edge can be the fainter level and the shadow itself merged with the ink: split
        # again above it.
        above = inside[~faint]
        split = split + _otsu((above - split) / max(peak - split, 1e-6)) * (peak - split)
        faint = inside <= split
    if faint.mean() < 0.5 or faint.all() or float(inside[faint].mean()) >= 0.75 * float(inside[~faint].mean()):
        return None
    shade = mask & (ink <= split)
    if _stroke_width(shade) <= 1.5 * _stroke_width(ink > split):
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
                     np.float32(_percentiles(inside[faint], (50,))[0]))
    out = ink.copy()
    out[region] = (ink[region] - level[region]) / np.maximum(1.0 - level[region], np.float32(0.2))
    return np.clip(out, 0.0, None).astype(np.float32)


def _blocks_peak(ink: np.ndarray) -> float:
    """The strongest 2x2 block mean. Noise on blank paper has long tails pixel by pixel (8-bit steps,
    uneven downscaling: single pixels reach 8 sigma), but it averages away over a block; a stroke, at
    least two pixels wide, does not."""
    h, w = ink.shape
    small = Image.fromarray(ink.astype(np.float32), mode="F").resize((max(w // 2, 1), max(h // 2, 1)),
                                                                      Image.Resampling.BOX)
    return float(np.asarray(small).max())


def _ink_threshold(ink: np.ndarray, peak: float, noise: float) -> float:
    """Where ink starts: Otsu's split, but never below a tenth of the darkest ink, nor into the paper's noise."""
    return max(_otsu(ink / peak) * peak, 0.1 * peak, 0.06, 5.0 * noise)


def _mass_bounds(profile: np.ndarray, tail: float = 0.003) -> tuple[int, int]:
    c = np.cumsum(profile)
    c /= c[-1]
    return int(np.searchsorted(c, tail)), int(np.searchsorted(c, 1 - tail))


def _broad_area_at_edge(mask: np.ndarray) -> bool:
    """Whether what stands out lies along a side's length of the picture's edge in a broad area: a shadow
    with no digit under it (one with a digit is lifted by _lift_shadow), or the desk round a sheet that
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
    return longest > 0.25 * len(loop) and _stroke_width(mask) > 0.1 * min(h, w)


def _stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: 2 * area / boundary length (a long stroke has two edges)."""
    area = float(mask.sum())
    m = mask.astype(np.int8)
    edges = np.abs(np.diff(m, axis=0)).sum() + np.abs(np.diff(m, axis=1)).sum()
    edges += m[0].sum() + m[-1].sum() + m[:, 0].sum() + m[:, -1].sum()
    return 2.0 * area / max(float(edges), 1.0)


def _frame(g: np.ndarray) -> np.ndarray:
    """The pixels of the picture's outer 5 %, where the paper is."""
    h, w = g.shape
    bw = max(min(h, w) // 20, 1)
    return np.concatenate([g[:bw].ravel(), g[-bw:].ravel(), g[:, :bw].ravel(), g[:, -bw:].ravel()])


def _resize_long_side(a: np.ndarray, side: int) -> np.ndarray:
    h, w = a.shape
    scale = side / max(h, w)
    size = (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(a, mode="F").resize(size, resample), dtype=np.float32)


def rotated_point_back(x: float, y: float, degrees: float, size_in: tuple[int, int],
                       size_out: tuple[int, int]) -> tuple[float, float]:
    """Where a point of `Image.rotate(degrees, expand=True)`'s output lies in its input. Sizes are (w, h).
    Pillow turns the picture counter-clockwise about its centre, as seen with y pointing down."""
    t = np.deg2rad(degrees)
    dx, dy = x - size_out[0] / 2, y - size_out[1] / 2
    return (size_in[0] / 2 + dx * np.cos(t) - dy * np.sin(t), size_in[1] / 2 + dx * np.sin(t) + dy * np.cos(t))


@dataclass
class InkMap:
    """Stage 1 of normalisation: a picture as ink on nothing, before any crop. Numbers are read from this."""

    ink: np.ndarray  # (H, W) float32 in [0, 1]: 1 is the strongest ink, 0 paper
    inverted: bool  # the input was dark ink on a light background
    notes: list[str]  # what was detected, for the UI to say
    source_size: tuple[int, int]  # (w, h) of the picture given
    # How this map was made from the picture, in order: ("scale", s), ("turn", degrees, (w, h) before,
    # (w, h) after) and ("crop", (x, y)); see to_source.
    steps: list[tuple] = field(default_factory=list)

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        """A point of the ink map in the picture's own pixels."""
        for step in reversed(self.steps):
            if step[0] == "crop":
                x, y = x + step[1][0], y + step[1][1]
            elif step[0] == "scale":
                x, y = x / step[1], y / step[1]
            else:
                x, y = rotated_point_back(x, y, step[1], step[2], step[3])
        return x, y

    def box_to_source(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """An (x, y, w, h) box of the ink map as the box round it in the picture's own pixels, clipped to it."""
        x, y, w, h = box
        corners = [self.to_source(cx, cy) for cx in (x, x + w) for cy in (y, y + h)]
        xs, ys = [c[0] for c in corners], [c[1] for c in corners]
        sw, sh = self.source_size
        x0, y0 = max(int(np.floor(min(xs))), 0), max(int(np.floor(min(ys))), 0)
        x1, y1 = min(int(np.ceil(max(xs))), sw), min(int(np.ceil(max(ys))), sh)
        return x0, y0, max(x1 - x0, 1), max(y1 - y0, 1)


def normalize_gray(gray: np.ndarray, drawn: bool = False) -> Normalized:
    """Luminance (H, W) in [0, 1], any polarity -> MNIST-like 28x28. Raises NoInkError.

    `drawn`: the picture is a drawing made on the app's canvas, dark strokes on its light paper and nothing
    else. Its ink is then read directly, without the guesses a photo needs (polarity from the border, uneven
    light, a sheet, ruled lines), which a drawing that covers most of the canvas would mislead."""
    if drawn:
        return ink_to_mnist(drawing_ink(gray), inverted=True, notes=["a drawing: dark strokes on light paper"])
    m = ink_map(gray)
    return ink_to_mnist(m.ink, m.inverted, m.notes)


def drawing_ink(gray: np.ndarray) -> np.ndarray:
    """A canvas drawing's ink: how far each pixel is from the paper (the lightest tone) towards the pen (the
    darkest), 0 to 1. Raises NoInkError for a blank canvas."""
    g = np.nan_to_num(np.clip(np.asarray(gray, np.float32), 0.0, 1.0))
    if g.ndim != 2 or min(g.shape) < 1:
        raise ValueError(f"expected a 2-D grayscale array, got shape {g.shape}")
    paper, pen = float(g.max()), float(g.min())
    if paper - pen < 0.12:
        raise NoInkError("No ink found: the canvas is blank. Draw a digit.")
    return np.clip((paper - g) / (paper - pen), 0.0, 1.0)


def ink_map(gray: np.ndarray, max_side: int = MAX_ANALYSIS_SIDE, ruled_lines: bool = True) -> InkMap:
    """Stage 1: luminance (H, W) in [0, 1], any polarity -> the ink alone (the sheet found on a desk, polarity,
    uneven light, sensor noise, ruled lines and a hand's shadow dealt with), at most max_side pixels on its long
    side. ruled_lines=False leaves ruled and squared paper's lines in, for a caller that traces lines itself.
    Raises NoInkError."""
    g = np.asarray(gray, dtype=np.float32)
    if g.ndim != 2 or min(g.shape) < 1:
        raise ValueError(f"expected a 2-D grayscale array, got shape {g.shape}")
    g = np.clip(g, 0.0, 1.0)
    if not np.isfinite(g).all():  # NaN survives clip; rare, so checked before paying for a copy
        g = np.nan_to_num(g)
    notes: list[str] = []
    steps: list[tuple] = []
    h, w = g.shape
    source_size = (w, h)
    if max(h, w) > max_side:
        g = _resize_long_side(g, max_side)
        steps.append(("scale", g.shape[1] / w))
        h, w = g.shape
    frame = _frame(g)
    # A flat, noiseless frame is a canvas, a screenshot or MNIST itself: no sheet on a desk, no sensor
    # noise, no printed lines (they would cross the frame). Skipping those checks keeps the canvas fast.
    synthetic = float(np.ptp(frame)) < 0.02
    if not synthetic and (found := _find_sheet(g)) is not None:
        g, turn, corner, turned_size = found
        if turn:
            steps.append(("turn", turn, (w, h), turned_size))
        steps.append(("crop", corner))
        frame = _frame(g)
        h, w = g.shape
        notes.append("a sheet on a darker surround: only the sheet is read")
        if turn:
            notes.append(f"the sheet was turned by {abs(turn):.0f}°: straightened")

    # Polarity: the frame of the picture is mostly paper, and the ink reaches further from the paper's
    # level than anything else: darker (pen on paper, even in a dim room) or lighter (chalk, MNIST).
    level = _percentiles(frame, (50,))[0]
    if synthetic:
        darkest, lightest = float(g.min()), float(g.max())
    else:  # a few noisy pixels must not decide
        darkest, lightest = _percentiles(g[:: max(h // 128, 1), :: max(w // 128, 1)], (0.2, 99.8))
    if max(level - darkest, lightest - level) < 0.1:
        inverted = level > 0.5  # hardly any contrast either way: the paper's own level decides
    else:
        inverted = level - darkest > lightest - level
    ink = 1.0 - g if inverted else g.copy()
    notes.append("dark ink on a light background: inverted" if inverted else "light ink on a dark background")

    # Uneven light: subtract the paper's level, and for dark ink divide by the paper's brightness.
    if min(h, w) >= 16:
        paper = _background(ink)
        if float(np.max(paper) - np.min(paper)) > 0.08:
            notes.append("uneven lighting corrected")
        ink = ink - paper
        if inverted:
            ink /= np.maximum(1.0 - paper, np.float32(0.2))
    else:
        ink = ink - _percentiles(frame if not inverted else 1.0 - frame, (50,))[0]
    # Sensor noise (a dim room's photo) must not survive as specks all over the picture: the faintest ink
    # kept is 4 sigma of the paper's noise, estimated robustly (median absolute deviation: strokes are a
    # small minority of the pixels) before clipping halves it. JPEG's blocks make the noise correlated, so
    # it is measured on the pixels themselves, not on neighbour differences.
    noise = 0.0
    if not synthetic:
        step = max(min(h, w) // 256, 1)
        sub = ink[::step, ::step]
        noise = 1.4826 * _percentiles(np.abs(sub - _percentiles(sub, (50,))[0]), (50,))[0]
    ink = np.clip(ink, 0.0, None)
    if ruled_lines and not synthetic and min(h, w) >= 64:
        ink, ruled = _remove_ruled_lines(ink, max(4.0 * noise, 0.03))
        if ruled:
            notes.append("ruled lines removed")

    peak = float(ink.max())
    if peak < 0.12 or (noise > 0 and _blocks_peak(ink) < 7.0 * noise):
        raise NoInkError("No ink found: the image is blank or too faint. Draw a digit, or open a "
                         "picture with a darker pen on lighter paper (or the reverse).")
    threshold = _ink_threshold(ink, peak, noise)
    mask = ink > threshold
    if mask.sum() < 3:
        raise NoInkError("No ink found: only a few faint pixels stand out from the background.")
    if not synthetic and mask.mean() > 0.08 and (lifted := _lift_shadow(ink, mask, peak)) is not None:
        ink = lifted
        notes.append("a shadow on the paper corrected")
        peak = float(ink.max())
        if peak < 0.12:
            raise NoInkError("No ink found: only a shadow stands out from the paper.")
        threshold = _ink_threshold(ink, peak, noise)
        mask = ink > threshold
        if mask.sum() < 3:
            raise NoInkError("No ink found: only a shadow stands out from the paper.")
    if not synthetic and _broad_area_at_edge(mask):
        raise NoInkError("No digit found: what stands out from the paper is a broad area reaching the edge of "
                         "the picture (a shadow, or the desk), not pen strokes. Photograph the digit with "
                         "paper all around it and even light.")
    strong = _percentiles(ink[mask], (90,))[0]
    lo = np.float32(min(max(0.5 * threshold, 4.0 * noise), 0.8 * strong))  # float32: Pillow's "F" below
    ink = np.clip((ink - lo) / np.float32(max(strong - lo, 1e-3)), 0.0, 1.0)
    ink[ink < 0.05] = 0.0

    return InkMap(ink, inverted, notes, source_size, steps)


def ink_to_mnist(ink: np.ndarray, inverted: bool = False, notes: list[str] | None = None) -> Normalized:
    """Stage 2: an ink map (1 = ink, 0 = nothing) -> MNIST's 28x28: cropped to the ink (specks far from it
    ignored), strokes to MNIST's width, fitted into 20x20 and the centre of mass at the centre. Raises
    NoInkError."""
    notes = list(notes or [])
    ink = np.asarray(ink, np.float32)
    if not ink.size or float(ink.max()) <= 0.25:
        raise NoInkError("No ink found.")
    h, w = ink.shape
    # Crop to the ink, ignoring specks far from the mass of it.
    r0, r1 = _mass_bounds(ink.sum(axis=1))
    c0, c1 = _mass_bounds(ink.sum(axis=0))
    pad_r, pad_c = max((r1 - r0) // 8, 2), max((c1 - c0) // 8, 2)
    r0, r1, c0, c1 = max(r0 - pad_r, 0), min(r1 + pad_r + 1, h), max(c0 - pad_c, 0), min(c1 + pad_c + 1, w)
    region = ink[r0:r1, c0:c1]
    rows, cols = np.nonzero(region > 0.25)
    if len(rows) == 0:
        raise NoInkError("No ink found.")
    region = region[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    if (r1 - r0, c1 - c0) != (h, w) and (np.count_nonzero(ink > 0.25) - len(rows)) > 0:
        notes.append("specks away from the digit ignored")

    # Stroke width to MNIST's, measured at a fixed working resolution, one pixel of each edge at a time.
    work = _resize_long_side(region, WORK_SIDE)
    target = MNIST_RELATIVE_STROKE * WORK_SIDE
    area = float((work > 0.5).sum())
    for step in range(8):
        width = _stroke_width(work > 0.5)
        if width < 0.7 * target:
            work = np.asarray(Image.fromarray(work, mode="F").filter(ImageFilter.MaxFilter(3)), dtype=np.float32)
            if step == 0:
                notes.append("thin strokes thickened")
        elif width > 1.4 * target:
            thinner = np.asarray(Image.fromarray(work, mode="F").filter(ImageFilter.MinFilter(3)), dtype=np.float32)
            if (thinner > 0.5).sum() < 0.35 * area:
                break  # never erase the digit
            work = thinner
            if step == 0:
                notes.append("thick strokes thinned")
        else:
            break

    # Fit into 20x20, anti-aliased, then centre of mass to the centre of 28x28.
    box = np.clip(_resize_long_side(work, 20), 0.0, 1.0)
    bh, bw_ = box.shape
    total = float(box.sum())
    if total <= 0:
        raise NoInkError("No ink found.")
    com_r = float((box.sum(axis=1) * np.arange(bh)).sum() / total)
    com_c = float((box.sum(axis=0) * np.arange(bw_)).sum() / total)
    top = int(np.clip(round(MNIST_CENTRE[0] - com_r), 0, 28 - bh))
    left = int(np.clip(round(MNIST_CENTRE[1] - com_c), 0, 28 - bw_))
    out = np.zeros((28, 28), np.float32)
    out[top: top + bh, left: left + bw_] = box
    return Normalized(out, inverted, notes)


def normalize_file(path) -> Normalized:
    """Open (safely) and normalise an image file. Raises imageio.ImageError or NoInkError."""
    from .imageio import open_image

    return normalize_image(open_image(path))
