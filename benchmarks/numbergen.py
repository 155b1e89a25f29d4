"""Pictures of handwritten numbers made from real MNIST digits, under the conditions people meet: gaps from wide
to touching and a little overlapping, digits broken into pieces, a tilted line of writing, a ruled line through
or under the number, mixed digit sizes, a second line of smaller writing, a card on a desk, a form's printed boxes, a ring or box drawn round the number, separators between the
digits (dates, phone numbers, prices), a shadow across the page, a page photographed at a slant, a pen or a finger on the page, a number written large across a lined page's rules, soft pencil on squared paper, chalk on a blackboard, a form's printed instructions on a line of their own, a
digit scribbled out, and paper and photo effects like benchmarks/imagegen.py's. Used by the tests and by
benchmarks/numbers.py.

    picture, number = number_picture(name, digits, labels, rng)   # PNG or JPEG bytes, and the true number
"""

from __future__ import annotations

import numpy as np
from PIL import Image

import imagegen

# Gaps between neighbouring digits' ink, as a fraction of the digit height; negative gaps overlap.
SPACINGS = {"wide": (0.35, 0.6), "normal": (0.08, 0.2), "tight": (0.01, 0.05), "touching": (-0.06, -0.02),
            "overlap": (-0.14, -0.08)}
# Digits overlap a little: by at most this share of the narrower one's width. A hand does not write a digit over
# most of the one before (a 1 a sixth of a height wide would otherwise hide wholly inside its neighbour's box).
OVERLAP_MOST = 1 / 3


# Each digit's (x, y, w, h) ink box in the last number composed, None for a digit without ink: what a picture
# shows where it is not turned or cropped afterwards (benchmarks/fit_split.py learns from these).
LAST_BOXES: list = []
# Each digit's ink as drawn in the last number given (`number_picture`: a digit crossed out left out), before paper
# and photo: what a classifier reading each digit alone sees (benchmarks/numbers.py's "alone" figures).
LAST_INKS: list = []


def digit_ink(digit: np.ndarray, height: int, width_factor: float) -> np.ndarray:
    """One digit as an ink map `height` pixels tall, cropped to its ink's columns (rows keep the digit's box)."""
    ink = imagegen._ink(digit, height, width_factor)
    cols = np.flatnonzero(ink.max(axis=0) > 0.2)
    return ink[:, cols.min(): cols.max() + 1] if len(cols) else ink


def break_stroke(ink: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Erase a thin band across the digit so that it falls into pieces, as a pen lifted mid-digit does (a 5's
    flag apart from its body, a 4 or 7 drawn in two strokes)."""
    h, w = ink.shape
    out = ink.copy()
    y = int(h * rng.uniform(0.3, 0.55))
    band = max(int(0.05 * h), 2)
    slope = rng.uniform(-0.3, 0.3)
    for x in range(w):
        yy = int(y + slope * (x - w / 2))
        out[max(yy, 0): max(yy + band, 0), x] = 0
    return out


def compose(digits: np.ndarray, rng: np.random.Generator, height: int = 120, spacing: str = "normal",
            width_factor: float = 0.6, broken: float = 0.0, sizes: tuple[float, float] = (1.0, 1.0),
            margin: float = 0.6) -> np.ndarray:
    """The number's ink map: digits left to right on one baseline, with the given gaps."""
    lo, hi = SPACINGS[spacing]
    inks = []
    for d in digits:
        h = int(height * rng.uniform(*sizes))
        ink = digit_ink(d, h, width_factor)
        if broken and rng.random() < broken:
            ink = break_stroke(ink, rng)
        inks.append(ink)
    gaps = [int(round(height * rng.uniform(lo, hi))) for _ in inks[1:]]
    gaps = [max(g, -int(OVERLAP_MOST * min(a.shape[1], b.shape[1]))) for g, a, b in zip(gaps, inks, inks[1:])]
    pad = int(height * margin)
    width = sum(i.shape[1] for i in inks) + sum(gaps) + 2 * pad
    out = np.zeros((height + 2 * pad, max(width, 1)), np.float32)
    x = pad
    LAST_BOXES.clear()
    LAST_INKS[:] = inks
    for k, ink in enumerate(inks):
        h, w = ink.shape
        top = pad + (height - h) + int(rng.integers(-height // 20, height // 20 + 1))  # on the baseline, a little off
        top = min(max(top, 0), out.shape[0] - h)
        out[top: top + h, x: x + w] = np.maximum(out[top: top + h, x: x + w], ink)
        rows = np.flatnonzero(ink.max(axis=1) > 0.2)
        LAST_BOXES.append((x, top + int(rows.min()), w, int(rows.max() - rows.min() + 1)) if len(rows) else None)
        x += w + (gaps[k] if k < len(gaps) else 0)
    return out


def _paper(ink: np.ndarray, rng, lamp: float = 0.2, level: float = 0.86, contrast: float = 0.8,
           noise: float = 0.015) -> np.ndarray:
    lum = level * imagegen._lamp(ink.shape, lamp) / 0.9 * (1 - contrast * ink)
    return lum + rng.normal(0, noise, ink.shape)


def _with_line(ink: np.ndarray, rng, where: str) -> np.ndarray:
    """A pen line drawn under the number (touching its feet) or through its middle, a little wavy."""
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    cols = np.flatnonzero(ink.max(axis=0) > 0.2)
    top, bottom = rows.min(), rows.max()
    y = bottom + 1 if where == "under" else int((top + bottom) / 2 + rng.uniform(-0.1, 0.1) * (bottom - top))
    thick = max(int(0.04 * (bottom - top)), 2)
    out = ink.copy()
    x0, x1 = max(cols.min() - int(0.2 * (bottom - top)), 0), min(cols.max() + int(0.2 * (bottom - top)), ink.shape[1])
    phase = rng.uniform(0, 6.28)
    for x in range(x0, x1):
        yy = int(y + 2 * np.sin(phase + x / 60))
        out[yy: yy + thick, x] = np.maximum(out[yy: yy + thick, x], 0.9)
    return out


def _turn(a: np.ndarray, degrees: float, fill: float) -> np.ndarray:
    return np.asarray(Image.fromarray(a.astype(np.float32), mode="F").rotate(
        degrees, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=fill), dtype=np.float32)


def _png(lum):
    return imagegen._png(lum)


def _jpeg(lum, **kw):
    return imagegen._jpeg(np.clip(lum, 0, 1), **kw)


def _spacing(name):
    def make(digits, rng):
        ink = compose(digits, rng, spacing=name)
        return _png(0.96 * (1 - 0.9 * ink) + rng.normal(0, 0.01, ink.shape))
    make.__doc__ = f"A scan of pen on white paper, {name} gaps between the digits."
    return make


def canvas(digits, rng):
    """Drawn on the app's canvas: dark ink on flat light paper, thick strokes, no noise."""
    return _png(0.98 - 0.9 * compose(digits, rng, height=100, spacing="normal", width_factor=1.2))


def broken(digits, rng):
    """Every other digit (at random) broken into two pieces by a lifted pen."""
    return _png(0.96 * (1 - 0.9 * compose(digits, rng, spacing="normal", broken=0.5)))


def skewed(digits, rng):
    """The line of writing 3-8 degrees off horizontal, either way; a phone photo."""
    ink = compose(digits, rng, spacing="normal", width_factor=0.5)
    ink = _turn(ink, rng.uniform(3, 8) * rng.choice([-1, 1]), 0.0)
    return _jpeg(_paper(ink, rng))


def steep(digits, rng):
    """The line of writing 12-25 degrees off horizontal, either way (a page held askew, a photo taken at a slant);
    a phone photo."""
    ink = compose(digits, rng, spacing="normal", width_factor=0.5)
    ink = _turn(ink, rng.uniform(12, 25) * rng.choice([-1, 1]), 0.0)
    return _jpeg(_paper(ink, rng))


def line_under(digits, rng):
    """A line drawn under the number, touching the digits' feet."""
    return _png(0.96 * (1 - 0.9 * _with_line(compose(digits, rng, spacing="normal"), rng, "under")))


def line_through(digits, rng):
    """A ruled line through the middle of the digits (writing on a line, or crossed out)."""
    return _png(0.96 * (1 - 0.9 * _with_line(compose(digits, rng, spacing="normal"), rng, "through")))


def mixed_sizes(digits, rng):
    """Digits of uneven size (60-100 % of the tallest), as people write quickly."""
    return _png(0.96 * (1 - 0.9 * compose(digits, rng, spacing="normal", sizes=(0.6, 1.0))))


def two_lines(digits, rng):
    """The number with a shorter line of smaller writing above or below it (a date under a phone number, a
    reference over a postcode), the page turned up to 3 degrees either way. The number is the line to read."""
    main = compose(digits, rng, spacing="normal")
    boxes, inks = list(LAST_BOXES), list(LAST_INKS)
    k = max(1, min(int(rng.integers(2, 5)), len(digits) - 1))
    other = compose(digits[rng.permutation(len(digits))[:k]], rng, spacing="normal", sizes=(0.6, 0.8))
    LAST_BOXES[:], LAST_INKS[:] = boxes, inks  # the number's, not the other line's
    rows_main, rows_other = np.flatnonzero(main.max(axis=1) > 0.2), np.flatnonzero(other.max(axis=1) > 0.2)
    gap = int(120 * rng.uniform(0.25, 0.6))  # between the two lines' ink
    shift = int(rng.integers(0, max(main.shape[1] - other.shape[1], 0) + 1))
    if rng.random() < 0.5:  # below: the other line's ink starts `gap` under the number's
        top_main, top_other = 0, rows_main[-1] + gap - rows_other[0]
    else:
        top_main, top_other = max(rows_other[-1] + gap - rows_main[0], 0), 0
    out = np.zeros((max(top_main + main.shape[0], top_other + other.shape[0]),
                    max(main.shape[1], shift + other.shape[1])), np.float32)
    out[top_main: top_main + main.shape[0], : main.shape[1]] = main
    region = out[top_other: top_other + other.shape[0], shift: shift + other.shape[1]]
    np.maximum(region, other, out=region)
    ink = _turn(out, rng.uniform(-3, 3), 0.0)
    return _png(0.96 * (1 - 0.9 * ink) + rng.normal(0, 0.01, ink.shape))


def card_on_desk(digits, rng, desk: tuple[float, float] = (1.25, 1.6)):
    """The number on a card or sticky note lying on a darker desk, turned 2-8 degrees either way, photographed from
    a little off square: the picture's border is desk, with its grain, tone and the card's shadow. desk: the
    picture's width in card widths."""
    from PIL import ImageDraw, ImageFilter

    ink = compose(digits, rng, height=120, spacing="normal", width_factor=float(rng.uniform(0.4, 0.8)), margin=0.4)
    ih, iw = ink.shape
    wide = rng.uniform(*desk)
    w, h = int(iw * wide), int(ih * wide * rng.uniform(1.45, 1.65))
    cx, cy = w * rng.uniform(0.45, 0.55), h * rng.uniform(0.42, 0.58)
    turn = float(rng.uniform(2, 8) * rng.choice([-1, 1]))
    angle = np.deg2rad(turn)
    cw, ch = iw * 1.06, ih * 1.1

    def mask(ox=0.0, oy=0.0, blur=1.5):
        corners = [(cx + ox + dx * np.cos(angle) - dy * np.sin(angle), cy + oy + dx * np.sin(angle) + dy * np.cos(angle))
                   for dx, dy in ((-cw / 2, -ch / 2), (cw / 2, -ch / 2), (cw / 2, ch / 2), (-cw / 2, ch / 2))]
        m = Image.new("L", (w, h), 0)
        ImageDraw.Draw(m).polygon(corners, fill=255)
        return np.asarray(m.filter(ImageFilter.GaussianBlur(blur)), np.float32) / 255

    card, drop = mask(), mask(0.01 * w, 0.02 * h, 10)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.deg2rad(rng.uniform(0, 180))
    grain = np.sin((xx * np.cos(along) + yy * np.sin(along)) / rng.uniform(6, 30)) * rng.uniform(0, 0.04)
    desk = (rng.uniform(0.12, 0.45) + grain) * (1 - 0.35 * drop)
    placed = np.zeros((h, w), np.float32)
    top, left = int(cy - ih / 2), int(cx - iw / 2)
    placed[top: top + ih, left: left + iw] = ink
    placed = np.asarray(Image.fromarray(placed, mode="F").rotate(-turn, resample=Image.Resampling.BILINEAR,
                                                                 center=(cx, cy)))
    paper = rng.uniform(0.78, 0.95) * imagegen._lamp((h, w), rng.uniform(0.05, 0.25)) / 0.9
    lum = desk * (1 - card) + paper * (1 - rng.uniform(0.6, 0.85) * placed) * card
    lum = imagegen._perspective(lum, rng, 0.03) + rng.normal(0, rng.uniform(0.01, 0.025), (h, w))
    return _jpeg(lum)


def small_card(digits, rng):
    """The card on the desk photographed from further off: a third of the picture's width, which is up to 4,000
    pixels wide, as phones take them."""
    return card_on_desk(digits, rng, desk=(2.5, 3.5))


def phone_photo(digits, rng):
    """A phone photo of ballpoint on paper under a lamp: thin strokes, gradient light, sensor noise, JPEG."""
    ink = compose(digits, rng, height=160, spacing="normal", width_factor=0.45)
    return _jpeg(_paper(ink, rng, lamp=0.35, level=0.82, contrast=0.75, noise=0.02))


def out_of_focus(digits, rng):
    """The phone photo out of focus: the strokes blurred by 1.5-3 pixels (one to two hundredths of the digits'
    height), so a thin stroke keeps half its darkness or less beside a thick one, with the sensor's noise on top."""
    ink = compose(digits, rng, height=160, spacing="normal", width_factor=0.45)
    ink = _blurred(ink, float(rng.uniform(1.5, 3.0)))
    return _jpeg(_paper(ink, rng, lamp=0.35, level=0.82, contrast=0.75, noise=0.02))


def shadow_across(digits, rng):
    """The phone photo with a hard-edged shadow (the phone's or a hand's) over 30-70 % of the page, dimming the
    paper to 45-75 % of its light: the number's digits on either side of its edge, or across it."""
    ink = compose(digits, rng, height=160, spacing="normal", width_factor=0.45)
    lum = _paper(ink, rng, lamp=0.35, level=0.82, contrast=0.75, noise=0.02)
    return _jpeg(lum * (1 - imagegen.shade(ink.shape, rng)))


def at_a_slant(page: np.ndarray, rng, side: str, slant: float) -> np.ndarray:
    """A page's luminance photographed at a slant: its `side` ("top", "bottom", "left" or "right") further from
    the phone and narrower by `slant` of the page's width, the page's corners at the frame's, and the desk (its
    tone and grain) showing past the converging edges."""
    h, w = page.shape
    s = slant * w
    t = s * h / w
    quad = {"top": (-s, 0, 0, h, w, h, w + s, 0), "bottom": (0, 0, -s, h, w + s, h, w, 0),
            "left": (0, -t, 0, h + t, w, h, w, 0), "right": (0, 0, 0, h, w, h + t, w, -t)}[side]

    def seen(a):  # what the phone sees of the page's plane: outside the page, nothing
        return np.asarray(Image.fromarray(np.asarray(a, np.float32), mode="F").transform(
            (w, h), Image.Transform.QUAD, quad, Image.Resampling.BILINEAR, fillcolor=0.0), np.float32)

    on_page = seen(np.ones_like(page))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.deg2rad(rng.uniform(0, 180))
    grain = np.sin((xx * np.cos(along) + yy * np.sin(along)) / rng.uniform(6, 30)) * rng.uniform(0, 0.04)
    desk = rng.uniform(0.12, 0.5) + grain
    return desk * (1 - on_page) + seen(page)


def slanted_page(digits, rng):
    """A phone photo of a page taken at a slant, the page filling the frame: its far side narrower by 8-20 % of
    its width (any side), the desk showing past its converging edges; the number 45-80 % of the page's width."""
    ink = compose(digits, rng, height=int(rng.integers(90, 161)), spacing="normal", width_factor=0.45)
    ih, iw = ink.shape
    w = int(iw / rng.uniform(0.45, 0.8))
    h = max(int(w * rng.uniform(0.6, 0.8)), 2 * ih)
    page_ink = np.zeros((h, w), np.float32)
    top, left = int(rng.uniform(0.25, 0.6) * (h - ih)), (w - iw) // 2
    page_ink[top: top + ih, left: left + iw] = ink
    lum = _paper(page_ink, rng, lamp=0.3, level=0.85, contrast=0.75, noise=0.0)
    side = str(rng.choice(["top", "bottom", "left", "right"]))
    lum = at_a_slant(lum, rng, side, float(rng.uniform(0.08, 0.2)))
    return _jpeg(lum + rng.normal(0, 0.015, lum.shape))


def _blurred(mask: np.ndarray, radius: float) -> np.ndarray:
    from PIL import ImageFilter

    img = Image.fromarray((np.clip(mask, 0, 1) * 255).astype(np.uint8))
    return np.asarray(img.filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255


def _bar(shape, middle, length, thick, angle) -> np.ndarray:
    """A straight bar's mask (a pen's body, its highlight), its edges a little soft."""
    from PIL import ImageDraw

    m = Image.new("L", (shape[1], shape[0]), 0)
    dx, dy = np.cos(angle) * length / 2, np.sin(angle) * length / 2
    ImageDraw.Draw(m).line([(middle[0] - dx, middle[1] - dy), (middle[0] + dx, middle[1] + dy)], fill=255,
                           width=max(int(thick), 1))
    return _blurred(np.asarray(m, np.float32) / 255, 1.0)


def lying_on_the_page(lum: np.ndarray, ink: np.ndarray, rng, thing: str, height: float) -> np.ndarray:
    """The page's luminance with a thing lying on it beside the writing (`ink`, digits `height` pixels tall),
    never over it: a "pen" (its body 0.5-1 heights thick and 8-14 long, any tone from black to grey, with a
    highlight along it and a soft shadow), nearly level above or below the number or nearly upright beside it,
    often running off the frame; or a "finger" holding the page, a broad skin-toned tip from the frame's edge."""
    from PIL import ImageDraw, ImageFilter

    h, w = lum.shape
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    top, bottom, left, right = rows.min(), rows.max(), cols.min(), cols.max()
    near = np.asarray(Image.fromarray((ink > 0.2).astype(np.uint8) * 255).filter(ImageFilter.MaxFilter(13))) > 0
    if thing == "finger":
        r = height * rng.uniform(0.8, 1.3)
        side = str(rng.choice(["left", "right", "bottom"]))
        m = Image.new("L", (w, h), 0)
        if side == "left":
            cx, cy = rng.uniform(-0.5, 0.3) * r, rng.uniform(0.2, 0.8) * h
            box = [cx - 3 * r, cy - r, cx + r, cy + r]
        elif side == "right":
            cx, cy = w - rng.uniform(-0.5, 0.3) * r, rng.uniform(0.2, 0.8) * h
            box = [cx - r, cy - r, cx + 3 * r, cy + r]
        else:
            cx, cy = rng.uniform(0.2, 0.8) * w, h - rng.uniform(-0.5, 0.3) * r
            box = [cx - r, cy - r, cx + r, cy + 3 * r]
        ImageDraw.Draw(m).ellipse(box, fill=255)
        tip = _blurred(np.asarray(m, np.float32) / 255, 3) * ~near
        return lum * (1 - tip) + rng.uniform(0.45, 0.7) * tip
    for _ in range(50):  # placed clear of the writing
        thick, length = height * rng.uniform(0.5, 1.0), height * rng.uniform(8, 14)
        if rng.random() < 0.7:  # above or below the number, nearly level
            angle = rng.uniform(-0.3, 0.3)
            off = thick / 2 + rng.uniform(0.1, 1.0) * height
            middle = (w * rng.uniform(0.3, 0.7), bottom + off if rng.random() < 0.5 else top - off)
        else:  # beside it, nearly upright
            angle = np.pi / 2 + rng.uniform(-0.3, 0.3)
            off = thick / 2 + rng.uniform(0.1, 0.8) * height
            middle = (left - off if rng.random() < 0.5 else right + off, h * rng.uniform(0.3, 0.7))
        body = _bar(lum.shape, middle, length, thick, angle)
        if not (body > 0.05)[near].any():
            break
    else:
        return lum
    shade = _blurred(_bar(lum.shape, (middle[0] + 0.15 * thick, middle[1] + 0.3 * thick), length, thick, angle),
                     thick / 4)
    gloss = _bar(lum.shape, (middle[0], middle[1] - 0.2 * thick), 0.9 * length, 0.15 * thick, angle)
    tone = rng.uniform(0.08, 0.55) + 0.3 * gloss
    return lum * (1 - 0.3 * shade * (1 - body)) * (1 - body) + tone * body


def pen_on_the_page(digits, rng):
    """A phone photo of a number with a pen lying on the page beside it (3 in 4) or a fingertip holding the
    page at its edge (1 in 4): lying_on_the_page."""
    height = int(rng.integers(90, 161))
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=0.45)
    ih, iw = ink.shape
    h, w = int(ih * rng.uniform(2.0, 3.0)), int(iw * rng.uniform(1.1, 1.4))
    page = np.zeros((h, w), np.float32)
    top, left = int(rng.uniform(0.2, 0.5) * (h - ih)), (w - iw) // 2
    page[top: top + ih, left: left + iw] = ink
    lum = _paper(page, rng, lamp=0.3, level=0.85, contrast=0.75, noise=0.0)
    lum = lying_on_the_page(lum, page, rng, "pen" if rng.random() < 0.75 else "finger", height)
    return _jpeg(lum + rng.normal(0, 0.015, lum.shape))


def pencil(digits, rng):
    """Soft pencil: faint, grainy strokes."""
    ink = compose(digits, rng, height=140, spacing="normal", width_factor=0.6)
    grain = np.clip(rng.normal(0.75, 0.2, ink.shape), 0.2, 1.0)
    return _jpeg(_paper(ink * grain, rng, lamp=0.15, contrast=0.4), tint=(1.0, 1.0, 1.0))


def dim_photo(digits, rng):
    """A dim room: dark paper, little contrast, heavy noise, strong JPEG."""
    ink = compose(digits, rng, height=140, spacing="normal", width_factor=0.5)
    return _jpeg(_paper(ink, rng, lamp=0.3, level=0.4, contrast=0.6, noise=0.04), quality=60)


def whiteboard(digits, rng):
    """Marker on a whiteboard, photographed: thick strokes, glare across the board."""
    ink = compose(digits, rng, height=120, spacing="normal", width_factor=1.6)
    h, w = ink.shape
    glare = 0.08 * np.exp(-((np.arange(w)[None, :] - w * 0.7) ** 2) / (2 * (w * 0.15) ** 2))
    return _jpeg(np.clip(0.9 + glare - 0.75 * ink, 0, 1) + rng.normal(0, 0.015, ink.shape), tint=(0.98, 1.0, 1.0))


def chalkboard(digits, rng):
    """Chalk on a green blackboard, photographed: light, thick, grainy strokes on a dark board."""
    ink = compose(digits, rng, height=120, spacing="normal", width_factor=0.9)
    h, w = ink.shape
    grain = np.clip(rng.normal(0.85, 0.15, (h, w)), 0.3, 1.0)  # chalk leaves the board's texture in its strokes
    lum = 0.18 + rng.normal(0, 0.02, (h, w)) + 0.6 * ink * grain
    return _jpeg(lum, tint=(0.8, 1.0, 0.85))


LABELS = ("Tel.", "Telephone number:", "Postcode", "Order no:", "Account number", "Ref", "Date of birth", "Phone",
          "Customer reference:", "Amount")
LABEL_FONTS = ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSerif", "DejaVuSerif-Bold")


def _label_font(rng, size: int):
    from PIL import ImageFont

    try:
        return ImageFont.truetype(f"/usr/share/fonts/truetype/dejavu/{rng.choice(LABEL_FONTS)}.ttf", size)
    except OSError:  # no DejaVu fonts (Debian's fonts-dejavu-core): Pillow's own
        return ImageFont.load_default(size)


def printed_label(digits, rng):
    """A scanned form: a printed label, 25-40 % of the digits' height, over the handwritten number (half the time)
    or before it on its baseline."""
    from PIL import ImageDraw

    height = 120
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=float(rng.uniform(0.45, 0.7)))
    h, w = ink.shape
    pad = int(0.6 * height)
    font = _label_font(rng, int(height * rng.uniform(0.25, 0.4)))
    label = str(rng.choice(LABELS))
    length = int(ImageDraw.Draw(Image.new("L", (1, 1))).textlength(label, font=font))
    if rng.random() < 0.5:  # over the number, its baseline 15-40 % of a height above the number's box
        above = int(height * 0.6)
        baseline = pad + above - int(height * rng.uniform(0.15, 0.4))
        page = Image.new("F", (max(w, length + pad), h + above), 0.0)
        ImageDraw.Draw(page).text((pad, baseline), label, font=font, fill=0.95, anchor="ls")
        out = np.asarray(page).copy()
        np.maximum(out[above:, :w], ink, out=out[above:, :w])
    else:  # before it, on its baseline
        room = length + int(height * rng.uniform(0.2, 0.5))
        page = Image.new("F", (w + room, h), 0.0)
        ImageDraw.Draw(page).text((pad // 2, pad + height), label, font=font, fill=0.95, anchor="ls")
        out = np.asarray(page).copy()
        np.maximum(out[:, room:], ink, out=out[:, room:])
    return _png(0.96 * (1 - 0.9 * out) + rng.normal(0, 0.01, out.shape))


INSTRUCTIONS = ("Please write your account number in the box below", "Telephone number (daytime)",
                "Total amount due including VAT", "Membership number", "Write the postcode of your home address here",
                "Order reference as shown on your invoice", "Enter the meter reading", "Your customer number",
                "Card number (16 digits, no spaces)", "Date of birth (DD MM YYYY)")


def printed_line(digits, rng):
    """A scanned form: its printed instructions on a line of their own, 25-50 % of the digits' height, over the
    handwritten number (two times in three) or under it, 0.4-1 of a height away. Longer than a short number, the
    sentence holds more ink than its digits."""
    from PIL import ImageDraw

    height = 120
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=float(rng.uniform(0.45, 0.7)))
    h, w = ink.shape
    font = _label_font(rng, int(height * rng.uniform(0.25, 0.5)))
    text = str(rng.choice(INSTRUCTIONS))
    left, top, right, bottom = ImageDraw.Draw(Image.new("L", (1, 1))).textbbox((0, 0), text, font=font)
    pad, gap = int(0.4 * height), int(height * rng.uniform(0.4, 1.0))
    indent = int(rng.uniform(0, 0.5) * max(w - (right - left), 0))
    page = Image.new("F", (max(w, right - left + indent) + 2 * pad, h + (bottom - top) + gap + 2 * pad), 0.0)
    over = rng.random() < 2 / 3
    text_y = pad - top if over else pad + h + gap - top
    ImageDraw.Draw(page).text((pad + indent - left, text_y), text, font=font, fill=0.95)
    out = np.asarray(page).copy()
    y0 = pad + (bottom - top) + gap if over else pad
    np.maximum(out[y0:y0 + h, pad:pad + w], ink, out=out[y0:y0 + h, pad:pad + w])
    return _png(0.96 * (1 - 0.9 * out) + rng.normal(0, 0.01, out.shape))


def scribble_over(ink: np.ndarray, box, rng, height: int, style: str | None = None) -> None:
    """A digit scribbled out, in place: a zigzag of 5-9 strokes across its box (level or tilted a little; three
    times in five), or loops drawn along it from side to side, in a pen 3-7 % of the writing's height wide.
    `style`: "zigzag" or "loops" (default: drawn at random)."""
    from PIL import ImageDraw

    x, y, w, h = box
    if w < 0.6 * h:  # a hand scribbles over a digit's room, however narrow the digit (a 1)
        x, w = x + w / 2 - 0.3 * h, 0.6 * h
    page = Image.fromarray(np.zeros(ink.shape, np.float32), mode="F")
    pen = max(int(height * rng.uniform(0.03, 0.07)), 2)
    reach = 0.1 * w  # the hand goes a little past the digit's sides
    if (style or ("zigzag" if rng.random() < 0.6 else "loops")) == "zigzag":
        passes, tilt = int(rng.integers(5, 10)), rng.uniform(-0.15, 0.15) * h
        points = []
        for k in range(passes):
            for side in (0, 1):
                t = (k + 0.5 * side + rng.uniform(0, 0.3)) / passes
                px = x - reach + side * (w + 2 * reach) + rng.uniform(-0.05, 0.05) * w
                points.append((px, y + t * h + (side - 0.5) * tilt))
        if rng.random() < 0.5:
            points.reverse()
    else:  # loops drawn along it from one side to the other, a coil ("llll") as tall as the digit
        turns, t = rng.uniform(4, 7), np.linspace(0, 1, 600)
        angle = 2 * np.pi * turns * t
        rx, ry = rng.uniform(0.15, 0.25) * w, rng.uniform(0.45, 0.55) * h
        cx = x - reach + rx + t * (w + 2 * reach - 2 * rx)
        points = list(zip(cx + rx * np.cos(angle), y + h / 2 + ry * np.sin(angle)))
    ImageDraw.Draw(page).line(points, fill=0.95, width=pen, joint="curve")
    np.maximum(ink, np.asarray(page), out=ink)


def crossed_out(digits, rng):
    """A number with a digit scribbled out (taken back, the right one written after it): a phone photo's paper.
    The number it shows leaves that digit out (`number_picture`)."""
    height = 120
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=float(rng.uniform(0.5, 0.8)))
    k = int(rng.integers(len(digits)))
    scribble_over(ink, LAST_BOXES[k], rng, height)
    return _png(np.clip(_paper(ink, rng), 0, 1)), k


def _ring_points(box, rng, height: int) -> list[tuple[float, float]]:
    """A ring drawn by hand round a box: an ellipse through the box's corners' neighbourhood, wobbling, tilted a
    little, its ends overlapping or leaving a small gap."""
    x0, y0, x1, y1 = box
    cx, cy, a, b = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
    start = rng.uniform(0, 2 * np.pi)
    sweep = 2 * np.pi + rng.uniform(-0.15, 0.4)  # a gap of up to 9 degrees, or an overlap of up to 23
    tilt = np.radians(rng.uniform(-4, 4))
    phases, sizes = rng.uniform(0, 2 * np.pi, 3), rng.uniform(0, 0.04, 3)
    # the hand spirals a little: the end comes back up to 5 % of a height inside or outside the start
    spiral = rng.uniform(-0.05, 0.05) * height / max(b, 1)
    points = []
    for t in np.linspace(start, start + sweep, 240):
        wobble = 1 + sum(s * np.sin(k * t + p) for k, s, p in zip((2, 3, 5), sizes, phases))
        r = wobble + (t - start) / sweep * spiral
        px, py = a * r * np.cos(t), b * r * np.sin(t)
        points.append((cx + px * np.cos(tilt) - py * np.sin(tilt), cy + px * np.sin(tilt) + py * np.cos(tilt)))
    return points


def hand_drawn_box(draw, box, rng, height: float, pen: int) -> None:
    """A box drawn by hand round `box` (x0, y0, x1, y1) in four strokes, each end up to 3 % of `height` off, the
    corners overshooting by up to 12 %."""
    x0, y0, x1, y1 = box

    def over():
        return height * rng.uniform(0.0, 0.12)

    def jitter():
        return height * rng.uniform(-0.03, 0.03)

    for a, b in (((x0 - over(), y0 + jitter()), (x1 + over(), y0 + jitter())),
                 ((x1 + jitter(), y0 - over()), (x1 + jitter(), y1 + over())),
                 ((x1 + over(), y1 + jitter()), (x0 - over(), y1 + jitter())),
                 ((x0 + jitter(), y1 + over()), (x0 + jitter(), y0 - over()))):
        draw.line([a, b], fill=0.9, width=pen)


def ringed(digits, rng):
    """A phone photo of a number with a ring (two times in three) or a box drawn round it by hand in the same pen,
    as people mark an answer or a total: a little clear of the digits, wobbling, its ends overlapping or not quite
    meeting; a box of four strokes whose corners overshoot."""
    from PIL import ImageDraw

    height = 140
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=0.5, margin=1.0)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.2), np.flatnonzero(ink.max(axis=0) > 0.2)
    pad = height * rng.uniform(0.12, 0.3)
    x0, y0, x1, y1 = cols.min() - pad, rows.min() - pad, cols.max() + pad, rows.max() + pad
    ring = rng.random() < 2 / 3
    if ring:  # an ellipse round a long box must reach past its corners: its half-axes a diagonal's share longer
        stretch = (1.15, 1.35)
        grow_x, grow_y = (x1 - x0) * (rng.uniform(*stretch) - 1) / 2, (y1 - y0) * (rng.uniform(*stretch) - 1) / 2
        x0, y0, x1, y1 = x0 - grow_x, y0 - grow_y, x1 + grow_x, y1 + grow_y
    # paper round it all, the ring's wobble and a box's overshoot included
    room_x = int(max(0, -x0, x1 - ink.shape[1] + 1) + 0.25 * height)
    room_y = int(max(0, -y0, y1 - ink.shape[0] + 1) + 0.25 * height)
    ink = np.pad(ink, ((room_y, room_y), (room_x, room_x)))
    x0, x1, y0, y1 = x0 + room_x, x1 + room_x, y0 + room_y, y1 + room_y
    frame = Image.new("F", (ink.shape[1], ink.shape[0]), 0.0)
    draw, pen = ImageDraw.Draw(frame), max(int(height * rng.uniform(0.03, 0.06)), 2)
    if ring:
        box = (x0, y0, x1, y1)
        draw.line(_ring_points(box, rng, height), fill=0.9, width=pen, joint="curve")
    else:
        hand_drawn_box(draw, (x0, y0, x1, y1), rng, height, pen)
    out = np.maximum(ink, np.asarray(frame))
    return _jpeg(_paper(out, rng, lamp=0.3, level=0.84, contrast=0.8, noise=0.02))


def form_boxes(digits, rng):
    """A scanned form: each digit written in its own printed box (a comb field), the print paler than the pen."""
    height, width_factor = 100, 0.7
    inks = [digit_ink(d, height, width_factor) for d in digits]
    LAST_INKS[:] = inks
    cell_w, cell_h = int(height * 1.0), int(height * 1.35)
    pad = int(0.6 * height)
    out_h, out_w = cell_h + 2 * pad, cell_w * len(inks) + 2 * pad
    ink = np.zeros((out_h, out_w), np.float32)
    lines = np.zeros_like(ink)
    thick = 3
    top, bottom = pad, pad + cell_h
    lines[top: top + thick, pad: pad + cell_w * len(inks) + thick] = 1
    lines[bottom: bottom + thick, pad: pad + cell_w * len(inks) + thick] = 1
    for k, d in enumerate(inks):
        x = pad + k * cell_w
        lines[top: bottom + thick, x: x + thick] = 1
        h, w = d.shape
        dx = x + (cell_w - w) // 2 + int(rng.integers(-height // 12, height // 12 + 1))
        dy = top + (cell_h - h) // 2 + int(rng.integers(-height // 12, height // 12 + 1))
        ink[dy: dy + h, dx: dx + w] = np.maximum(ink[dy: dy + h, dx: dx + w], d)
    x = pad + len(inks) * cell_w
    lines[top: bottom + thick, x: x + thick] = 1
    lum = 0.97 * (1 - 0.45 * lines) * (1 - 0.9 * ink) + rng.normal(0, 0.008, ink.shape)
    return _png(lum)


def _ruled_page(digits, rng, squared: bool, margin: bool = True, pencil: bool = False, large: bool = False) -> bytes:
    """Blue ballpoint (or soft pencil) on a notebook page under a lamp, photographed: pale printed rules, JPEG.
    `large`: the number written across three or four of a lined page's rules."""
    height = 120
    # Written large, the number is photographed close: the picture's rules are mostly the ones it crosses.
    ink = compose(digits, rng, height=height, spacing="normal", width_factor=0.5, margin=0.5 if large else 0.9)
    if pencil:  # grey and grainy, about as pale as the rules
        ink = ink * np.clip(rng.normal(0.75, 0.2, ink.shape), 0.2, 1.0) * rng.uniform(0.45, 0.65)
    h, w = ink.shape
    rows = np.flatnonzero(ink.max(axis=1) > 0.2)
    shade = rng.uniform(0.0, 1.0)  # from the palest rules to ones half as dark as the pen
    rule = np.array([0.72, 0.81, 0.93]) * (1 - shade) + np.array([0.5, 0.58, 0.75]) * shade
    if large:  # some pads' rules are a deeper blue
        rule = rule + rng.uniform(0.0, 1.0) * (np.array([0.52, 0.67, 0.88]) - rule)
    page = np.ones((h, w, 3), np.float32) * np.array([0.95, 0.95, 0.93])
    if squared:
        step = int(rng.uniform(0.35, 0.6) * height)
        first = int(rng.integers(0, step))
        for k in range(first, max(h, w), step):
            page[k: k + 2] = rule
            page[:, k: k + 2] = rule
    elif margin:
        # The number written on a rule, the next rules a line's height above and below; a red margin on the left.
        step = int(rng.uniform(0.25, 0.4) * height) if large else int(rng.uniform(0.9, 1.4) * height)
        for k in range(int(rows.max()) % step, h, step):
            page[k: k + 2] = rule
        left = int(rng.uniform(0.15, 0.6) * 0.9 * height)
        page[:, left: left + 2] = [0.9, 0.5, 0.5]
    else:
        # Narrow rules the digits cross, written without regard to them; the photo taken inside the margin.
        step = int(rng.uniform(0.45, 0.8) * height)
        for k in range(int(rng.integers(0, step)), h, step):
            page[k: k + 2] = rule
    pen = np.array([0.2, 0.2, 0.22]) if pencil else np.array([0.15, 0.2, 0.55])
    if large:  # ballpoints differ: from the usual blue to a darker, deeper one
        pen = pen + rng.uniform(0.0, 1.0) * (np.array([0.08, 0.1, 0.45]) - pen)
    rgb = page * (1 - ink[..., None]) + pen * ink[..., None]
    rgb = rgb * imagegen._lamp((h, w), 0.25)[..., None] / 0.9 + rng.normal(0, 0.015, (h, w, 1))
    return _jpeg(rgb.astype(np.float32))


def lined_paper(digits, rng):
    """A lined notebook page: the number written on one of its pale blue rules, with the rules above and below, a
    red margin line from the top of the page to the bottom at its left."""
    return _ruled_page(digits, rng, squared=False)


def lined_written_large(digits, rng):
    """A number written large on a lined page, across three or four of its rules (0.25-0.4 of the writing's height
    apart) and photographed close, in blue ballpoint of the rules' hue (the usual blue to a darker, deeper one, and
    rules from pale to a deep blue), a red margin at its left."""
    return _ruled_page(digits, rng, squared=False, large=True)


def lined_no_margin(digits, rng):
    """A lined page photographed inside its margin: pale rules 0.45-0.8 of the writing's height apart, across the
    digits (nothing crosses the writing top to bottom)."""
    return _ruled_page(digits, rng, squared=False, margin=False)


def squared_paper(digits, rng):
    """Squared paper: pale rules both ways, 0.35-0.6 of the writing's height apart, across the digits."""
    return _ruled_page(digits, rng, squared=True)


def pencil_on_squared_paper(digits, rng):
    """Soft pencil on squared paper: grey strokes about as pale as the blue rules, which only their colour tells
    apart."""
    return _ruled_page(digits, rng, squared=True, pencil=True)


def _mark(kind: str, rng, height: int, pen: int) -> np.ndarray:
    """A separator drawn by hand, on rows from a quarter height above the digits' tops to a quarter under their
    baseline (1.5 heights): brackets and slashes as tall as the digits or taller, a dash or a plus at mid-height,
    a full stop or comma on the baseline, a colon's two dots."""
    from PIL import ImageDraw

    top, base = height // 4, height // 4 + height  # the digits' top row and baseline on these rows
    wide = {"(": 0.4, ")": 0.4, "/": 0.75, "-": 0.45, ".": 0.2, ",": 0.25, ":": 0.2, "+": 0.45}[kind]
    w = int(height * wide * rng.uniform(0.8, 1.2)) + 2 * pen
    im = Image.new("L", (w, int(1.5 * height)), 0)
    draw = ImageDraw.Draw(im)
    if kind in "()":  # an arc of a tall ellipse, as tall as the digits or a little taller
        spill = int(height * rng.uniform(0.0, 0.12))
        bulge = int(height * rng.uniform(0.45, 0.8))  # the ellipse's width: how far the bracket bows
        span = rng.uniform(45, 65)
        box = [pen, top - spill, pen + 2 * bulge, base + spill] if kind == "(" else \
            [w - pen - 2 * bulge, top - spill, w - pen, base + spill]
        middle = 180 if kind == "(" else 0
        draw.arc(box, middle - span, middle + span, fill=255, width=pen)
    elif kind == "/":
        lean = np.radians(rng.uniform(25, 45))  # from the vertical
        spill = int(height * rng.uniform(0.0, 0.15))
        rise = height + 2 * spill
        run = min(int(rise * np.tan(lean)), w - 2 * pen)
        draw.line([(pen, base + spill), (pen + run, top - spill)], fill=255, width=pen)
    elif kind == "+":  # two bars crossing, a little smaller than the digits, about their middle
        bar = w - 2 * pen
        cy = top + int(height * rng.uniform(0.45, 0.6))
        cx = pen + bar // 2 + int(rng.integers(-4, 5))
        draw.line([(pen, cy), (pen + bar, cy + int(rng.integers(-4, 5)))], fill=255, width=pen)
        draw.line([(cx, cy - bar // 2), (cx + int(rng.integers(-5, 6)), cy + bar // 2)], fill=255, width=pen)
    elif kind == "-":
        y = top + int(height * rng.uniform(0.45, 0.6))
        draw.line([(pen, y), (w - pen, y + int(rng.integers(-4, 5)))], fill=255, width=pen)
    else:  # full stop, comma, colon: dots a little wider than the pen
        r = int(pen * rng.uniform(0.6, 0.9)) + 1
        cx = w // 2
        dots = [base - r] if kind in ".," else [top + int(0.45 * height), base - r]
        for cy in dots:
            draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=255)
        if kind == ",":
            draw.line([(cx + r // 2, base - r), (cx - r, base + int(0.2 * height))], fill=255, width=max(pen // 2, 2))
    return np.asarray(im, np.float32) / 255.0


def _formats(n: int) -> list[list[int | str]]:
    """Ways people write n digits with separators between them: a date, a phone number, a card's groups, a
    price, a time. Each is the digits' order (ints) with marks and spaces (' ') between."""
    d = list(range(n))
    out = [d[:k] + ["."] + d[k:] for k in (max(n - 2, 1),)] + [d[:k] + [","] + d[k:] for k in (max(n - 2, 1),)]
    if n >= 4:
        out.append(d[:n // 2] + [":"] + d[n // 2:])
        out.append(d[:2] + ["/"] + d[2:4] + (["/"] + d[4:] if n > 4 else []))
        out.append(d[:2] + ["."] + d[2:4] + (["."] + d[4:] if n > 4 else []))
        out.append(d[:2] + ["-"] + d[2:])
    if n >= 6:
        out.append(["("] + d[:3] + [")", " "] + d[3:6] + (["-"] + d[6:] if n > 6 else []))
        out.append(["+"] + d[:2] + [" "] + d[2:])
    if n >= 7:
        out.append([x for k in range(0, n, 4) for x in d[k:k + 4] + [" "]][:-1])
    return out


def separators(digits, rng):
    """The digits written with the marks people put between them: a date (12/05/2024, 12.05.24), a phone number
    ((020) 794-6095, +44 2079), a card's groups of four, a price (3,50 or 12.99), a time (12:30). The number read is the
    digits alone. Half are scans of pen on white paper, half phone photos."""
    layouts = _formats(len(digits))
    ink = with_marks(digits, layouts[int(rng.integers(0, len(layouts)))], rng)
    if rng.random() < 0.5:
        return _png(0.96 * (1 - 0.9 * ink) + rng.normal(0, 0.01, ink.shape))
    return _jpeg(_paper(ink, rng))


def with_marks(digits, layout: list, rng, height: int = 120, pen: int | None = None) -> np.ndarray:
    """The ink map of digits and marks on one baseline: layout lists the digits' indices (ints), marks ("(", ")",
    "/", "-", ".", ",", ":") and spaces (" ") from left to right."""
    pen = int(rng.integers(8, 13)) if pen is None else pen
    glyphs = []
    LAST_INKS.clear()
    for item in layout:
        if item == " ":
            glyphs.append(np.zeros((int(1.5 * height), int(height * rng.uniform(0.3, 0.6))), np.float32))
        elif isinstance(item, str):
            glyphs.append(_mark(item, rng, height, pen))
        else:
            ink = digit_ink(digits[item], height, 0.6)
            LAST_INKS.append(ink)
            h = ink.shape[0]
            rows = np.zeros((int(1.5 * height), ink.shape[1]), np.float32)
            top = height // 4 + height - h + int(rng.integers(-height // 20, height // 20 + 1))
            rows[top: top + h] = ink
            glyphs.append(rows)
    gaps = [int(height * rng.uniform(*SPACINGS["normal"])) for _ in glyphs[1:]] + [0]
    pad = int(0.5 * height)
    out = np.zeros((int(1.5 * height) + 2 * pad, sum(g.shape[1] for g in glyphs) + sum(gaps) + 2 * pad), np.float32)
    x = pad
    for g, gap in zip(glyphs, gaps):
        region = out[pad: pad + g.shape[0], x: x + g.shape[1]]
        np.maximum(region, g, out=region)
        x += g.shape[1] + gap
    return out


CONDITIONS = {
    **{f"{name} gaps": _spacing(name) for name in SPACINGS},
    "canvas": canvas,
    "broken strokes": broken,
    "skewed": skewed,
    "steep": steep,
    "line under": line_under,
    "line through": line_through,
    "mixed sizes": mixed_sizes,
    "two lines": two_lines,
    "card on desk": card_on_desk,
    "small card": small_card,
    "phone photo": phone_photo,
    "out of focus": out_of_focus,
    "shadow across": shadow_across,
    "page at a slant": slanted_page,
    "pen on the page": pen_on_the_page,
    "pencil": pencil,
    "dim photo": dim_photo,
    "whiteboard": whiteboard,
    "chalkboard": chalkboard,
    "form boxes": form_boxes,
    "ring round": ringed,
    "printed label": printed_label,
    "printed line": printed_line,
    "crossed out": crossed_out,
    "separators": separators,
    "lined paper": lined_paper,
    "lined, no margin": lined_no_margin,
    "lined, written large": lined_written_large,
    "squared paper": squared_paper,
    "pencil, squared paper": pencil_on_squared_paper,
}
TOUCHING = ("touching gaps", "overlap gaps")


def number_picture(condition: str, digits: np.ndarray, labels: np.ndarray, rng) -> tuple[bytes, str]:
    """The picture's file bytes and the number it shows (a condition that crosses a digit out gives its index with
    the picture: that digit is no part of the number)."""
    picture = CONDITIONS[condition](digits, rng)
    picture, crossed = picture if isinstance(picture, tuple) else (picture, None)
    LAST_INKS[:] = [ink for k, ink in enumerate(LAST_INKS) if k != crossed]
    return picture, "".join(str(int(v)) for k, v in enumerate(labels) if k != crossed)


def numbers(condition: str, x: np.ndarray, y: np.ndarray, n: int, seed: int):
    """The benchmarks' n numbers under a condition, each of 2-12 digits drawn from (x, y): (file bytes, number)
    each, the same for the same seed. LAST_BOXES holds the digit boxes of the one just given, LAST_INKS its digits'
    inks."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        idx = rng.integers(0, len(x), int(rng.integers(2, 13)))
        yield number_picture(condition, x[idx], y[idx], rng)
