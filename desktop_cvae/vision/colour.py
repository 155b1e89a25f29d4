"""A page's printed rules by their colour: grey that does not see them.

Soft pencil is about as pale as the blue rules of squared or lined paper, so in luminance the two cannot be told
apart, and tracing the rules takes the strokes with them. Their colour tells them apart: the rules are printed in
one hue, pencil is grey. Where a picture holds several long, thin lines of one hue (near straight: a page's curve
and a photo's slant bend them a little), it is turned to grey by weights under which that hue weighs as much as
the paper (`blind_weights`): the rules vanish and grey strokes keep their contrast. Light falling unevenly scales
the rules' colour and the paper's alike, so one set of weights serves the whole picture.

Everywhere else the grey is the luminance: a number written in colour (a red pen) makes no set of long lines; a pen
of the rules' own hue (blue ballpoint on blue rules) would fade with them; and a pen far darker than the rules is
told from them by darkness, in luminance, which is less noisy.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .pixels import gaussian_blur, grown

ANALYSIS_SIDE = 384  # the rules are looked for at this size: long lines survive it, and it is quick
COLOURED = 0.035  # a pixel this far from the paper's colour (per channel, 0-1, after the grey is taken out) is tinted
SAME_HUE_DEGREES = 25.0  # tinted pixels within this angle of the commonest hue are taken for the rules' ink
LINE_SHARE = 0.6  # a rule runs across this share of the picture at least
THINNEST_RULES = 3  # ... and the rules are at least this many parallel lines (a lined or squared page)
RULE_THICKNESS = 0.015  # of the picture's long side: a rule is no thicker (a pen's stroke in a tight crop is)
ON_LINES = 0.5  # the share of the hue's pixels on the lines at least: a picture tinted all over has no rules
BOW = 2  # pixels (at ANALYSIS_SIDE) a rule may stray from a straight line
ANGLES = np.arange(-12.0, 12.5, 1.0)  # degrees off level (or upright) at which rules are looked for
# Printed rules are pale, thin lines with paper between: they keep over a third of the paper's light (density
# 1.1; a notebook's 0.2-0.5) and cover under 40 % of the picture (a notebook's 5-25 %). A desk round a card,
# tinted against the card's warm light, passed for rules: its rows and its grain's stripes are long and parallel.
DENSEST_RULE = 1.1
RULES_COVER = 0.4


def rule_colour(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(the paper's colour, the density each pixel of the rules adds to it (N, 3), the rules' pixels (H, W))
    where the picture (H, W, 3) in [0, 1] shows a ruled page with rules of one hue, else None."""
    h, w, _ = rgb.shape
    grey = rgb.mean(axis=2, keepdims=True)
    tint = rgb - grey  # each pixel's colour with its grey taken out: light falling unevenly scales it a little
    bright = grey[..., 0] >= np.percentile(grey, 50)
    paper_tint = np.median(tint[bright], axis=0)
    off = tint - paper_tint
    far = np.linalg.norm(off, axis=2) > COLOURED
    if far.sum() < 0.005 * h * w:
        return None
    # The commonest hue among tinted pixels, on the plane of colours with their grey taken out.
    u = np.array([1.0, -1.0, 0.0]) / np.sqrt(2)
    v = np.array([1.0, 1.0, -2.0]) / np.sqrt(6)
    hue = np.degrees(np.arctan2(off[far] @ v, off[far] @ u))
    counts, edges = np.histogram(hue, bins=36, range=(-180, 180))
    peak = edges[int(np.argmax(counts))] + 5.0
    near = np.abs((hue - peak + 180) % 360 - 180) <= SAME_HUE_DEGREES
    mask = np.zeros((h, w), bool)
    mask[far] = near
    lines = _ruled(mask)
    if lines is None or not (bright & ~mask).any():
        return None
    paper = np.median(rgb[bright & ~mask], axis=0)
    added = _density(rgb[lines]) - _density(paper)
    if np.median(added.mean(axis=1)) > DENSEST_RULE or lines.mean() > RULES_COVER:
        return None
    return paper, added, lines


def _ruled(mask: np.ndarray) -> np.ndarray | None:
    """The mask's pixels on long, thin, parallel lines, level or upright, where it holds THINNEST_RULES or more
    such lines one way; else None."""
    h, w = mask.shape
    ys, xs = np.nonzero(mask)
    on_lines = np.zeros(len(ys), bool)
    found = False
    thickest = max(RULE_THICKNESS * max(h, w), 2) + 2 * BOW
    for along, across, length in ((xs, ys, w), (ys, xs, h)):  # level rules, then upright ones
        best = None
        for angle in ANGLES:
            t = np.radians(angle)
            rows = np.round(across * np.cos(t) - along * np.sin(t)).astype(np.int64)
            rows -= rows.min()
            cols = np.round(along * np.cos(t) + across * np.sin(t)).astype(np.int64)
            cols -= cols.min()
            # The columns a row covers, not its pixels: a thick stroke along a row counts once per column.
            occupied = np.zeros((rows.max() + 1 + 2 * BOW, cols.max() + 1), bool)
            occupied[rows + BOW, cols] = True
            # A row's columns counted with the rows BOW either side: a page's curve, or rules converging a
            # little in a photo taken at a slant, moves a rule off one row.
            band = np.zeros_like(occupied[2 * BOW:])
            for k in range(2 * BOW + 1):
                band |= occupied[k: k + band.shape[0]]
            long_rows = band.sum(axis=1) >= LINE_SHARE * length
            if best is None or long_rows.sum() > best[1].sum():
                best = rows, long_rows
        rows, long_rows = best
        # Runs of long rows are lines; THINNEST_RULES thin ones or more make a ruled page (a thick run may be two
        # rules that meet, or a stroke along one).
        edges = np.diff(np.concatenate([[0], long_rows.astype(np.int8), [0]]))
        starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        if np.sum(ends - starts <= thickest) >= THINNEST_RULES:
            found = True
        near = long_rows | np.concatenate([long_rows[1:], [False]]) | np.concatenate([[False], long_rows[:-1]])
        on_lines |= near[rows]
    if not found or on_lines.mean() < ON_LINES:
        return None
    lines = np.zeros((h, w), bool)
    lines[ys[on_lines], xs[on_lines]] = True
    return lines


NOISE = 0.03  # the density noise of a photo's pixel: the weights are kept small enough not to swell it


def blind_weights(added: np.ndarray) -> np.ndarray:
    """Weights for the three channels' optical densities that sum to 1 (a grey keeps its level) and make the
    density the rules add (`added`, (N, 3)) as near nothing as they can without swelling the picture's noise
    (least squares, the pixels that fit worst, a pencil stroke over a rule, left out of a second fit). In
    densities a stroke over a rule is the rule's density plus the stroke's, so a grey stroke keeps its own
    there too."""
    keep = np.ones(len(added), bool)
    for _ in range(2):
        a = added[keep].T @ added[keep] + keep.sum() * NOISE ** 2 * np.eye(3)
        w = np.linalg.solve(a, np.ones(3))
        w /= w.sum()
        miss = np.abs(added @ w)
        keep = miss <= np.percentile(miss, 80)
    return w


def _density(rgb: np.ndarray) -> np.ndarray:
    return -np.log(np.maximum(rgb, 0.02))


def rule_blind_gray(img: Image.Image) -> np.ndarray | None:
    """The picture's grey as the rules' colour does not show it, or None where it shows no rules of one hue, where
    its writing is far darker than they are, or where the writing is of their hue too."""
    rgb_img = img.convert("RGB")
    full = rgb_img.size
    # A JPEG keeps colour at half the resolution of light: at full size a thin rule's colour is smeared past its
    # edges, and weights fitted or applied there leave bright rims. Both are done at half size, where they agree.
    half = rgb_img.reduce(2) if min(full) >= 2 else rgb_img
    small = half.reduce(int(np.ceil(max(half.size) / ANALYSIS_SIDE))) if max(half.size) > ANALYSIS_SIDE else half
    small_rgb = np.asarray(small, np.float32) / 255.0
    found = rule_colour(small_rgb)
    if found is None:
        return None
    w = blind_weights(found[1]).astype(np.float32)
    if not _writing_needs_colour(small_rgb, w, *found):
        return None
    density = _density(np.asarray(half, np.float32) / 255.0) @ w
    density = _without_traces(density, found[2])
    gray = Image.fromarray(np.exp(-density).astype(np.float32), mode="F").resize(full, Image.Resampling.BILINEAR)
    return np.clip(np.asarray(gray, np.float32), 0.0, 1.0)


TRACE = 0.12  # density: what is left of a rule, on its pixels, up to this much darker than the paper beside it


def _without_traces(density: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """The density with the rules' traces (their rims, where a JPEG's colour and light disagree) brought to the
    paper's beside them; a stroke across a rule is far darker and stays."""
    h, w = density.shape
    at_size = Image.fromarray(lines.astype(np.uint8) * 255).resize((w, h), Image.Resampling.NEAREST)
    on = grown(np.asarray(at_size) > 0, 2)
    # The paper beside the rules: neither rule nor stroke (far darker than the page's usual level).
    off = ~on
    if off.any():
        off &= density < np.percentile(density[off], 50) + TRACE
    off = off.astype(np.float32)
    sigma = max(0.01 * max(h, w), 2.0)
    paper = gaussian_blur(density * off, sigma) / np.maximum(gaussian_blur(off, sigma), 1e-3)
    trace = on & (density - paper < TRACE)
    out = density.copy()
    out[trace] = paper[trace]
    return out


WRITING_KEPT = 0.6  # the share of the writing's density the weights must keep
DARK_ENOUGH = 2.5  # writing this many times as dense as the rules is told from them by darkness alone
BROAD = 7  # pixels (at ANALYSIS_SIDE): dark areas this wide are no strokes
RULE_SPREAD = 5.0  # a pixel on the rules this many times as dense as their median one is a pen's, not a rule's


def _writing_needs_colour(rgb: np.ndarray, w: np.ndarray, paper: np.ndarray, added: np.ndarray,
                          rules: np.ndarray) -> bool:
    """Whether the writing (the darkest strokes off the rules) is too pale to be told from the rules by darkness
    (a pen far darker than the rules is traced as well in luminance, which is less noisy) and keeps its density
    under the weights (blue ballpoint on blue rules would fade with them)."""
    lum = rgb.mean(axis=2)
    # A pen of the rules' hue written across several rules puts its pixels among theirs (found by hue, on the
    # rules' rows). Far denser than the rules' own pixels, they are no rule: counted as rules, the pen was taken
    # for dark rules, left out of the writing, and faded with them.
    on_rules = added.mean(axis=1)
    typical = float(np.median(on_rules))
    own = on_rules <= RULE_SPREAD * typical
    if typical > 0 and own.sum() >= 10:
        rules = rules.copy()
        rules[rules] = own
        on_rules = on_rules[own]
    near_rules = grown(rules, 1)
    # Strokes: darker than the paper and than the paper round them (a lamp's gradient is not, where it crosses
    # the paper's mean level), and not broad (what an opening BROAD wide leaves: a desk past a page photographed
    # at a slant, a shadow).
    round_it = grown(lum, BROAD)
    darker = lum < float(np.mean(paper)) - 0.1
    broad = grown(~grown(~darker, BROAD // 2), BROAD // 2)
    strokes = darker & (lum < round_it - 0.1) & ~broad & ~near_rules
    # A broad area's thin end at the frame (a desk's wedge tapering along the edge) passes the opening.
    strokes[:BROAD], strokes[-BROAD:], strokes[:, :BROAD], strokes[:, -BROAD:] = False, False, False, False
    if strokes.sum() < 10:
        return False
    darkest = lum[strokes] <= np.percentile(lum[strokes], 10)
    density = _density(rgb[strokes][darkest])
    grey = float(np.median(density.mean(axis=1) - _density(paper).mean()))
    blind = float(np.median(density @ w - _density(paper) @ w))
    rules_grey = float(np.percentile(on_rules, 90))
    return grey < DARK_ENOUGH * rules_grey and blind >= WRITING_KEPT * grey
