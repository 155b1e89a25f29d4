"""Inputs of the kinds people hand the app, made from real MNIST digits: phone photos of pen on paper
(large, thin strokes, grey paper, uneven light, sensor noise, JPEG), scans, screenshots, chalk on a
board, thick marker, off-centre, tiny and huge; and the harder photos people take without thinking of
a program reading them: the sheet on a desk, ruled and squared paper, pencil, a hand's shadow, a shadow across
half the page, dim light, out of focus. Used by the tests and by benchmarks/people_inputs.py."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFilter


def _ink(digit: np.ndarray, height: int, width_factor: float = 1.0) -> np.ndarray:
    """The digit as an ink map (1 = ink) `height` pixels tall; width_factor scales the stroke width
    (0.3 is a ballpoint pen, 2 a felt marker)."""
    img = Image.fromarray((digit * 255).astype(np.uint8), mode="L").crop((2, 2, 26, 26))
    img = img.resize((96, 96), Image.Resampling.BICUBIC)  # change the width here: rank filters are O(size^2)
    steps = int(round(abs(1 - width_factor) * 4))
    area = (np.asarray(img) > 128).sum()
    for _ in range(steps):  # one pixel at a time, and never so far that the digit breaks up
        nxt = img.filter(ImageFilter.MinFilter(3) if width_factor < 1 else ImageFilter.MaxFilter(3))
        if width_factor < 1 and (np.asarray(nxt) > 128).sum() < 0.3 * area:
            break
        img = nxt
    img = img.resize((height, height), Image.Resampling.BICUBIC)
    a = np.asarray(img, np.float32) / 255
    return np.clip((a - 0.3) / 0.4, 0, 1)  # crisp pen edges


def place(ink: np.ndarray, size: tuple[int, int], centre: tuple[float, float]) -> np.ndarray:
    h, w = size
    out = np.zeros(size, np.float32)
    ih, iw = ink.shape
    top, left = int(centre[0] * h - ih / 2), int(centre[1] * w - iw / 2)
    out[top: top + ih, left: left + iw] = ink[: max(min(ih, h - top), 0), : max(min(iw, w - left), 0)]
    return out


def _lamp(size, strength=0.35) -> np.ndarray:
    """Brightness of a sheet lit by a lamp on the left: 0.9 at the lit edge, falling across the page."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    return 0.9 - strength * (xx / w) * (0.6 + 0.4 * yy / h)


def _jpeg(lum: np.ndarray, tint=(0.97, 0.98, 1.03), quality=85, exif_rotate=False) -> bytes:
    rgb = np.stack([lum * tint[0], lum * tint[1], lum * tint[2]], axis=-1) if lum.ndim == 2 else lum
    img = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8), mode="RGB")
    exif = None
    if exif_rotate:
        # Stored rotated, with the EXIF tag that tells viewers to turn it upright again.
        img = img.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 CW to view: undoes ROTATE_90 (which turned it 90 CCW)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, **({"exif": exif} if exif else {}))
    return buf.getvalue()


def phone_photo(digit, rng, size=(1600, 1200), digit_height=420, centre=(0.5, 0.5), exif_rotate=False) -> bytes:
    """JPEG of blue-black pen on grey paper under a lamp: gradient light, thin strokes, sensor noise."""
    ink = place(_ink(digit, digit_height, width_factor=0.45), size, centre)
    paper = 0.82 * _lamp(size)
    lum = paper * (1 - 0.75 * ink) + rng.normal(0, 0.02, size)
    return _jpeg(lum, exif_rotate=exif_rotate)  # bluish ink, warm paper cast


def desk_photo(digit, rng, turn: tuple[float, float] = (-8, 8), turn_digit: bool = False) -> bytes:
    """A sheet photographed on a dark wooden desk, turned a little: the picture's border is desk, not paper.
    turn: the range of the sheet's angle in degrees; turn_digit: the digit turns with the sheet it is on."""
    size = (1200, 1600)
    h, w = size
    degrees = rng.uniform(*turn) * rng.choice([-1, 1]) if turn[0] >= 0 else rng.uniform(*turn)
    angle = np.deg2rad(degrees)
    cy, cx, hh, hw = h * 0.5, w * 0.52, h * 0.36, w * 0.3
    corners = [(cx + dx * np.cos(angle) - dy * np.sin(angle), cy + dx * np.sin(angle) + dy * np.cos(angle))
               for dx, dy in ((-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh))]
    sheet = Image.new("L", (w, h), 0)
    ImageDraw.Draw(sheet).polygon(corners, fill=255)
    sheet = np.asarray(sheet.filter(ImageFilter.GaussianBlur(2)), np.float32) / 255
    grain = 0.05 * np.sin(np.linspace(0, 60, h))[:, None] * np.ones((1, w)) + rng.normal(0, 0.02, size)
    desk = 0.28 + grain
    ink = place(_ink(digit, 360, width_factor=0.5), size, (0.5, 0.52))
    if turn_digit:  # about the sheet's centre, the way the sheet turned (y points down in both)
        ink = np.asarray(Image.fromarray(ink, mode="F").rotate(-degrees, resample=Image.Resampling.BILINEAR,
                                                                 center=(cx, cy)))
    paper = 0.85 * _lamp(size, 0.25) * (1 - 0.75 * ink)
    lum = desk * (1 - sheet) + paper * sheet + rng.normal(0, 0.015, size)
    rgb = np.stack([lum * 1.1, lum * 0.95, lum * 0.8], axis=-1)  # a warm wood and a warm lamp
    return _jpeg(np.where(sheet[..., None] > 0.5, np.stack([lum] * 3, axis=-1) * (0.98, 0.98, 1.0), rgb))


def turned_sheet(digit, rng) -> bytes:
    """The sheet on the desk turned by 15-40 degrees either way, the digit written on it turned with it."""
    return desk_photo(digit, rng, turn=(15, 40), turn_digit=True)


def _perspective(a: np.ndarray, rng, strength: float) -> np.ndarray:
    """The picture as a phone held not quite square to the desk sees it: each corner moved inwards by up to
    `strength` of the side, so rectangles become slight trapezoids."""
    h, w = a.shape[:2]
    dx, dy = strength * w, strength * h
    # Image.transform's PERSPECTIVE maps output to input: find the coefficients from four corner pairs.
    out = [(0, 0), (w, 0), (w, h), (0, h)]
    src = [(x + (1 if x == 0 else -1) * rng.uniform(0, dx), y + (1 if y == 0 else -1) * rng.uniform(0, dy))
           for x, y in out]  # inwards only: every output pixel then comes from inside the picture
    rows = []
    for (x, y), (u, v) in zip(out, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    coeffs = np.linalg.solve(np.array(rows, np.float64), np.array(src, np.float64).ravel())
    img = Image.fromarray(np.asarray(a, np.float32), mode="F")
    return np.asarray(img.transform((w, h), Image.Transform.PERSPECTIVE, tuple(coeffs),
                                    Image.Resampling.BILINEAR), np.float32)


def card_on_desk(digit, rng, height: float = 0.45) -> bytes:
    """A small card or note with the digit on it, lying anywhere on a darker desk and turned a few degrees:
    the card is `height` of the frame's height (0.35-0.6 is what people photograph), of a card's, an index
    card's or a sticky note's shape. The desk's tone, grain and colour, the lamp, the card's shadow, the pen,
    the perspective and the framing (landscape or portrait) vary."""
    size = (1200, 1600) if rng.random() < 0.6 else (1600, 1200)
    h, w = size
    aspect = float(rng.choice([1.0, 1.45, 1.6, 1.75, 0.7]))  # width / height
    ch = height * h * rng.uniform(0.94, 1.06)
    turn = float(rng.uniform(2, 8) * rng.choice([-1, 1]))
    angle = np.deg2rad(turn)
    cw = min(ch * aspect, (0.92 * w - ch * abs(np.sin(angle))) / np.cos(angle))  # turned, it still fits
    reach_x = (abs(cw * np.cos(angle)) + abs(ch * np.sin(angle))) / 2 + 0.03 * w
    reach_y = (abs(cw * np.sin(angle)) + abs(ch * np.cos(angle))) / 2 + 0.03 * h
    cx, cy = rng.uniform(reach_x, max(w - reach_x, reach_x)), rng.uniform(reach_y, max(h - reach_y, reach_y))  # anywhere it fits

    def card_polygon(ox=0.0, oy=0.0):
        return [(cx + ox + dx * np.cos(angle) - dy * np.sin(angle), cy + oy + dx * np.sin(angle) + dy * np.cos(angle))
                for dx, dy in ((-cw / 2, -ch / 2), (cw / 2, -ch / 2), (cw / 2, ch / 2), (-cw / 2, ch / 2))]

    def mask(polygon, blur):
        m = Image.new("L", (w, h), 0)
        ImageDraw.Draw(m).polygon(polygon, fill=255)
        return np.asarray(m.filter(ImageFilter.GaussianBlur(blur)), np.float32) / 255

    card = mask(card_polygon(), 1.5)
    drop = mask(card_polygon(0.012 * w, 0.015 * h), 12)  # the card's soft shadow on the desk
    # The desk: dark to mid wood or a grey or black top, with grain along a random direction.
    tone = rng.uniform(0.12, 0.45)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    along = np.deg2rad(rng.uniform(0, 180))
    grain = np.sin((xx * np.cos(along) + yy * np.sin(along)) / rng.uniform(6, 30)) * rng.uniform(0, 0.04)
    desk = (tone + grain) * (1 - 0.35 * drop) * (1 - 0.25 * ((xx / w - 0.5) ** 2 + (yy / h - 0.5) ** 2))
    # The digit, written on the card and turned with it, 45-70 % of the card's height.
    ink = _ink(digit, int(ch * rng.uniform(0.45, 0.7)), width_factor=rng.uniform(0.35, 0.8))
    ink = place(ink, size, ((cy + rng.uniform(-0.06, 0.06) * ch) / h, (cx + rng.uniform(-0.1, 0.1) * cw) / w))
    ink = np.asarray(Image.fromarray(ink, mode="F").rotate(-turn, resample=Image.Resampling.BILINEAR,
                                                             center=(cx, cy)))
    paper = rng.uniform(0.78, 0.95) * _lamp(size, rng.uniform(0.05, 0.25)) / 0.9
    lum = desk * (1 - card) + paper * (1 - rng.uniform(0.6, 0.85) * ink) * card
    lum = _perspective(lum, rng, 0.04) + rng.normal(0, rng.uniform(0.01, 0.03), size)
    warm = rng.uniform(0.85, 1.0)  # wood is warm, a grey desk is not; the card takes the lamp's cast
    rgb = np.stack([lum * (2 - warm), lum, lum * warm], axis=-1)
    return _jpeg(rgb, quality=int(rng.integers(75, 93)))


def _ruled(size, spacing, vertical=False, margin=None) -> np.ndarray:
    """Printed lines of ruled (or, with vertical=True, squared) paper: 1 on a line, 0 between."""
    h, w = size
    lines = np.zeros(size, np.float32)
    lines[np.arange(h) % spacing < 3] = 1
    if vertical:
        lines[:, np.arange(w) % spacing < 3] = 1
    if margin is not None:
        lines[:, margin: margin + 3] = 1
    return lines


def ruled_paper(digit, rng) -> bytes:
    """Pen on a school notebook's ruled paper: pale blue lines a third of the digit's height apart, and the
    red margin line."""
    size, height = (1600, 1200), 420
    ink = place(_ink(digit, height, width_factor=0.5), size, (0.5, 0.55))
    lines = _ruled(size, height // 3 + int(rng.integers(-10, 10)))
    margin = _ruled(size, 10 ** 6, margin=int(size[1] * 0.18))
    paper = 0.85 * _lamp(size, 0.2)
    noise = rng.normal(0, 0.015, size)
    r = paper * (1 - 0.4 * lines) * (1 - 0.75 * ink) + noise
    g = paper * (1 - 0.25 * lines) * (1 - 0.5 * margin) * (1 - 0.75 * ink) + noise
    b = paper * (1 - 0.05 * lines) * (1 - 0.5 * margin) * (1 - 0.7 * ink) + noise
    return _jpeg(np.stack([r, g, b], axis=-1))


def squared_paper(digit, rng) -> bytes:
    """Pen on squared (graph) paper: grey-blue lines both ways, five squares to the digit's height."""
    size, height = (1400, 1400), 420
    ink = place(_ink(digit, height, width_factor=0.5), size, (0.5, 0.5))
    lines = _ruled(size, height // 5, vertical=True)
    lum = 0.86 * _lamp(size, 0.2) * (1 - 0.22 * lines) * (1 - 0.75 * ink) + rng.normal(0, 0.015, size)
    return _jpeg(lum, tint=(0.95, 0.98, 1.04))


def pencil(digit, rng) -> bytes:
    """Soft pencil on white paper: grey, grainy strokes with little contrast."""
    size = (1200, 900)
    ink = place(_ink(digit, 380, width_factor=0.6), size, (0.5, 0.5))
    grain = np.clip(rng.normal(0.75, 0.2, size), 0.2, 1.0)
    lum = 0.88 * _lamp(size, 0.15) * (1 - 0.4 * ink * grain) + rng.normal(0, 0.015, size)
    return _jpeg(lum, tint=(1.0, 1.0, 1.0))


def shadow(digit, rng) -> bytes:
    """A phone photo with the hand's hard shadow across a corner of the sheet, reaching the digit."""
    size = (1600, 1200)
    h, w = size
    ink = place(_ink(digit, 420, width_factor=0.5), size, (0.5, 0.5))
    mask = Image.new("L", (w, h), 0)
    x0 = w * rng.uniform(0.45, 0.6)  # the shadow's edge crosses the digit's right part
    ImageDraw.Draw(mask).polygon([(x0, h), (w, h * 0.25), (w, h)], fill=255)
    dark = np.asarray(mask.filter(ImageFilter.GaussianBlur(12)), np.float32) / 255
    lum = 0.85 * _lamp(size, 0.2) * (1 - 0.45 * dark) * (1 - 0.75 * ink) + rng.normal(0, 0.02, size)
    return _jpeg(lum)


def shade(size: tuple[int, int], rng) -> np.ndarray:
    """A hard-edged shadow (the phone's or a hand's, under a lamp) over 30-70 % of a picture of `size` (h, w):
    how much of the light it takes, 0.25-0.55, its edge a straight line at any slope across the middle, soft
    over 0-15 pixels per thousand."""
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    across = (xx - w / 2) * np.cos(angle) + (yy - h / 2) * np.sin(angle)  # signed distance from the middle
    reach = np.abs(w / 2 * np.cos(angle)) + np.abs(h / 2 * np.sin(angle))
    edge = rng.uniform(-0.4, 0.4) * reach  # the share in shadow, 30-70 %
    soft = max(h, w) / 1000 * rng.uniform(0, 15)
    inside = 1 / (1 + np.exp(-np.clip((across - edge) / max(soft / 2, 0.5), -50, 50)))
    return rng.uniform(0.25, 0.55) * inside.astype(np.float32)


def shadow_across(digit, rng) -> bytes:
    """A phone photo with a hard-edged shadow over 30-70 % of the page, its edge crossing the digit or passing
    it: two levels of paper, the digit on either or both."""
    size = (1600, 1200)
    ink = place(_ink(digit, 420, width_factor=0.5), size, (0.5, 0.5))
    lum = 0.85 * _lamp(size, 0.2) * (1 - shade(size, rng)) * (1 - 0.75 * ink) + rng.normal(0, 0.02, size)
    return _jpeg(lum)


def dim_photo(digit, rng) -> bytes:
    """Taken in a dim room: dark paper, little contrast, heavy sensor noise, strong JPEG."""
    size = (1200, 900)
    ink = place(_ink(digit, 320, width_factor=0.5), size, (0.5, 0.5))
    lum = 0.38 * _lamp(size, 0.3) * (1 - 0.6 * ink) + rng.normal(0, 0.045, size)
    return _jpeg(lum, quality=60)


def out_of_focus(digit, rng) -> bytes:
    """A phone photo out of focus: the strokes blurred over about twice their width."""
    size = (1200, 900)
    ink = place(_ink(digit, 360, width_factor=0.6), size, (0.5, 0.5))
    blurred = Image.fromarray((ink * 255).astype(np.uint8), mode="L").filter(ImageFilter.GaussianBlur(9))
    ink = np.asarray(blurred, np.float32) / 255
    lum = 0.84 * _lamp(size, 0.25) * (1 - 0.8 * ink) + rng.normal(0, 0.02, size)
    return _jpeg(lum)


def scan(digit, rng) -> bytes:
    """A 300-dpi flatbed scan: white paper, black ballpoint, slight off-centre, PNG."""
    ink = place(_ink(digit, 300, width_factor=0.6), (900, 700), (0.42, 0.6))
    lum = 0.96 * (1 - 0.9 * ink) + rng.normal(0, 0.01, ink.shape)
    return _png(lum)


def screenshot(digit, rng) -> bytes:
    """A drawing app's screenshot: pure white, anti-aliased black strokes, RGBA PNG."""
    ink = place(_ink(digit, 200), (400, 500), (0.5, 0.45))
    lum = 1 - ink
    rgba = np.dstack([lum, lum, lum, np.ones_like(lum)])
    return _png(rgba, mode="RGBA")


def chalkboard(digit, rng) -> bytes:
    """Light chalk on a dark green board."""
    ink = place(_ink(digit, 260, width_factor=1.2), (600, 800), (0.55, 0.5))
    lum = 0.18 + 0.7 * ink + rng.normal(0, 0.03, ink.shape)
    rgb = np.stack([lum * 0.9, lum * 1.05, lum * 0.95], axis=-1)
    return _png(rgb, mode="RGB")


def marker(digit, rng) -> bytes:
    """Thick felt marker on white paper, tight crop."""
    ink = place(_ink(digit, 240, width_factor=1.8), (300, 300), (0.5, 0.5))
    return _png(0.97 * (1 - 0.95 * ink))


def tiny(digit, rng) -> bytes:
    """A 14-pixel-tall digit in a small icon-sized image."""
    ink = place(_ink(digit, 14), (20, 20), (0.5, 0.5))
    return _png(1 - ink)


def transparent(digit, rng, light_strokes: bool = False) -> bytes:
    """Strokes on a transparent background (as many drawing tools export)."""
    ink = place(_ink(digit, 200), (256, 256), (0.5, 0.5))
    tone = 1.0 if light_strokes else 0.0
    rgba = np.dstack([np.full_like(ink, tone)] * 3 + [ink])
    return _png(rgba, mode="RGBA")


def filled_box(digit, rng) -> bytes:
    """A phone photo of a form's field filled to its edges: a printed box (or, one time in three, a box drawn by hand
    with a pen) from 0.92 to 1.06 times as tall as the digit and as wide, but at least 0.7 times its own
    height, set on the digit's middle, so the digit touches its sides or is written past them; the page turned by
    up to 3°."""
    height = 300
    ink = _ink(digit, height, width_factor=0.6)
    rows, cols = np.flatnonzero(ink.max(axis=1) > 0.3), np.flatnonzero(ink.max(axis=0) > 0.3)
    size = (700, 700)
    top, left = (size[0] - height) // 2, (size[1] - height) // 2
    frame = Image.new("F", (size[1], size[0]), 0.0)
    box_h = (rows.max() - rows.min()) * rng.uniform(0.92, 1.06)
    box_w = max((cols.max() - cols.min()) * rng.uniform(0.92, 1.06), 0.7 * box_h)
    cy, cx = top + (rows.min() + rows.max()) / 2, left + (cols.min() + cols.max()) / 2
    x0, x1, y0, y1 = cx - box_w / 2, cx + box_w / 2, cy - box_h / 2, cy + box_h / 2
    draw = ImageDraw.Draw(frame)
    by_hand = rng.uniform() < 1 / 3
    if by_hand:  # four strokes, each side a little off true, corners overshot
        corners = [(x + rng.normal(0, 3), y + rng.normal(0, 3)) for x, y in ((x0, y0), (x1, y0), (x1, y1), (x0, y1))]
        for (ax, ay), (bx, by) in zip(corners, corners[1:] + corners[:1]):
            dx, dy = 0.04 * (bx - ax), 0.04 * (by - ay)
            draw.line((ax - dx, ay - dy, bx + dx, by + dy), fill=1.0, width=9)
    else:
        draw.rectangle((x0, y0, x1, y1), outline=1.0, width=int(rng.integers(3, 7)))
    degrees = rng.uniform(-3, 3)

    def turned(a: np.ndarray) -> np.ndarray:
        return np.asarray(Image.fromarray(a.astype(np.float32)).rotate(degrees, resample=Image.Resampling.BILINEAR),
                          np.float32)

    page, box = turned(place(ink, size, (0.5, 0.5))), turned(np.asarray(frame, np.float32))
    darkness = 0.75 if by_hand else rng.uniform(0.4, 0.6)  # print is paler than the pen
    lum = 0.82 * _lamp(size) * (1 - 0.75 * page) * (1 - darkness * box)
    return _jpeg(lum + rng.normal(0, 0.015, size))


def _png(a: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8), mode=mode).save(buf, format="PNG")
    return buf.getvalue()


def _as_number(condition: str, what: str, drawn_round_its_ink: bool = True):
    """A kind made by one of benchmarks/numbergen.py's conditions from a number of one digit."""
    def make(digit, rng) -> bytes:
        import numbergen  # it builds on this module

        return numbergen.CONDITIONS[condition](digit[None], rng)
    make.__doc__ = what
    # A ring or a line drawn round the digit's ink is ink of its own, and needs a digit to go round: no picture of it
    # is blank. A form's printed box stands where it stands: with no digit, it is a blank form's empty field.
    make.marks_round_the_digit = drawn_round_its_ink
    return make


KINDS = {
    "phone photo": phone_photo,
    "scan": scan,
    "screenshot": screenshot,
    "chalkboard": chalkboard,
    "marker": marker,
    "tiny": tiny,
    "transparent": transparent,
    "desk photo": desk_photo,
    "turned sheet": turned_sheet,
    "card 35%": lambda digit, rng: card_on_desk(digit, rng, 0.35),
    "card 45%": lambda digit, rng: card_on_desk(digit, rng, 0.45),
    "card 60%": lambda digit, rng: card_on_desk(digit, rng, 0.6),
    "ruled paper": ruled_paper,
    "squared paper": squared_paper,
    "pencil": pencil,
    "shadow": shadow,
    "shadow across": shadow_across,
    "dim photo": dim_photo,
    "out of focus": out_of_focus,
    "ring round": _as_number("ring round", "A phone photo of the digit with a ring (two times in three) or a box drawn "
                             "round it by hand in the same pen: a circled answer."),
    "line under": _as_number("line under", "A scan of the digit with a pen line drawn under it, touching its foot."),
    "form box": _as_number("form boxes", "A scanned form: the digit written in a printed box, paler than the pen.",
                           drawn_round_its_ink=False),
    "filled box": filled_box,
}
filled_box.marks_round_the_digit = True  # the box is drawn from the digit's extent: no digit, no box
