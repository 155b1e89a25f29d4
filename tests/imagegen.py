"""Inputs of the kinds people hand the app, made from real MNIST digits: phone photos of pen on paper
(large, thin strokes, grey paper, uneven light, sensor noise, JPEG), scans, screenshots, chalk on a
board, thick marker, off-centre, tiny and huge."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter


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


def phone_photo(digit, rng, size=(1600, 1200), digit_height=420, centre=(0.5, 0.5), exif_rotate=False) -> bytes:
    """JPEG of blue-black pen on grey paper under a lamp: gradient light, thin strokes, sensor noise."""
    ink = place(_ink(digit, digit_height, width_factor=0.45), size, centre)
    h, w = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.9 - 0.35 * (xx / w) * (0.6 + 0.4 * yy / h)  # a lamp on the left
    paper = 0.82 * light
    lum = paper * (1 - 0.75 * ink) + rng.normal(0, 0.02, size)
    rgb = np.stack([lum * 0.97, lum * 0.98, lum * 1.03], axis=-1)  # bluish ink, warm paper cast
    img = Image.fromarray((np.clip(rgb, 0, 1) * 255).astype(np.uint8), mode="RGB")
    exif = None
    if exif_rotate:
        # Stored rotated, with the EXIF tag that tells viewers to turn it upright again.
        img = img.transpose(Image.Transpose.ROTATE_90)
        exif = Image.Exif()
        exif[0x0112] = 6  # rotate 90 CW to view: undoes ROTATE_90 (which turned it 90 CCW)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85, **({"exif": exif} if exif else {}))
    return buf.getvalue()


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


def _png(a: np.ndarray, mode: str = "L") -> bytes:
    buf = io.BytesIO()
    Image.fromarray((np.clip(a, 0, 1) * 255).astype(np.uint8), mode=mode).save(buf, format="PNG")
    return buf.getvalue()


KINDS = {
    "phone photo": phone_photo,
    "scan": scan,
    "screenshot": screenshot,
    "chalkboard": chalkboard,
    "marker": marker,
    "tiny": tiny,
    "transparent": transparent,
}
