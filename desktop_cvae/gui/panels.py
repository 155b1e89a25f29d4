"""The main window's two fixed columns: the input on the left, what the model sees and thinks in the middle.

Each panel builds and lays out its own widgets and shows what it is given; the main window wires them to the
state and the worker."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup, QComboBox, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QSlider, QToolButton,
    QVBoxLayout, QWidget,
)

from .canvas import DrawingCanvas
from .number_panel import NumberPanel
from .views import ImageView, ProbabilityBars


def caption(text: str) -> QLabel:
    """A wrapped, quieter line of explanation under a view."""
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setStyleSheet("color: palette(placeholder-text);")
    return lab


class InputPanel(QWidget):
    """The canvas and its tools, the digit / whole-number switch, and what normalisation detected."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.canvas = DrawingCanvas()
        self.brush = QSlider(Qt.Orientation.Horizontal)
        self.brush.setRange(4, 48)
        self.brush.setValue(18)
        self.brush.setToolTip("Brush size ([ and ])")
        self.eraser_button = QToolButton(text="Eraser", checkable=True, toolTip="Eraser (E)")
        self.undo_button = QToolButton(text="Undo", toolTip="Undo (Ctrl+Z)", enabled=False)
        self.redo_button = QToolButton(text="Redo", toolTip="Redo (Ctrl+Shift+Z)", enabled=False)
        self.clear_button = QToolButton(text="Clear", toolTip="Clear (Delete)")
        self.open_button = QPushButton("Open image…")
        tools = QHBoxLayout()
        for w in (self.eraser_button, self.undo_button, self.redo_button, self.clear_button):
            tools.addWidget(w)
        brush_row = QHBoxLayout()
        brush_row.addWidget(QLabel("Brush"))
        brush_row.addWidget(self.brush, 1)
        self.notes_label = caption("Draw a digit with the mouse or a pen, or open, drop or paste a picture.")
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #c0392b; font-weight: bold;")
        self.message_label.hide()
        self.digit_mode_button = QToolButton(text="One digit", checkable=True, checked=True,
                                             toolTip="Draw or open one digit (Ctrl+1)")
        self.number_mode_button = QToolButton(text="Whole number", checkable=True,
                                              toolTip="Write or open a whole number: postcode, phone, card (Ctrl+2)")
        self.mode_buttons = QButtonGroup(self)
        for b in (self.digit_mode_button, self.number_mode_button):
            self.mode_buttons.addButton(b)
        self.title = QLabel("<b>Your digit</b>")
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.title, 1)
        mode_row.addWidget(self.digit_mode_button)
        mode_row.addWidget(self.number_mode_button)
        self.number_panel = NumberPanel()
        self.number_panel.hide()
        lv = QVBoxLayout(self)
        lv.addLayout(mode_row)
        lv.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        lv.addWidget(self.number_panel)
        lv.addLayout(brush_row)
        lv.addLayout(tools)
        lv.addWidget(self.open_button)
        lv.addWidget(self.notes_label)
        lv.addWidget(self.message_label)
        lv.addStretch(1)
        self.brush.valueChanged.connect(lambda v: setattr(self.canvas, "brush_size", float(v)))
        self.eraser_button.toggled.connect(lambda on: setattr(self.canvas, "eraser", on))
        self.undo_button.clicked.connect(self.canvas.undo)
        self.redo_button.clicked.connect(self.canvas.redo)
        self.clear_button.clicked.connect(self.canvas.clear)
        self.canvas.history_changed.connect(self._on_history)

    def show_mode(self, number: bool) -> None:
        self.digit_mode_button.setChecked(not number)
        self.number_mode_button.setChecked(number)
        self.title.setText("<b>Your number</b>" if number else "<b>Your digit</b>")
        self.number_panel.setVisible(number)
        self.number_panel.set_message("Write a number, or open, drop or paste a photo of one.")

    def show_error(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.show()

    def _on_history(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_button.setEnabled(can_undo)
        self.redo_button.setEnabled(can_redo)


class ModelPanel(QWidget):
    """What the model sees (the 28×28 input), its reconstruction, the probability of every label, and the
    noise and label condition the person sets."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.input_view = ImageView("Model input (28×28)")
        self.input_view.setToolTip("What the network sees: your digit normalised to MNIST's format, plus noise")
        self.recon_view = ImageView("Reconstruction")
        self.recognised_label = QLabel("–")
        self.recognised_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recognised_label.setStyleSheet("font-size: 28px; font-weight: bold;")
        self.bars = ProbabilityBars()
        self.ood_label = QLabel("⚠ This does not look like a digit to the model.")
        self.ood_label.setStyleSheet("color: #d35400; font-weight: bold;")
        self.ood_label.setWordWrap(True)
        self.ood_label.hide()
        # A number opened or drawn in one-digit mode: its digits squeezed into one; the link switches to Number mode.
        self.several_label = QLabel("⚠ This looks like several digits side by side, squeezed here into one. "
                                    "<a href='number'>Read it as a whole number</a> (Ctrl+2).")
        self.several_label.setStyleSheet("color: #d35400; font-weight: bold;")
        self.several_label.setWordWrap(True)
        self.several_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.several_label.hide()
        self.sigma_slider = QSlider(Qt.Orientation.Horizontal)
        self.sigma_slider.setRange(0, 100)
        self.sp_slider = QSlider(Qt.Orientation.Horizontal)
        self.sp_slider.setRange(0, 50)
        self.sigma_value = QLabel("0.00")
        self.sp_value = QLabel("0.00")
        self.reroll_noise_button = QPushButton("Re-roll noise")
        self.label_combo = QComboBox()
        self.label_combo.addItem("Auto (recognised)", None)
        for d in range(10):
            self.label_combo.addItem(str(d), d)
        noise_box = QGroupBox("Noise (added after normalisation)")
        ng = QGridLayout(noise_box)
        ng.addWidget(QLabel("Gaussian σ"), 0, 0)
        ng.addWidget(self.sigma_slider, 0, 1)
        ng.addWidget(self.sigma_value, 0, 2)
        ng.addWidget(QLabel("Salt & pepper"), 1, 0)
        ng.addWidget(self.sp_slider, 1, 1)
        ng.addWidget(self.sp_value, 1, 2)
        ng.addWidget(self.reroll_noise_button, 2, 0, 1, 3)
        label_row = QHBoxLayout()
        label_row.addWidget(QLabel("Condition on label"))
        label_row.addWidget(self.label_combo, 1)
        views = QHBoxLayout()
        views.addWidget(self.input_view)
        views.addWidget(self.recon_view)
        mv = QVBoxLayout(self)
        mv.addLayout(views, 3)
        rec_box = QGroupBox("Recognition")  # a group box title cannot wrap: the detail goes in a caption
        rv = QVBoxLayout(rec_box)
        rv.addWidget(caption("p(label | input), from each label's evidence bound"))
        rv.addWidget(self.recognised_label)
        rv.addWidget(self.bars, 1)
        rv.addWidget(self.ood_label)
        rv.addWidget(self.several_label)
        mv.addWidget(rec_box, 3)
        mv.addWidget(noise_box)
        mv.addLayout(label_row)

    def show_noise(self, sigma: float, salt_pepper: float) -> None:
        self.sigma_value.setText(f"{sigma:.2f}")
        self.sp_value.setText(f"{salt_pepper:.2f}")

    def show_nothing(self, message: str) -> None:
        """No input to show: every view that speaks of the input says so, and nothing of an earlier one stays."""
        self.input_view.set_array(None, message)
        self.recon_view.title = "Reconstruction"
        self.recon_view.set_array(None, "")
        self.bars.set_probabilities(None, message=message)
        self.recognised_label.setText("–")
        self.ood_label.hide()
        self.several_label.hide()
