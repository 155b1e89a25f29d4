"""One digit given as a picture, normalised with what the number reader takes out of a number's picture taken out
of it too: a ring or a box drawn round it ("circle your answer"), a line under or through it, a form's printed box
(`segment.one_digit`). Without that, a ringed or boxed digit was read from its ring or box (13 and 9.5 % right in
benchmarks/people_inputs.py's "ring round" and "form box"). The single-digit paths (the app's open, drop and paste,
the web service, `desktop-cvae recognize`) normalise through here; the canvas's drawings, which hold nothing but the
digit, go straight to vision.preprocess."""

from __future__ import annotations

import numpy as np
from PIL import Image

from ..vision import preprocess
from ..vision.preprocess import Normalized
from .segment import one_digit


def normalize_gray(gray: np.ndarray, drawn: bool = False) -> Normalized:
    """preprocess.normalize_gray, a photo's surround taken out. Raises NoInkError."""
    return preprocess.normalize_gray(gray, drawn, clean=one_digit)


def normalize_image(img: Image.Image) -> Normalized:
    """preprocess.normalize_image, a photo's surround taken out. Raises NoInkError."""
    return preprocess.normalize_image(img, clean=one_digit)


def normalize_file(path) -> Normalized:
    """preprocess.normalize_file, a photo's surround taken out. Raises imageio.ImageError or NoInkError."""
    return preprocess.normalize_file(path, clean=one_digit)
