"""The explorations beside the model's view, one class per tab: each builds its own widgets and shows what the
worker sends back. What to ask the worker for, and when, stays with the main window."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from ..explain import KL_MEANS, RECONSTRUCTION_MEANS, SUM_MEANS
from .panels import caption
from .plots import ExplainPlot, LatentPlot, LossPlot
from .views import GridView, ImageView

WAITING_FOR_A_DIGIT = "Samples of the recognised digit appear when there is one (or pick a digit in Condition on label)."


def _stack(tab: QWidget, *widgets: QWidget) -> None:
    """The widgets one under another, the views taking the spare height."""
    v = QVBoxLayout(tab)
    for w in widgets:
        v.addWidget(w, 1 if isinstance(w, (ImageView, LossPlot, LatentPlot)) else 0)


class SamplesTab(QWidget):
    title = "Samples"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = GridView(min_side=200)
        self.reroll_button = QPushButton("Re-roll samples")
        self.caption = caption("Digits generated for the selected label.")
        self.prior_checkbox = QCheckBox("Draw z from the model's prior")
        self.prior_checkbox.setToolTip(
            "Unchecked: z comes from a Gaussian fitted to the latent codes of the shipped sample's digits of\n"
            "this label. Checked: z from the CVAE's own prior, N(0, I) or its Gaussian for the label;\n"
            "where the latent code carries some of the class and the prior does not, some look like other digits.")
        _stack(self, self.caption, self.view, self.prior_checkbox, self.reroll_button)

    @property
    def prior(self) -> str:
        return "standard" if self.prior_checkbox.isChecked() else "fitted"

    def show_waiting(self) -> None:
        self.view.set_images(None, placeholder="—")
        self.caption.setText(WAITING_FOR_A_DIGIT)

    def show_samples(self, images: np.ndarray, label: int, seed: int, conditional: bool, prior_kind: str | None) -> None:
        """prior_kind: "learnt" or "fitted" for a model with a prior per label, else None."""
        self.view.set_images(images)
        if not conditional:
            text = f"16 digits generated from z ~ N(0, I) (seed {seed}); a plain VAE takes no label."
        elif self.prior == "standard" and prior_kind:
            text = f"16 digits generated for label {label} from the model's {prior_kind} prior p(z | {label}) (seed {seed})."
        elif self.prior == "standard":
            text = f"16 digits generated for label {label} from z ~ N(0, I), the model's prior (seed {seed})."
        else:
            text = (f"16 digits generated for label {label}, z drawn from a Gaussian fitted to the latent codes "
                    f"of real {label}s (seed {seed}).")
        self.caption.setText(text)


class StyleTab(QWidget):
    title = "Your style"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = GridView(min_side=200)
        _stack(self, caption("Your input's latent code (its style) decoded under every label 0–9."), self.view)


class LatentTab(QWidget):
    title = "Latent space"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = LatentPlot()
        self.decoded_view = ImageView("Decoded at the click", min_side=110)
        self.decoded_view.set_array(None, "Click on the plot")
        self.plain_vae_button = QPushButton("Switch to the plain VAE")
        self.plain_vae_button.setToolTip("A plain VAE has no label to lean on, so its latent space clusters by digit")
        # Short enough to leave the plot room in a small window; why codes do or do not cluster is in the tooltip.
        latent_caption = caption(
            "Latent means of 1,000 shipped test digits, your input marked ✕. Click or drag on the plot to decode "
            "that point. The title measures how far the codes cluster by label (hover here for why).")
        latent_caption.setToolTip(
            "A conditional VAE is given the label, so its latent code need only hold style (slant, width,\n"
            "thickness), not class: under the prior N(0, I) it should not cluster by label, while a prior per\n"
            "label (the default model's) gathers each label's codes around its own Gaussian.\n"
            "A plain VAE must put class in the code too.")
        # The plot takes the tab's whole width (beside it, a narrow window left it none); what a click decodes
        # and the switch to the plain VAE sit under it.
        self.decoded_view.setFixedSize(170, 130)
        below = QHBoxLayout()
        below.addWidget(self.decoded_view)
        bv = QVBoxLayout()
        bv.addStretch(1)
        bv.addWidget(self.plain_vae_button)
        below.addLayout(bv, 1)
        lt = QVBoxLayout(self)
        lt.addWidget(latent_caption)
        lt.addWidget(self.plot, 1)
        lt.addLayout(below)

    def offer_plain_vae(self, offered: bool, back_to: str = "") -> None:
        """Beside a CVAE, the switch to the plain VAE; beside the plain VAE, the way back to `back_to`."""
        if offered:
            self.plain_vae_button.setText("Switch to the plain VAE")
            self.plain_vae_button.setToolTip("A plain VAE has no label to lean on, so its latent space clusters by "
                                             "digit")
        else:
            self.plain_vae_button.setText("Back to the CVAE")
            self.plain_vae_button.setToolTip(f"Load “{back_to}” again, the conditional model that was active "
                                             "before the plain VAE")


class ExplainTab(QWidget):
    title = "Explain"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = ExplainPlot()
        self.text = caption("")
        self.text.setTextFormat(Qt.TextFormat.RichText)
        _stack(self, caption("How the model reached its answer for your input: the encoder's code, and each label's "
                             "evidence bound in its two terms."), self.plot, self.text)

    def show_explanation(self, ex) -> None:
        self.plot.set_explanation(ex)
        self.text.setText(f"<b>{ex.why()}</b><br>{RECONSTRUCTION_MEANS}<br>{KL_MEANS}<br>{SUM_MEANS}")

    def show_message(self, message: str) -> None:
        self.plot.show_message(message)
        self.text.setText("")


class InterpolationTab(QWidget):
    """Two inputs, each taken from what the model sees now (drawn or opened), joined in z."""

    title = "Interpolation"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.ends: list[np.ndarray | None] = [None, None]
        self.end_views = (ImageView("A", min_side=56), ImageView("B", min_side=56))
        self.set_buttons = (QPushButton("Use the input as A"), QPushButton("Use the input as B"))
        self.steps_spin = QSpinBox(minimum=3, maximum=15, value=9)
        self.hold_check = QCheckBox("Hold A's label")
        self.hold_check.setToolTip("Draw every step as A's digit, in a style that moves to B's; unticked, "
                                   "the label changes from A's to B's along the way")
        self.view = GridView(min_side=150)
        self.caption = caption("Draw or open a digit and press “Use the input as A”, then another for B.")
        ends = QGridLayout()
        for col, (view, button) in enumerate(zip(self.end_views, self.set_buttons)):
            view.set_array(None, "—")
            view.setFixedSize(90, 90)
            ends.addWidget(view, 0, col)
            ends.addWidget(button, 1, col)
        # Short rows: a wide one would raise the window's smallest width (a 1024-pixel netbook must fit).
        steps_row = QHBoxLayout()
        steps_row.addWidget(QLabel("Steps"))
        steps_row.addWidget(self.steps_spin)
        steps_row.addWidget(self.hold_check)
        steps_row.addStretch(1)
        ends.addLayout(steps_row, 2, 0, 1, 3)
        ends.setColumnStretch(2, 1)
        controls = QWidget()
        controls.setLayout(ends)
        _stack(self, caption("Two digits joined by a straight line through latent space, each step decoded."),
               controls, self.view, self.caption)

    def set_end(self, end: int, pixels: np.ndarray) -> None:
        self.ends[end] = pixels
        self.end_views[end].set_array(pixels)

    def show_steps(self, drawn: np.ndarray, labels, read) -> None:
        self.view.set_images(drawn, cols=len(drawn))
        if labels[0] is None:
            self.caption.setText(f"{len(drawn)} steps from A's code to B's (a plain VAE: no labels).")
            return
        held = "every step drawn as " + str(labels[0]) if len(set(labels)) == 1 else f"label {labels[0]} to {labels[-1]}"
        self.caption.setText(f"{len(drawn)} steps from A's code to B's, {held}. Read as: "
                             + " ".join(str(int(r)) for r in read))


class LatentGridTab(QWidget):
    """Seed 004's uniform traversal, made a tool: a label (or the input's), two latent directions (or the two most
    used), its size, and Save PNG."""

    title = "Latent grid"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = GridView(min_side=200)
        self.caption = caption("Seed 004's uniform traversal.")
        self.label_combo = QComboBox()
        self.label_combo.addItem("as the input", None)
        for d in range(10):
            self.label_combo.addItem(str(d), d)
        self.dim_spins = (QSpinBox(minimum=-1, maximum=0), QSpinBox(minimum=-1, maximum=0))
        for spin in self.dim_spins:
            spin.setSpecialValueText("most used")  # -1: the dimension the shipped digits' codes vary most along
            spin.setValue(-1)
            spin.setToolTip("Which latent dimension the grid runs along; 'most used' picks from the shipped "
                            "digits' codes")
        self.steps_spin = QSpinBox(minimum=3, maximum=25, value=9)
        self.steps_spin.setToolTip("Steps along each side of the grid")
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setToolTip("Save the grid as a PNG image")
        self.images: np.ndarray | None = None  # the grid shown, (steps * steps, 28, 28)
        self.cols = 0
        # Two short rows: one long row would widen the tab and squeeze the model's panels beside it.
        controls = QWidget()
        rows = QGridLayout(controls)
        rows.setContentsMargins(0, 0, 0, 0)
        for col, (text, w) in enumerate((("Label", self.label_combo), ("Steps", self.steps_spin))):
            rows.addWidget(QLabel(text), 0, 2 * col)
            rows.addWidget(w, 0, 2 * col + 1)
        for col, (text, w) in enumerate((("Rows", self.dim_spins[0]), ("Columns", self.dim_spins[1]))):
            rows.addWidget(QLabel(text), 1, 2 * col)
            rows.addWidget(w, 1, 2 * col + 1)
        rows.addWidget(self.save_button, 2, 0, 1, 2)
        rows.setColumnStretch(4, 1)
        _stack(self, self.caption, controls, self.view)

    @property
    def dims(self) -> tuple[int, int] | None:
        """The two chosen latent dimensions, or None for the two most used."""
        dims = tuple(s.value() for s in self.dim_spins)
        return None if -1 in dims else dims

    def fit_to_model(self, latent_dim: int, conditional: bool) -> None:
        for spin in self.dim_spins:  # a 2-D latent space is the grid's plane itself: nothing to choose
            spin.blockSignals(True)
            spin.setMaximum(latent_dim - 1)
            spin.setValue(-1 if spin.value() >= latent_dim else spin.value())
            spin.setEnabled(latent_dim > 2)
            spin.blockSignals(False)
        self.label_combo.setEnabled(conditional)

    def show_waiting(self) -> None:
        self.view.set_images(None, placeholder="—")
        self.images = None
        self.caption.setText(WAITING_FOR_A_DIGIT.replace("Samples", "A latent grid").replace(
            "Condition on label", "Condition on label or the grid's Label"))

    def show_grid(self, grid: np.ndarray, label: int, dims, conditional: bool, prior_kind: str | None) -> None:
        steps = grid.shape[0]
        self.images, self.cols = grid.reshape(-1, 28, 28), steps
        self.view.set_images(self.images, cols=steps)
        what = f"label {label}, " if conditional else ""
        which = "as chosen" if self.dims is not None else "the two most used"
        self.caption.setText(
            f"Latent grid, as seed 004's uniform traversal ({what}rows along latent dimension {dims[0]}, columns "
            f"along {dims[1]}, {which}): "
            + (f"z at the 5%–95% quantiles of the {prior_kind} prior p(z | {label}), other dimensions at its mean."
               if prior_kind else "z at the normal distribution's 5%–95% quantiles, other dimensions 0."))


class LossTab(QWidget):
    title = "Loss curves"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.plot = LossPlot()
        _stack(self, caption("Training and validation loss of the active model, per epoch."), self.plot)


class GalleryTab(QWidget):
    title = "Gallery"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.view = GridView(min_side=200)
        _stack(self, caption("Ten test digits (top) and the model's reconstructions (bottom)."), self.view)
