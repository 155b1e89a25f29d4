"""The number read from the canvas: each digit large, with its confidence, unsure digits marked; a click on a
digit shows it in the single-digit panels. It shows a reading (numbers.NumberReading) and knows no model."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QFontMetricsF
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QPushButton, QToolButton, QVBoxLayout, QWidget

UNSURE_STYLE = "QToolButton { color: #d35400; border: 2px solid #d35400; border-radius: 4px; }"
SURE_STYLE = "QToolButton { border: 1px solid palette(mid); border-radius: 4px; }"
TILE_SCALE = 1.6  # a digit's tile font, times the panel's
TILE_PADDING = 12  # pixels a tile needs beside its text (border and margins)
CHECKED = "QToolButton:checked { background: palette(highlight); color: palette(highlighted-text); }"


class NumberPanel(QWidget):
    digit_clicked = Signal(int)  # the index of the digit the person chose
    copy_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.title = QLabel("<b>Number read</b>")
        self.message = QLabel("Write a number, or open, drop or paste a photo of one.")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: palette(placeholder-text);")
        self.digit_row = QHBoxLayout()
        self.digit_row.setSpacing(4)
        self.digit_row.addStretch(1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.group.idClicked.connect(self.digit_clicked)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.copy_button = QPushButton("Copy number")
        self.copy_button.setToolTip("Copy the number to the clipboard (Ctrl+C)")
        self.copy_button.clicked.connect(self.copy_requested)
        self.copy_button.setEnabled(False)
        bottom = QHBoxLayout()
        bottom.addWidget(self.summary, 1)
        bottom.addWidget(self.copy_button)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        v.addWidget(self.title)
        v.addLayout(self.digit_row)
        v.addWidget(self.message)
        v.addLayout(bottom)
        self.reading = None

    def buttons(self) -> list[QToolButton]:
        return [self.group.button(i) for i in range(len(self.group.buttons()))]

    def set_reading(self, reading) -> None:
        """Show a reading; set_message says why there is none. select() marks the digit the panels show."""
        self._clear()
        self.reading = reading
        for i, d in enumerate(reading.digits):
            b = QToolButton()
            b.setCheckable(True)
            b.setText(f"{d.label}{'?' if d.unsure else ''}\n{100 * d.confidence:.0f}%")
            b.setToolTip(f"Digit {i + 1}: {d.label}, {100 * d.confidence:.1f}% sure"
                         + (" — unsure: check it" if d.unsure else "")
                         + ("; the ink here could as well be split another way (part of a digit, or two)"
                            if d.split_doubt else "")
                         + ("; it looks like a letter or a drawing, not a digit" if d.letter_like else
                            "; does not look like a digit to the model" if not d.looks_like_digit else "")
                         + ("; it leans like a date's slash, and may be one" if d.maybe_slash else "")
                         + ". Click to see it in the panels beside.")
            b.setStyleSheet((UNSURE_STYLE if d.unsure else SURE_STYLE) + CHECKED)
            self.group.addButton(b, i)
            self.digit_row.insertWidget(self.digit_row.count() - 1, b)
        self._fit_tiles()
        unsure = [str(i + 1) for i, d in enumerate(reading.digits) if d.unsure]
        text = (f"<span style='font-size: 20px; font-weight: bold;'>{reading.marked}</span><br>"
                f"{len(reading.digits)} digits · {100 * reading.confidence:.1f}% sure of every one")
        if unsure:
            text += f"<br><span style='color: #d35400;'>Unsure of digit {', '.join(unsure)}: check the ?</span>"
        # A sure label can still be marked: say why.
        for why, digits in (("the ink may be split another way (part of a digit, or two digits)",
                             [i for i, d in enumerate(reading.digits) if d.split_doubt]),
                            ("it looks like a letter or a drawing, not a digit",
                             [i for i, d in enumerate(reading.digits) if d.letter_like]),
                            ("unlike any digit the model knows",
                             [i for i, d in enumerate(reading.digits) if not d.looks_like_digit and not d.letter_like]),
                            ("a 1 that leans like a date's slash: it may be one",
                             [i for i, d in enumerate(reading.digits) if d.maybe_slash])):
            if digits:
                text += (f"<br><span style='color: #d35400;'>Digit {', '.join(str(i + 1) for i in digits)}: "
                         f"{why}</span>")
        self.summary.setText(text)
        self.message.hide()
        self.copy_button.setEnabled(bool(reading.digits))

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit_tiles()

    def _fit_tiles(self) -> None:
        """The digits' tiles large, but never so large that a row of twelve cuts "100%" short: the font shrinks to
        what the panel's width holds."""
        tiles = self.buttons()
        if not tiles:
            return
        spacing = self.digit_row.spacing()
        room = (self.width() - spacing * (len(tiles) - 1)) / len(tiles) - TILE_PADDING
        font = QFont(self.font())
        size = self.font().pointSizeF() * TILE_SCALE
        font.setBold(True)
        while size > self.font().pointSizeF():
            font.setPointSizeF(size)
            if QFontMetricsF(font).horizontalAdvance("100%") <= room:
                break
            size -= 0.5
        font.setPointSizeF(size)
        width = int(QFontMetricsF(font).horizontalAdvance("100%") + TILE_PADDING)
        for b in tiles:
            b.setFont(font)
            b.setMinimumWidth(width)

    def set_message(self, message: str) -> None:
        """No reading: say why (nothing written yet, no ink, a model that cannot read)."""
        self._clear()
        self.message.setText(message)
        self.message.show()

    def select(self, index: int) -> None:
        b = self.group.button(index)
        if b is not None:
            b.setChecked(True)

    def _clear(self) -> None:
        self.reading = None
        for b in list(self.group.buttons()):
            self.group.removeButton(b)
            self.digit_row.removeWidget(b)
            b.deleteLater()
        self.summary.setText("")
        self.copy_button.setEnabled(False)
