"""Turning arrays of digits into pictures (PNG grids), without Qt."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image


def grid_array(images: np.ndarray, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """(n, 28, 28) in [0, 1] -> one (H, W) array, digits left to right, top to bottom."""
    images = np.asarray(images, dtype=np.float32)
    n = len(images)
    cols = cols or int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    h, w = images.shape[1:3]
    out = np.zeros((rows * (h + pad) + pad, cols * (w + pad) + pad), np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[pad + r * (h + pad): pad + r * (h + pad) + h, pad + c * (w + pad): pad + c * (w + pad) + w] = img
    return out


def grid_image(images: np.ndarray, cols: int | None = None, scale: int = 4) -> Image.Image:
    a = (np.clip(grid_array(images, cols), 0, 1) * 255).round().astype(np.uint8)
    img = Image.fromarray(a, mode="L")
    return img.resize((img.width * scale, img.height * scale), Image.Resampling.NEAREST)


def save_png_atomic(img: Image.Image, path: str | os.PathLike) -> None:
    from .storage import make_temp

    path = Path(path).absolute()
    tmp = make_temp(path, ".tmp.png")
    try:
        with open(tmp, "wb") as f:
            img.save(f, format="PNG")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
