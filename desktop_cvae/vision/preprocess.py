"""One normalisation for every input: people's images (canvas, photos, scans, screenshots) -> MNIST 28x28.

MNIST digits are light ink on black, the ink's bounding box fitted into 20x20 keeping aspect ratio
(anti-aliased), then placed in 28x28 with the centre of mass at the centre (LeCun et al.). Real pictures need
more first. Normalisation is a pipeline of named steps in two stages, each step a function that reads and
updates one `Reading` and says what it found in its notes (the app shows them as "Detected: ..."):

- stage 1, `ink_map` (the number reader starts from here): INK_STEPS, a picture -> its ink alone, 1 ink and 0
  paper: `find_the_sheet`, `ink_polarity`, `even_lighting`, `paper_noise`, `printed_lines`, `strokes`;
- stage 2, `ink_to_mnist`: an ink map -> MNIST's 28x28: `crop_to_ink`, `even_ridges`, `stroke_width_to_mnist`,
  `box_and_centre`.

The tools the steps use live beside this module: `sheet` (a sheet on a desk), `paper` (light, lines, shadows,
noise) and `pixels` (array helpers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from .colour import rule_blind_gray
from .errors import NoInkError
from .objects import its_shade, objects_on_the_page
from .paper import (blocks_peak, broad_area_at_edge, even_out_shadow, ink_threshold, lift_shadow, paper_level,
                    remove_ruled_lines)
from .pixels import (frame_of, gaussian_blur, grown, mass_bounds, min_3x3, percentiles, resize_long_side,
                     stroke_width)
from .sheet import desk_past_the_page, find_sheet, rotated_point_back

__all__ = ["NoInkError", "Normalized", "InkMap", "Reading", "add_noise", "image_to_gray", "normalize_image",
           "normalize_gray", "normalize_file", "drawing_ink", "ink_map", "ink_to_mnist", "INK_STEPS",
           "rotated_point_back"]

# Measured on MNIST with the estimator below (benchmarks/mnist_stats.py): stroke width relative to the
# long side of the ink's bounding box, and where the centre of mass sits (row, col) in the 28x28 field.
MNIST_RELATIVE_STROKE = 0.093
MNIST_CENTRE = (14.0, 14.0)
WORK_SIDE = 56  # crop resolution for stroke-width work: 2.8x the final 20-pixel box
# Grain (one sigma, in ink units) from which a photo is smoothed before its strokes are found: of the kinds of
# picture benchmarks/imagegen.py draws, only a dim room's photo is that grainy (benchmarks/normalise_compare.py).
GRAINY_PAPER = 0.05
DENOISE_SIGMA = 1.0
# The background's spread (one sigma, ink units) from which a picture is a busy scene, not paper: the paper of every
# picture benchmarks/imagegen.py and numbergen.py draw stays under 0.06 (a dim room's photo), while photos of
# people, animals, objects or a textured surface measure 0.15 and more.
BUSY_PICTURE = 0.1
# A stroke's ridge is brought to full ink (`even_ridges`) when it reaches this share of the digit's strongest ink.
RIDGE_FLOOR = 0.35
MAX_ANALYSIS_SIDE = 512  # larger inputs are downscaled first (photos are 12+ megapixels)
# A photo's ink map -> the ink of its digit alone, and notes saying what was taken out (normalize_gray's `clean`).
Clean = Callable[[np.ndarray], tuple[np.ndarray, list[str]]]
# Several digits side by side (a number opened or drawn as one digit), measured in the crop's height:
# columns of paper at least APART wide between marks; a mark counts when it is MARK_TALL as tall as the tallest
# and holds MARK_INK of the largest mark's ink (a dot or a stray line does not); such marks count only in a crop
# at least SEVERAL_FROM wide (two digits are, a 4 drawn in two strokes or a 0 in two arcs is not); a crop
# WIDER_THAN_ONE wide is several digits even with no gap (touching ones). `python benchmarks/side_by_side.py`:
# 1 of MNIST's 10,000 test digits passes for several, and none of 1,080 people's pictures of single digits.
APART = 0.015
MARK_TALL = 0.5
MARK_INK = 0.12
SEVERAL_FROM = 1.0
WIDER_THAN_ONE = 2.4
SEVERAL_NOTE = "several digits side by side, read here as one"


@dataclass
class Normalized:
    pixels: np.ndarray  # (28, 28) float32 in [0, 1], light ink on black, as MNIST
    inverted: bool  # the input was dark ink on a light background
    notes: list[str] = field(default_factory=list)  # what was detected, for the UI to say
    # Digit-sized marks side by side in the picture (side_by_side): 2 or more, it holds several digits, and the
    # 28x28 is all of them squeezed into one.
    side_by_side: int = 1

    @property
    def several(self) -> bool:
        return self.side_by_side > 1


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
        if img.mode not in ("1", "L"):  # colour: a ruled page's rules may be told from pencil by it
            blind = rule_blind_gray(img)
            if blind is not None:
                return blind
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


def normalize_image(img: Image.Image, clean: Clean | None = None) -> Normalized:
    img = img.copy()
    if max(img.size) > MAX_ANALYSIS_SIDE:
        img.thumbnail((MAX_ANALYSIS_SIDE, MAX_ANALYSIS_SIDE), Image.Resampling.BOX)
    return normalize_gray(image_to_gray(img), clean=clean)


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


def normalize_gray(gray: np.ndarray, drawn: bool = False, clean: Clean | None = None) -> Normalized:
    """Luminance (H, W) in [0, 1], any polarity -> MNIST-like 28x28. Raises NoInkError.

    `drawn`: the picture is a drawing made on the app's canvas, dark strokes on its light paper and nothing
    else. Its ink is then read directly, without the guesses a photo needs (polarity from the border, uneven
    light, a sheet, ruled lines), which a drawing that covers most of the canvas would mislead.
    `clean`: for a photo, a step between the two stages that takes out what is drawn round the digit and says
    what it took (numbers.digit passes the number reader's; this module sits below it)."""
    if drawn:
        return ink_to_mnist(drawing_ink(gray), inverted=True, notes=["a drawing: dark strokes on light paper"],
                            whole_picture=True)
    m = ink_map(gray)
    ink, notes = m.ink, m.notes
    if clean is not None:
        ink, taken_out = clean(ink)
        notes = notes + taken_out
    return ink_to_mnist(ink, m.inverted, notes, whole_picture=True)


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



@dataclass
class Reading:
    """A picture on its way through stage 1, and what each step has found in it so far."""

    gray: np.ndarray  # (H, W) float32 luminance in [0, 1]: the picture as the steps have cropped and turned it
    source_size: tuple[int, int]  # (w, h) of the picture given
    steps: list[tuple] = field(default_factory=list)  # how `gray` was made from it: see InkMap.steps
    notes: list[str] = field(default_factory=list)  # what was detected, for the UI to say
    # A flat, noiseless frame is a canvas, a screenshot or MNIST itself: no sheet on a desk, no sensor
    # noise, no printed lines (they would cross the frame). Skipping those steps keeps the canvas fast.
    synthetic: bool = False
    inverted: bool = False  # dark ink on a light background (set by ink_polarity)
    ink: np.ndarray | None = None  # (H, W) float32, ink high and paper low (from ink_polarity on)
    noise: float = 0.0  # the paper's noise, one sigma (set by paper_noise)

    @classmethod
    def of(cls, gray: np.ndarray, max_side: int = MAX_ANALYSIS_SIDE) -> Reading:
        """A luminance picture, checked, clipped to [0, 1] and downscaled to at most max_side."""
        g = np.asarray(gray, dtype=np.float32)
        if g.ndim != 2 or min(g.shape) < 1:
            raise ValueError(f"expected a 2-D grayscale array, got shape {g.shape}")
        g = np.clip(g, 0.0, 1.0)
        if not np.isfinite(g).all():  # NaN survives clip; rare, so checked before paying for a copy
            g = np.nan_to_num(g)
        h, w = g.shape
        r = cls(g, (w, h))
        if max(h, w) > max_side:
            r.gray = resize_long_side(g, max_side)
            r.steps.append(("scale", r.gray.shape[1] / w))
        r.synthetic = float(np.ptp(frame_of(r.gray))) < 0.02
        return r


def find_the_sheet(r: Reading) -> None:
    """A sheet, card or note lying on a darker desk: only the sheet is read, turned upright if it lay turned."""
    if r.synthetic:
        return
    if (found := find_sheet(r.gray)) is None:
        if (page := desk_past_the_page(r.gray)) is not None:
            r.gray, corner = page
            r.steps.append(("crop", corner))
            r.notes.append("a dark area along the picture's edge left out (a desk past the page, a shadow)")
        return
    h, w = r.gray.shape
    r.gray, turn, corner, turned_size = found
    if turn:
        r.steps.append(("turn", turn, (w, h), turned_size))
    r.steps.append(("crop", corner))
    r.notes.append("a sheet on a darker surround: only the sheet is read")
    if turn:
        r.notes.append(f"the sheet was turned by {abs(turn):.0f}°: straightened")


def shadow_across(r: Reading) -> None:
    """A page partly in a hard-edged shadow with writing in it: the paper brought to one level before anything
    is measured on it."""
    if r.synthetic or (even := even_out_shadow(r.gray)) is None:
        return
    r.gray = even
    r.notes.append("a shadow across the page evened out")


def ink_polarity(r: Reading) -> None:
    """Dark ink on light paper, or light ink on a dark ground: the ink map has ink high either way."""
    # The frame of the picture is mostly paper, and the ink reaches further from the paper's level than
    # anything else: darker (pen on paper, even in a dim room) or lighter (chalk, MNIST).
    g = r.gray
    h, w = g.shape
    level = percentiles(frame_of(g), (50,))[0]
    if r.synthetic:
        darkest, lightest = float(g.min()), float(g.max())
    else:  # a few noisy pixels must not decide
        darkest, lightest = percentiles(g[:: max(h // 128, 1), :: max(w // 128, 1)], (0.2, 99.8))
    if max(level - darkest, lightest - level) < 0.1:
        r.inverted = level > 0.5  # hardly any contrast either way: the paper's own level decides
    else:
        r.inverted = level - darkest > lightest - level
    r.ink = 1.0 - g if r.inverted else g.copy()
    r.notes.append("dark ink on a light background: inverted" if r.inverted else "light ink on a dark background")


def even_lighting(r: Reading) -> None:
    """Uneven light: subtract the paper's level, and for dark ink divide by the paper's brightness."""
    h, w = r.ink.shape
    if min(h, w) >= 16:
        paper = paper_level(r.ink)
        if float(np.max(paper) - np.min(paper)) > 0.08:
            r.notes.append("uneven lighting corrected")
        r.ink = r.ink - paper
        if r.inverted:
            r.ink /= np.maximum(1.0 - paper, np.float32(0.2))
    else:
        frame = frame_of(r.gray)
        r.ink = r.ink - percentiles(frame if not r.inverted else 1.0 - frame, (50,))[0]


def paper_noise(r: Reading) -> None:
    """How noisy the paper is (a dim room's photo), so that sensor noise does not survive as specks."""
    # The faintest ink kept is 4 sigma of the paper's noise, estimated robustly (median absolute deviation:
    # strokes are a small minority of the pixels) before clipping halves it. JPEG's blocks make the noise
    # correlated, so it is measured on the pixels themselves, not on neighbour differences.
    if not r.synthetic:
        h, w = r.ink.shape
        step = max(min(h, w) // 256, 1)
        sub = r.ink[::step, ::step]
        r.noise = _spread(sub)
        rows = sub[:: max(len(sub) // 64, 1)]  # 64 rows tell the grain as well as all of them, for less time
        if rows.shape[1] > 2 and _grain(rows) > GRAINY_PAPER:
            # Grain as strong as a tenth of the ink's contrast breaks strokes into specks at the threshold below:
            # it is averaged away over a pixel or so, much less than a stroke is wide, and measured again.
            r.ink = gaussian_blur(r.ink, DENOISE_SIGMA)
            r.noise = _spread(r.ink[::step, ::step])
            r.notes.append("a grainy photo smoothed")
    r.ink = np.clip(r.ink, 0.0, None)


def _grain(rows: np.ndarray) -> float:
    """One sigma of the picture's grain, from pixels two apart: a shadow or a lamp's light hardly changes over
    two pixels, so what differs there is noise."""
    return 1.4826 * percentiles(np.abs(rows[:, 2:] - rows[:, :-2]), (50,))[0] / np.sqrt(2)


def _spread(values: np.ndarray) -> float:
    """One sigma of values that are mostly paper, robustly (median absolute deviation: strokes are few)."""
    return 1.4826 * percentiles(np.abs(values - percentiles(values, (50,))[0]), (50,))[0]


def printed_lines(r: Reading) -> None:
    """The printed lines of ruled or squared paper, and a notebook's margin, taken out."""
    if r.synthetic or min(r.ink.shape) < 64:
        return
    r.ink, ruled = remove_ruled_lines(r.ink, max(4.0 * r.noise, 0.03))
    if ruled:
        r.notes.append("ruled lines removed")


def strokes(r: Reading) -> None:
    """The pen's strokes alone, their contrast stretched to 0-1: a hand's shadow lifted, and a blank picture, or
    one where only a broad area along the edge stands out, refused (NoInkError)."""
    ink, noise = r.ink, r.noise
    peak = float(ink.max())
    if peak < 0.12 or (noise > 0 and blocks_peak(ink) < 7.0 * noise):
        if noise > BUSY_PICTURE and peak > 0.2:  # not faint: everything stands out, so nothing does
            raise NoInkError("No handwriting found: the whole picture is busy with detail (a photo of a scene or "
                             "a textured surface), not pen strokes on plain paper. Open a picture of digits "
                             "written on paper, taken close up.")
        raise NoInkError("No ink found: the image is blank or too faint. Draw a digit, or open a "
                         "picture with a darker pen on lighter paper (or the reverse).")
    threshold = ink_threshold(ink, peak, noise)
    mask = ink > threshold
    if mask.sum() < 3:
        raise NoInkError("No ink found: only a few faint pixels stand out from the background.")
    if not r.synthetic and mask.mean() > 0.08 and (lifted := lift_shadow(ink, mask, peak)) is not None:
        ink = lifted
        r.notes.append("a shadow on the paper corrected")
        peak = float(ink.max())
        if peak < 0.12:
            raise NoInkError("No ink found: only a shadow stands out from the paper.")
        threshold = ink_threshold(ink, peak, noise)
        mask = ink > threshold
        if mask.sum() < 3:
            raise NoInkError("No ink found: only a shadow stands out from the paper.")
    if not r.synthetic and (lying := objects_on_the_page(ink, mask)) is not None:
        # Its darkness would set the threshold and the contrast: the writing is measured without it.
        ink = np.where(lying, np.float32(0), ink)
        r.notes.append("a pen or other thing lying on the page left out")
        peak = float(ink.max())
        threshold = ink_threshold(ink, peak, noise)
        mask = ink > threshold
        shade = its_shade(lying, ink, mask)
        ink, mask = np.where(shade, np.float32(0), ink), mask & ~shade
    if not r.synthetic and broad_area_at_edge(mask):
        raise NoInkError("No digit found: what stands out from the paper is a broad area reaching the edge of "
                         "the picture (a shadow, or the desk), not pen strokes. Photograph the digit with "
                         "paper all around it and even light.")
    strong = percentiles(ink[mask], (90,))[0]
    lo = np.float32(min(max(0.5 * threshold, 4.0 * noise), 0.8 * strong))  # float32: Pillow's "F" below
    ink = np.clip((ink - lo) / np.float32(max(strong - lo, 1e-3)), 0.0, 1.0)
    ink[ink < 0.05] = 0.0
    r.ink = ink


# Stage 1, in order. ink_map(ruled_lines=False) leaves out `printed_lines`.
INK_STEPS = (find_the_sheet, shadow_across, ink_polarity, even_lighting, paper_noise, printed_lines, strokes)


def ink_map(gray: np.ndarray, max_side: int = MAX_ANALYSIS_SIDE, ruled_lines: bool = True) -> InkMap:
    """Stage 1: luminance (H, W) in [0, 1], any polarity -> the ink alone, at most max_side pixels on its long
    side (INK_STEPS). ruled_lines=False leaves ruled and squared paper's lines in, for a caller that traces lines
    itself. Raises NoInkError."""
    r = Reading.of(gray, max_side)
    for step in INK_STEPS:
        if ruled_lines or step is not printed_lines:
            step(r)
    return InkMap(r.ink, r.inverted, r.notes, r.source_size, r.steps)


def crop_to_ink(ink: np.ndarray, notes: list[str]) -> np.ndarray:
    """The ink's bounding box, ignoring specks far from the mass of it. Raises NoInkError."""
    h, w = ink.shape
    r0, r1 = mass_bounds(ink.sum(axis=1))
    c0, c1 = mass_bounds(ink.sum(axis=0))
    pad_r, pad_c = max((r1 - r0) // 8, 2), max((c1 - c0) // 8, 2)
    r0, r1, c0, c1 = max(r0 - pad_r, 0), min(r1 + pad_r + 1, h), max(c0 - pad_c, 0), min(c1 + pad_c + 1, w)
    region = ink[r0:r1, c0:c1]
    rows, cols = np.nonzero(region > 0.25)
    if len(rows) == 0:
        raise NoInkError("No ink found.")
    region = region[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    if (r1 - r0, c1 - c0) != (h, w) and (np.count_nonzero(ink > 0.25) - len(rows)) > 0:
        notes.append("specks away from the digit ignored")
    return region


def stroke_width_to_mnist(region: np.ndarray, notes: list[str]) -> np.ndarray:
    """The strokes thickened or thinned to MNIST's width, at WORK_SIDE pixels, one pixel of each edge at a
    time, never so far as to erase the digit."""
    work = resize_long_side(region, WORK_SIDE)
    target = MNIST_RELATIVE_STROKE * WORK_SIDE
    area = float((work > 0.5).sum())
    for step in range(8):
        width = stroke_width(work > 0.5)
        if width < 0.7 * target:
            work = grown(work, 1)
            if step == 0:
                notes.append("thin strokes thickened")
        elif width > 1.4 * target:
            thinner = min_3x3(work)
            if (thinner > 0.5).sum() < 0.35 * area:
                break  # never erase the digit
            work = thinner
            if step == 0:
                notes.append("thick strokes thinned")
        else:
            break
    return work


def box_and_centre(work: np.ndarray) -> np.ndarray:
    """Fitted into 20x20, anti-aliased, then its centre of mass at the centre of 28x28, as MNIST's digits were.
    Raises NoInkError."""
    box = np.clip(resize_long_side(work, 20), 0.0, 1.0)
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
    return out


def ink_to_mnist(ink: np.ndarray, inverted: bool = False, notes: list[str] | None = None,
                 whole_picture: bool = False) -> Normalized:
    """Stage 2: an ink map (1 = ink, 0 = nothing) -> MNIST's 28x28: cropped to the ink (specks far from it
    ignored), each stroke's ridge brought to full ink, strokes to MNIST's width, fitted into 20x20 and the centre
    of mass at the centre. Raises NoInkError. `whole_picture`: the ink is all a person gave as one digit, so the
    marks side by side in it are counted (Normalized.side_by_side); a digit the number reader cut out, or a
    training digit, needs no count."""
    notes = list(notes or [])
    ink = np.asarray(ink, np.float32)
    if not ink.size or float(ink.max()) <= 0.25:
        raise NoInkError("No ink found.")
    region = even_ridges(crop_to_ink(ink, notes))
    beside = side_by_side(region) if whole_picture else 1
    if beside > 1:
        notes.append(SEVERAL_NOTE)
    work = stroke_width_to_mnist(region, notes)
    return Normalized(box_and_centre(work), inverted, notes, beside)


def even_ridges(ink: np.ndarray) -> np.ndarray:
    """A digit's strokes brought to full ink along their ridges: every pixel divided by the most ink within a
    stroke's width of it. Out of focus, a thin stroke's ridge falls to half the ink of a thick one's or less, and
    the model saw it faint (an 8 lost its left arcs and read as a 3). Ink whose ridge is below RIDGE_FLOOR of the
    digit's strongest is raised no more than that floor allows: a faint haze stays faint."""
    width = stroke_width(ink > 0.5 * float(ink.max()))
    nearby = grown(ink, max(1, round(width)))
    return np.clip(ink / np.maximum(nearby, np.float32(RIDGE_FLOOR * float(ink.max()))), 0.0, 1.0).astype(np.float32)


def side_by_side(region: np.ndarray) -> int:
    """How many digit-sized marks stand side by side in a crop (at least 2 for one far wider than any digit):
    a number given as one digit is several, a digit in pieces one (the constants above say how)."""
    h, w = region.shape
    inked = region > 0.25
    columns = np.flatnonzero(inked.any(axis=0))
    if len(columns) == 0:
        return 0
    breaks = np.flatnonzero(np.diff(columns) > max(2, int(round(APART * h))))
    starts = np.concatenate([[columns[0]], columns[breaks + 1]])
    ends = np.concatenate([columns[breaks], [columns[-1]]]) + 1
    ink = np.array([float(region[:, a:b].sum()) for a, b in zip(starts, ends)])
    tall = []
    for a, b in zip(starts, ends):
        rows = np.flatnonzero(inked[:, a:b].any(axis=1))
        tall.append(rows[-1] - rows[0] + 1)
    # Measured against the tallest mark, not the crop: the digits of a tilted number stand at different heights.
    marks = int(np.sum((np.array(tall) >= MARK_TALL * max(tall)) & (ink >= MARK_INK * ink.max())))
    if w < SEVERAL_FROM * h:
        marks = min(marks, 1)
    return max(marks, 2) if w >= WIDER_THAN_ONE * h else max(marks, 1)


def normalize_file(path, clean: Clean | None = None) -> Normalized:
    """Open (safely) and normalise an image file. Raises imageio.ImageError or NoInkError."""
    from .imageio import open_image

    return normalize_image(open_image(path), clean)
