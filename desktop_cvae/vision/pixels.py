"""Small operations on pixel arrays that normalisation and the number reader share: robust percentiles,
Otsu's threshold, masks filled and measured, pictures resized and framed. No state, no Qt, no TensorFlow."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """np.percentile(values, qs) with its default linear interpolation, by partitioning instead of
    sorting: the same numbers, ~4x faster on the few thousand pixels of one update."""
    a = np.asarray(values).ravel()
    pos = [(a.size - 1) * q / 100.0 for q in qs]
    lows = [int(p) for p in pos]
    part = np.partition(a, sorted({i for lo in lows for i in (lo, min(lo + 1, a.size - 1))}))
    return [float(part[lo] + (part[min(lo + 1, a.size - 1)] - part[lo]) * (p - lo)) for p, lo in zip(pos, lows)]


def otsu(values: np.ndarray) -> float:
    """Otsu's threshold of values in [0, 1] (64 bins; bincount is much faster than np.histogram)."""
    hist = np.bincount(np.minimum((values * 64).astype(np.int32), 63).ravel(), minlength=64)
    p = hist / max(hist.sum(), 1)
    omega = np.cumsum(p)
    mu = np.cumsum(p * (np.arange(64) + 0.5) / 64)
    between = (mu[-1] * omega - mu) ** 2 / np.maximum(omega * (1 - omega), 1e-12)
    return (int(np.argmax(between)) + 1) / 64


def resize_long_side(a: np.ndarray, side: int) -> np.ndarray:
    h, w = a.shape
    scale = side / max(h, w)
    size = (max(int(round(w * scale)), 1), max(int(round(h * scale)), 1))
    resample = Image.Resampling.BOX if scale < 1 else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(a, mode="F").resize(size, resample), dtype=np.float32)


def frame_of(g: np.ndarray) -> np.ndarray:
    """The pixels of the picture's outer 5 %, where the paper is."""
    h, w = g.shape
    bw = max(min(h, w) // 20, 1)
    return np.concatenate([g[:bw].ravel(), g[-bw:].ravel(), g[:, :bw].ravel(), g[:, -bw:].ravel()])


def mass_bounds(profile: np.ndarray, tail: float = 0.003) -> tuple[int, int]:
    """The first and last index of a profile (ink per row or column) between which all but `tail` of its mass
    lies at each end: a speck far from the digit does not stretch the crop."""
    c = np.cumsum(profile)
    c /= c[-1]
    return int(np.searchsorted(c, tail)), int(np.searchsorted(c, 1 - tail))


def stroke_width(mask: np.ndarray) -> float:
    """Mean stroke width of a binary mask: 2 * area / boundary length (a long stroke has two edges)."""
    area = float(mask.sum())
    m = mask.astype(np.int8)
    edges = np.abs(np.diff(m, axis=0)).sum() + np.abs(np.diff(m, axis=1)).sum()
    edges += m[0].sum() + m[-1].sum() + m[:, 0].sum() + m[:, -1].sum()
    return 2.0 * area / max(float(edges), 1.0)


def fill_holes(mask: np.ndarray) -> np.ndarray:
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


def convex_fill(mask: np.ndarray) -> np.ndarray:
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


def turn_of(mask: np.ndarray) -> tuple[float, float]:
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


def gaussian_blur(a: np.ndarray, sigma: float) -> np.ndarray:
    """A float picture blurred by a Gaussian of `sigma` pixels (separable, edges repeated), as float32."""
    radius = max(int(np.ceil(2.5 * sigma)), 1)
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps = (taps / taps.sum()).astype(np.float32)
    out = np.asarray(a, np.float32)
    for axis in (0, 1):
        padded = np.pad(out, [(radius, radius) if k == axis else (0, 0) for k in range(2)], mode="edge")
        n = out.shape[axis]
        out = sum(t * np.take(padded, np.arange(k, k + n), axis=axis) for k, t in enumerate(taps))
    return out.astype(np.float32)


def min_3x3(a: np.ndarray) -> np.ndarray:
    """Each pixel's minimum over its 3x3 neighbourhood, edges repeated: PIL's MinFilter(3), without the round trip
    through an image (its maximum, for ink that is never negative, is grown(a, 1))."""
    p = np.pad(a, 1, mode="edge")
    rows = np.minimum(np.minimum(p[:-2], p[1:-1]), p[2:])
    return np.minimum(np.minimum(rows[:, :-2], rows[:, 1:-1]), rows[:, 2:])


def grown(a: np.ndarray, by: int) -> np.ndarray:
    """A mask grown by `by` pixels every way (a square), or a float picture's maximum over that square: shifted
    maxima whose reach doubles, so a wide square costs a few passes, not a filter that wide."""
    out = a.copy()
    for axis in (0, 1):
        reach = 0
        while reach < by:
            step = min(reach + 1, by - reach)
            ahead, behind = np.zeros_like(out), np.zeros_like(out)
            if axis == 0:
                ahead[step:], behind[:-step] = out[:-step], out[step:]
            else:
                ahead[:, step:], behind[:, :-step] = out[:, :-step], out[:, step:]
            out = np.maximum(out, np.maximum(ahead, behind))
            reach += step
    return out
