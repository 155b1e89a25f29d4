"""The drawing canvas: dark ink on light paper, smooth strokes, pen pressure, eraser, undo/redo.

The content lives in a QImage (grayscale, at the screen's device pixel ratio). `gray_array()` hands the
model side a small float copy; opened pictures become the content and can be drawn over. For a whole number
the canvas widens (`set_wide`), and the digits read from it are drawn over it as labelled boxes (`set_boxes`).
"""

from __future__ import annotations

import functools

import numpy as np
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen, QTabletEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

PAPER = QColor(250, 250, 247)
INK = QColor(20, 20, 28)
LOGICAL_SIDE = 280  # the canvas's content, in device-independent pixels
WIDE_SIZE = (620, 248)  # the canvas for a whole number: room for a dozen digits
MODEL_SIDE = 140  # what gray_array() returns: plenty for a digit that ends up 20 pixels tall
UNDO_LIMIT = 50
# A drawing's pixels are the paper's or the pen's tone but for its strokes' smoothed edges; a photo's are grey
# throughout (tests/test_gui.py checks a drawn digit and a phone photo on the canvas). A clean scan or screenshot
# can pass too, but it is dark ink on light paper, which the drawing path reads right.
DRAWING_PURE_FRACTION = 0.8
RESTORE_MAX_SIDE = 4096  # a kept drawing larger than this is not one the canvas wrote


def qimage_to_gray(img: QImage, side: int | None = None, size: tuple[int, int] | None = None) -> np.ndarray:
    """A QImage -> float32 luminance (H, W) in [0, 1], optionally scaled (smoothly) to side x side, or to
    size (w, h)."""
    if side is not None:
        size = (side, side)
    if size is not None:
        img = img.scaled(size[0], size[1], Qt.AspectRatioMode.IgnoreAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return qimage_pixels(img, QImage.Format.Format_Grayscale8)[..., 0].astype(np.float32) / 255.0


def qimage_pixels(img: QImage, fmt: QImage.Format) -> np.ndarray:
    """A QImage's 8-bit pixels in `fmt` (Grayscale8, RGB888 or RGBA8888) as a (H, W, channels) copy, its rows'
    padding left out."""
    F = QImage.Format
    channels = {F.Format_Grayscale8: 1, F.Format_RGB888: 3, F.Format_RGBA8888: 4}[fmt]
    g = img.convertToFormat(fmt)
    w, h, bpl = g.width(), g.height(), g.bytesPerLine()
    rows = np.frombuffer(g.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return rows[:, : w * channels].reshape(h, w, channels).copy()


@functools.lru_cache(maxsize=None)
def _luminance(rgb: tuple[int, int, int]) -> float:
    """A colour's gray level as qimage_to_gray() reads it (computed once per colour: a check on every stroke)."""
    return float(qimage_to_gray(_swatch(QColor(*rgb)))[0, 0])


def _swatch(c: QColor) -> QImage:
    img = QImage(1, 1, QImage.Format.Format_RGB32)
    img.fill(c)
    return img


def gray_to_qimage(gray: np.ndarray) -> QImage:
    a = np.ascontiguousarray((np.clip(gray, 0, 1) * 255).round().astype(np.uint8))
    h, w = a.shape
    return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()


@dataclass
class Box:
    """A digit found on the canvas, to draw over it: its box in the coordinates of the array it was read from."""

    x: float
    y: float
    w: float
    h: float
    text: str
    unsure: bool = False
    selected: bool = False


class DrawingCanvas(QWidget):
    changed = Signal()  # the content changed (a stroke segment, undo, clear, a new image)
    history_changed = Signal(bool, bool)  # can undo, can redo

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_StaticContents)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self._logical = QSize(LOGICAL_SIDE, LOGICAL_SIDE)
        self.setFixedSize(self._logical)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit. Right-drag erases.")
        self._picture_rect = QRectF()  # where an opened picture lies on the canvas, in logical pixels
        self._boxes: list[Box] = []
        self._boxes_frame = QRectF()  # the rectangle of the canvas the boxes' array covers
        self._boxes_scale = 1.0  # logical pixels per pixel of that array
        self.brush_size = 18.0
        self.eraser = False
        self._scale = 1.0
        self._image = self._blank()
        self._source: tuple[int, np.ndarray] | None = None  # (cacheKey of the image showing it, picture)
        self._undo: list[QImage] = []
        self._redo: list[QImage] = []
        self._drawing = False
        self._erasing_now = False
        self._points: list[QPointF] = []
        self._pressure = 1.0

    # -- content -------------------------------------------------------------------------------
    def _blank(self) -> QImage:
        self._scale = max(self.devicePixelRatioF(), 1.0)
        w, h = int(round(self._logical.width() * self._scale)), int(round(self._logical.height() * self._scale))
        img = QImage(w, h, QImage.Format.Format_RGB32)
        img.fill(PAPER)
        return img

    @property
    def wide(self) -> bool:
        return self._logical.width() != self._logical.height()

    def set_wide(self, wide: bool) -> None:
        """Widen the canvas for a whole number, or make it square again for one digit. What is on it stays,
        fitted into the new shape; the undo history, of the other shape, does not."""
        if wide == self.wide:
            return
        old = self._image
        self._logical = QSize(*WIDE_SIZE) if wide else QSize(LOGICAL_SIDE, LOGICAL_SIDE)
        self.setFixedSize(self._logical)
        self.setToolTip("Write a number. Right-drag erases." if wide else "Draw a digit. Right-drag erases.")
        img = self._blank()
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self._fitted(old.width(), old.height(), img.width(), img.height()), old)
        p.end()
        self._image = img
        self._source = None
        self._picture_rect = QRectF()
        self._undo.clear()
        self._redo.clear()
        self.history_changed.emit(False, False)
        self.set_boxes([])
        self.update()
        self.changed.emit()

    @staticmethod
    def _fitted(w: float, h: float, room_w: float, room_h: float) -> QRectF:
        scale = min(room_w / w, room_h / h)
        return QRectF((room_w - w * scale) / 2, (room_h - h * scale) / 2, w * scale, h * scale)

    def image(self) -> QImage:
        return self._image.copy()

    def gray_array(self, side: int = MODEL_SIDE) -> np.ndarray:
        """The content as luminance, `side` pixels tall (and as wide as its shape makes it)."""
        width = int(round(side * self._logical.width() / self._logical.height()))
        return qimage_to_gray(self._image, size=(width, side))

    def source_picture(self) -> np.ndarray | None:
        """The picture set_image() was given, while the canvas still shows it unedited; else None.

        A photo's ruled lines, shadow or sheet edge are found far better at its own resolution than in the
        canvas's MODEL_SIDE-pixel copy, so an opened picture is normalised from this. QImage.cacheKey()
        changes when the image is painted on, so any stroke, clear, undo or redo ends it."""
        if self._source is not None and self._source[0] == self._image.cacheKey():
            return self._source[1]
        return None

    def holds_only_drawing(self, gray: np.ndarray) -> bool:
        """Whether `gray` (this canvas's gray_array()) is strokes on the canvas's paper and nothing else: nearly
        every pixel is the paper's or the pen's tone, grey only along the strokes' smoothed edges. An opened
        photo, drawn on or not, has greys everywhere; it needs the photo path (polarity, light, sheet)."""
        paper, pen = _luminance(PAPER.getRgb()[:3]), _luminance(INK.getRgb()[:3])
        pure = (np.abs(gray - paper) < 0.03) | (np.abs(gray - pen) < 0.03)
        return float(np.mean(pure)) >= DRAWING_PURE_FRACTION

    def is_blank(self) -> bool:
        return bool(self.gray_array(32).min() > 0.9)

    def _push_undo(self) -> None:
        self._undo.append(self._image.copy())
        del self._undo[:-UNDO_LIMIT]
        self._redo.clear()
        self.history_changed.emit(True, False)

    def clear(self) -> None:
        self._push_undo()
        self._image = self._blank()
        self.set_boxes([])
        self.update()
        self.changed.emit()

    def set_image(self, gray: np.ndarray) -> None:
        """Make a picture (grayscale array) the content: fitted, centred, on paper of its own border tone."""
        self._push_undo()
        g = np.asarray(gray, np.float32)
        border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
        fill = int(round(float(np.median(border)) * 255))
        img = self._blank()
        img.fill(QColor(fill, fill, fill))
        src = gray_to_qimage(g)
        p = QPainter(img)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self._fitted(src.width(), src.height(), img.width(), img.height()), src)
        p.end()
        self._image = img
        self._source = (img.cacheKey(), g)
        self._picture_rect = self._fitted(src.width(), src.height(), self._logical.width(), self._logical.height())
        self.set_boxes([])
        self.update()
        self.changed.emit()

    def to_png(self) -> bytes:
        """The content as a PNG: what the window keeps so a drawing outlives the session."""
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        self._image.convertToFormat(QImage.Format.Format_RGB888).save(buf, "PNG")  # paper and ink colours as drawn
        buf.close()
        return bytes(data)

    def restore_png(self, data: bytes) -> bool:
        """Make a PNG from to_png() the content again (scaled to this screen's pixels), as the session's
        starting point: no undo step. False, and nothing changed, if it is not a readable picture of the canvas's
        shape."""
        img = QImage.fromData(data, "PNG")
        shape = self._logical.width() / self._logical.height()
        if (img.isNull() or abs(img.width() / max(img.height(), 1) - shape) > 0.02 * shape
                or max(img.width(), img.height()) > RESTORE_MAX_SIDE):
            return False
        blank = self._blank()
        self._image = img.convertToFormat(QImage.Format.Format_RGB32).scaled(
            blank.size(), Qt.AspectRatioMode.IgnoreAspectRatio, Qt.TransformationMode.SmoothTransformation)
        self._source = None
        self.update()
        self.changed.emit()
        return True

    def undo(self) -> None:
        if self._undo:
            self._redo.append(self._image)
            self._image = self._undo.pop()
            self.history_changed.emit(bool(self._undo), True)
            self.update()
            self.changed.emit()

    def redo(self) -> None:
        if self._redo:
            self._undo.append(self._image)
            self._image = self._redo.pop()
            self.history_changed.emit(True, bool(self._redo))
            self.update()
            self.changed.emit()

    def can_undo(self) -> bool:
        return bool(self._undo)

    def can_redo(self) -> bool:
        return bool(self._redo)

    # -- painting strokes ----------------------------------------------------------------------
    def _pen(self) -> QPen:
        erase = self.eraser or self._erasing_now
        width = self.brush_size * (2.0 if erase else max(self._pressure, 0.15)) * self._scale
        return QPen(PAPER if erase else INK, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                    Qt.PenJoinStyle.RoundJoin)

    def _begin(self, pos: QPointF, erase: bool) -> None:
        self._push_undo()
        self._drawing = True
        self._erasing_now = erase
        self._points = [pos * self._scale]
        self._stroke_to(pos)

    def _stroke_to(self, pos: QPointF) -> None:
        """Quadratic curves through the midpoints of successive points: smooth, and it keeps up."""
        pts = self._points
        p = pos * self._scale
        if pts and (p - pts[-1]).manhattanLength() < 0.5 and len(pts) > 1:
            return
        pts.append(p)
        path = QPainterPath()
        if len(pts) < 3:
            path.moveTo(pts[0])
            path.lineTo(pts[-1] + QPointF(0.01, 0.01))
        else:
            a, b, c = pts[-3], pts[-2], pts[-1]
            path.moveTo((a + b) / 2)
            path.quadTo(b, (b + c) / 2)
        painter = QPainter(self._image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(self._pen())
        painter.drawPath(path)
        painter.end()
        r = path.boundingRect()
        pad = self.brush_size * 2 * self._scale + 2
        r = r.adjusted(-pad, -pad, pad, pad)
        s = self._scale
        self.update(QRectF(r.x() / s, r.y() / s, r.width() / s, r.height() / s).toAlignedRect())
        self.changed.emit()

    def _end(self) -> None:
        if self._drawing:
            self._drawing = False
            self._erasing_now = False
            self._pressure = 1.0

    def mousePressEvent(self, e) -> None:
        if e.button() in (Qt.MouseButton.LeftButton, Qt.MouseButton.RightButton):
            self._begin(e.position(), e.button() == Qt.MouseButton.RightButton)

    def mouseMoveEvent(self, e) -> None:
        if self._drawing:
            self._stroke_to(e.position())

    def mouseReleaseEvent(self, e) -> None:
        self._end()

    def tabletEvent(self, e: QTabletEvent) -> None:
        self._pressure = e.pressure() if e.pressure() > 0 else 1.0
        t = e.type()
        if t == QTabletEvent.Type.TabletPress:
            self._begin(e.position(), e.pointerType() == e.pointerType().Eraser)
        elif t == QTabletEvent.Type.TabletMove and self._drawing:
            self._stroke_to(e.position())
        elif t == QTabletEvent.Type.TabletRelease:
            self._end()
        e.accept()

    # -- digits read from the content --------------------------------------------------------------
    def set_boxes(self, boxes: list[Box], frame_size: tuple[int, int] | None = None, on_picture: bool = False) -> None:
        """Draw these boxes over the content. Their coordinates are in an array of frame_size (w, h): the opened
        picture itself (on_picture) or gray_array()'s copy of the whole canvas. Empty: no boxes."""
        self._boxes = list(boxes)
        if boxes and frame_size:
            room = self._picture_rect if on_picture and not self._picture_rect.isEmpty() else \
                QRectF(0, 0, self._logical.width(), self._logical.height())
            self._boxes_frame = room
            self._boxes_scale = room.width() / max(frame_size[0], 1)
        self.update()

    def boxes(self) -> list[Box]:
        return list(self._boxes)

    def box_rect(self, box: Box) -> QRectF:
        """Where a box lies on the widget, in logical pixels."""
        s, f = self._boxes_scale, self._boxes_frame
        return QRectF(f.x() + box.x * s, f.y() + box.y * s, box.w * s, box.h * s)

    def paintEvent(self, e) -> None:
        p = QPainter(self)
        w, h = self._logical.width(), self._logical.height()
        p.drawImage(QRectF(0, 0, w, h), self._image)
        p.setPen(QPen(QColor(160, 160, 160), 1))
        p.drawRect(QRectF(0.5, 0.5, w - 1, h - 1))
        if self._boxes:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(self.font())
            font.setBold(True)
            p.setFont(font)
            for box in self._boxes:
                colour = QColor(211, 84, 0) if box.unsure else QColor(39, 174, 96)
                r = self.box_rect(box)
                p.setPen(QPen(colour, 3 if box.selected else 1.5))
                p.drawRect(r)
                tag = QRectF(r.x(), r.y() - 17, max(r.width(), 22), 16)
                if tag.y() < 0:  # no room above: inside the box's top
                    tag.moveTop(r.y() + 1)
                p.fillRect(tag, colour)
                p.setPen(QColor(255, 255, 255))
                p.drawText(tag, Qt.AlignmentFlag.AlignCenter, box.text)
        p.end()

    def sizeHint(self) -> QSize:
        return QSize(self._logical)
