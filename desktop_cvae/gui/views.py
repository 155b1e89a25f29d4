"""Small display widgets: a crisp enlarged digit, a grid of digits, the probability bars and a picture
that fits its room; and sizing a window to its screen."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from ..imaging import grid_array
from .canvas import gray_to_qimage


def fit_to_screen(window: QWidget, width: int, height: int) -> None:
    """Resize a window to width x height, or to the screen it is on where that is smaller (a laptop's),
    never below the window's minimum."""
    screen = window.screen()
    if screen is not None:
        room = screen.availableGeometry()
        width, height = min(width, int(room.width() * 0.95)), min(height, int(room.height() * 0.95))
    window.resize(width, height)


class FittedPicture(QLabel):
    """A picture shown as large as its room allows, keeping its aspect ratio. A plain QLabel shows a pixmap at
    its own size and cuts it off when the room shrinks (as when a bar appears above it)."""

    def __init__(self, text: str = "", parent=None):
        super().__init__(text, parent)
        self._picture: QPixmap | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # The room decides the size, not the picture: otherwise every rescale would ask for more room.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_picture(self, picture: QPixmap) -> None:
        self._picture = picture
        self._fit()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._picture = None
        super().setText(text)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._picture is not None and not self._picture.isNull():
            self.setPixmap(self._picture.scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                Qt.TransformationMode.SmoothTransformation))


class ImageView(QWidget):
    """Shows a grayscale array enlarged with nearest-neighbour scaling, so every model pixel is visible."""

    def __init__(self, title: str = "", min_side: int = 140, parent=None):
        super().__init__(parent)
        self.title = title
        self._image: QImage | None = None
        self._array: np.ndarray | None = None
        self._placeholder = "—"
        self.setMinimumSize(min_side, min_side)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_array(self, a: np.ndarray | None, placeholder: str = "—") -> None:
        self._array = None if a is None else np.asarray(a, np.float32)
        self._image = None if a is None else gray_to_qimage(self._array)
        self._placeholder = placeholder
        self.update()

    def array(self) -> np.ndarray | None:
        return self._array

    def placeholder(self) -> str:
        """What the view says while it has no image."""
        return self._placeholder

    def qimage(self) -> QImage | None:
        return self._image

    def paintEvent(self, e) -> None:
        p = QPainter(self)
        pal = self.palette()
        r = self.rect()
        title_h = 0
        if self.title:
            title_h = p.fontMetrics().height() + 4
            p.setPen(pal.color(QPalette.ColorRole.WindowText))
            p.drawText(QRectF(0, 0, r.width(), title_h), Qt.AlignmentFlag.AlignCenter, self.title)
        avail = QRectF(0, title_h, r.width(), r.height() - title_h)
        if self._image is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(avail, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._placeholder)
            return
        iw, ih = self._image.width(), self._image.height()
        k = max(int(min(avail.width() / iw, avail.height() / ih)), 1)  # whole multiples stay crisp
        w, h = iw * k, ih * k
        target = QRectF(avail.x() + (avail.width() - w) / 2, avail.y() + (avail.height() - h) / 2, w, h)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        p.drawImage(target, self._image)
        p.end()

    def sizeHint(self) -> QSize:
        return QSize(170, 170)


class GridView(ImageView):
    """A grid of digits, e.g. generated samples."""

    def set_images(self, images: np.ndarray | None, cols: int | None = None, placeholder: str = "—") -> None:
        self.set_array(None if images is None else grid_array(images, cols), placeholder)


class ProbabilityBars(QWidget):
    """p(label | input) for 0-9; the winner highlighted."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._p: np.ndarray | None = None
        self._winner: int | None = None
        self._message = "Draw a digit"
        self.setMinimumSize(220, 130)  # ten rows stay legible; the window still fits a 600-pixel-high screen
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)

    def set_probabilities(self, p: np.ndarray | None, winner: int | None = None, message: str = "") -> None:
        self._p = None if p is None else np.asarray(p, float)
        self._winner = winner
        self._message = message
        self.update()

    def probabilities(self) -> np.ndarray | None:
        return self._p

    def paintEvent(self, e) -> None:
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        r = self.rect()
        if self._p is None:
            p.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            p.drawText(r, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self._message)
            return
        fm = p.fontMetrics()
        row_h = r.height() / 10
        label_w = fm.horizontalAdvance("0") + 8
        pct_w = fm.horizontalAdvance("100.0%") + 6
        bar_w = max(r.width() - label_w - pct_w, 10)
        accent = pal.color(QPalette.ColorRole.Highlight)
        muted = QColor(pal.color(QPalette.ColorRole.Mid))
        for i in range(10):
            y = i * row_h
            win = i == self._winner
            font = QFont(p.font())
            font.setBold(win)
            p.setFont(font)
            p.setPen(text)
            p.drawText(QRectF(0, y, label_w - 4, row_h), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(i))
            p.fillRect(QRectF(label_w, y + row_h * 0.2, bar_w * float(self._p[i]), row_h * 0.6), accent if win else muted)
            p.drawText(QRectF(label_w + bar_w + 4, y, pct_w, row_h), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                       f"{100 * self._p[i]:.1f}%")
        p.end()
