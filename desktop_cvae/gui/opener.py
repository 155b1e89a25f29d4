"""Pictures coming in, opened or pasted, made the canvas's content the same way; a file is opened off the UI thread
(a 12-megapixel photo takes a quarter of a second to decode, turn grey and check for ink, which froze the window).
The newest request wins, as in the model's worker."""

from __future__ import annotations

import threading
import weakref

import numpy as np
from PIL import Image
from PySide6.QtCore import QThread, Qt, Signal
from PySide6.QtGui import QImage

from ..numbers.digit import normalize_gray
from ..vision.imageio import ImageError, open_image
from ..vision.preprocess import NoInkError, Normalized, image_to_gray
from .canvas import qimage_pixels


def load_picture(path: str, side: int) -> tuple[np.ndarray, Normalized]:
    """A picture file as the canvas keeps it (luminance, at most `side` pixels a side) and its normalisation,
    which says whether it holds ink at all. Raises ImageError or NoInkError, each with a message for people."""
    return _as_canvas_picture(open_image(path), side)


def pasted_picture(img: QImage, side: int) -> tuple[np.ndarray, Normalized]:
    """A pasted picture as `load_picture` makes a file's: its colour (a ruled page's rules told from pencil) and its
    transparency (strokes on a clear background) read as an opened file's are. Raises NoInkError."""
    if max(img.width(), img.height()) > side:  # shrunk by Qt first: a huge paste is never copied whole
        img = img.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    alpha = img.hasAlphaChannel()
    pixels = qimage_pixels(img, QImage.Format.Format_RGBA8888 if alpha else QImage.Format.Format_RGB888)
    return _as_canvas_picture(Image.fromarray(pixels, "RGBA" if alpha else "RGB"), side)


def _as_canvas_picture(img: Image.Image, side: int) -> tuple[np.ndarray, Normalized]:
    img.thumbnail((side, side))
    gray = np.asarray(image_to_gray(img), np.float32)
    return gray, normalize_gray(gray)


class PictureOpener(QThread):
    instances: "weakref.WeakSet[PictureOpener]" = weakref.WeakSet()  # lets tests find leaked threads

    opened = Signal(int, str, object, object)  # request id, path, gray (H, W), Normalized
    failed = Signal(int, str, str)  # request id, path, message

    def __init__(self, parent=None):
        super().__init__(parent)
        self._cond = threading.Condition()
        self._pending: tuple[int, str, int] | None = None
        self._abort = False
        PictureOpener.instances.add(self)

    def open(self, request_id: int, path: str, side: int) -> None:
        """Open a file; a request still waiting is dropped for this one."""
        with self._cond:
            if self._abort:
                return
            self._pending = (request_id, path, side)
            self._cond.notify()
        if not self.isRunning():
            self.start()

    def stop(self, timeout_ms: int = 10_000) -> None:
        with self._cond:
            self._abort = True
            self._pending = None
            self._cond.notify()
        self.wait(timeout_ms)

    def run(self) -> None:
        while True:
            with self._cond:
                while not self._abort and self._pending is None:
                    self._cond.wait()
                if self._abort:
                    return
                request_id, path, side = self._pending
                self._pending = None
            try:
                gray, norm = load_picture(path, side)
            except (ImageError, NoInkError) as e:
                self.failed.emit(request_id, path, str(e))
            except Exception as e:  # the thread must survive any file
                self.failed.emit(request_id, path, f"Could not open the picture: {e}")
            else:
                self.opened.emit(request_id, path, gray, norm)
