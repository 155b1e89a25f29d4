"""Opening a picture file off the UI thread: a 12-megapixel photo takes a quarter of a second to decode, turn grey
and check for ink, which froze the window. The newest request wins, as in the model's worker."""

from __future__ import annotations

import threading
import weakref

import numpy as np
from PySide6.QtCore import QThread, Signal

from ..vision.imageio import ImageError, open_image
from ..vision.preprocess import NoInkError, Normalized, image_to_gray, normalize_gray


def load_picture(path: str, side: int) -> tuple[np.ndarray, Normalized]:
    """A picture file as the canvas keeps it (luminance, at most `side` pixels a side) and its normalisation,
    which says whether it holds ink at all. Raises ImageError or NoInkError, each with a message for people."""
    img = open_image(path)
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
