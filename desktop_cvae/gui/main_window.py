"""The main window: input on the left, what the model sees and thinks in the middle, explorations in tabs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QFileDialog, QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget,
)

from .. import __version__
from ..calibration import runner_up_if_unsure
from ..catalog import default_model_path, display_name
from ..imaging import grid_image, save_png_atomic
from ..vision.imageio import ImageError, file_dialog_filter
from ..vision.preprocess import NoInkError, Normalized
from .canvas import Box
from .model_menu import ModelMenu
from .opener import PictureOpener, load_picture, pasted_picture
from .panels import InputPanel, ModelPanel
from .state import AppState
from .tabs import ExplainTab, GalleryTab, InterpolationTab, LatentGridTab, LatentTab, LossTab, SamplesTab, StyleTab
from .views import ImageView, fit_to_screen
from .worker import DigitCheck, InferenceWorker, UpdateResult

MAX_PASTE_SIDE = 512
# A photo of a whole number keeps a phone's pixels: the reader reads it shrunk, and a number small in it again from
# these (a card a third of the frame wide).
MAX_NUMBER_PICTURE_SIDE = 4096
NUMBER_CANVAS_HEIGHT = 160  # the wide canvas is read at this height (a digit ends up 20 pixels tall anyway)
# Dropped, these go to the model loader, which loads .keras and refuses HDF5 with its reason.
MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
DRAWING_KEY = "canvas/drawing"  # the canvas as PNG, so a drawing outlives a restart or a crash
DRAWING_SAVE_DELAY_MS = 1000
READING = "Reading your digit…"  # what the panels say between a first stroke and its answer
EXPLAIN_AFTER_MS = 250  # the Explain tab redraws this long after the last answer, not at every stroke

SHORTCUTS = [
    ("Ctrl+1", "One digit"), ("Ctrl+2", "A whole number"), ("Ctrl+C", "Copy the number read"),
    ("Ctrl+O", "Open an image"), ("Ctrl+V", "Paste an image"), ("Ctrl+Z", "Undo"), ("Ctrl+Shift+Z", "Redo"),
    ("Delete", "Clear the canvas"), ("E", "Eraser on/off (or draw with the right mouse button)"),
    ("[ and ]", "Smaller / larger brush"), ("R", "Re-roll noise"), ("G", "Re-roll samples"),
    ("A, 0-9", "Label: Auto or a digit (with Alt)"), ("Ctrl+S", "Save the reconstruction as PNG"),
    ("Ctrl+Q", "Quit"),
]


def user_models_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    return Path(base) / "models"


def _int_setting(settings: QSettings, key: str, default):
    """An integer setting (an INI file gives it back as text), or default where it is missing or damaged."""
    try:
        return int(settings.value(key, default))
    except (TypeError, ValueError):
        return default


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, models_dir: Path | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Desktop CVAE")
        self.settings = settings or QSettings()
        self.models_dir = models_dir or user_models_dir()
        self.state = AppState(self)
        self.worker = InferenceWorker()
        self.opener = PictureOpener()
        self.opener.opened.connect(self._on_picture_opened)
        self.opener.failed.connect(self._on_picture_failed)
        self._open_id = 0  # the newest file asked for from opener
        self._opening = False
        self._request_id = 0
        self._error_after = 0  # the newest request when an input was refused: only newer answers clear the message
        self._shown_id = -1
        self._shown_input: bytes | None = None  # the input (before noise) the shown update is about
        self._shown_noisy = False  # and whether the model was given it with noise
        self._shown_several = False  # and whether it holds several digits side by side, read as one
        self._opened: tuple[np.ndarray, Normalized] | None = None  # the last opened picture, normalised
        self._digit_index = 0  # which digit of the number the single-digit panels show
        self._number_on_picture: dict[int, bool] = {}  # request id -> it sent the opened picture itself
        self._boxes_on_picture = False  # the shown reading's boxes lie on the opened picture
        self.training_dialog = None
        self.compare_dialog = None
        # (request id, model input) shown now: what Explain explains and the interpolation takes as A or B
        self._shown_model_input: tuple[int, np.ndarray] | None = None
        self._build_ui()
        self._build_menus()
        # The drawing is kept a moment after it last changed, so a crash loses at most that moment.
        self._drawing_saver = QTimer(self, singleShot=True, interval=DRAWING_SAVE_DELAY_MS)
        # The Explain plot takes ~120 ms of this thread to draw: it follows the input once the pen rests.
        self._explain_timer = QTimer(self, singleShot=True, interval=EXPLAIN_AFTER_MS)
        self._explain_timer.timeout.connect(self.request_explanation)
        self._drawing_saver.timeout.connect(self._save_drawing)
        self._connect()
        self._restore_settings()

    # -- layout --------------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.input_panel = InputPanel()
        self.canvas, self.number_panel = self.input_panel.canvas, self.input_panel.number_panel  # used throughout
        self.model_panel = ModelPanel()
        self.samples_tab, self.style_tab, self.latent_tab = SamplesTab(), StyleTab(), LatentTab()
        self.explain_tab, self.interpolation_tab, self.grid_tab = ExplainTab(), InterpolationTab(), LatentGridTab()
        self.loss_tab, self.gallery_tab = LossTab(), GalleryTab()
        self.tabs = QTabWidget()
        for tab in (self.samples_tab, self.style_tab, self.latent_tab, self.explain_tab, self.interpolation_tab,
                    self.grid_tab, self.loss_tab, self.gallery_tab):
            self.tabs.addTab(tab, tab.title)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w in (self.input_panel, self.model_panel, self.tabs):
            self.splitter.addWidget(w)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setStretchFactor(2, 2)
        self.setCentralWidget(self.splitter)
        self.setAcceptDrops(True)

        self.model_status = QLabel("Loading model…")
        self.update_status = QLabel("")
        self.statusBar().addWidget(self.model_status, 1)
        self.statusBar().addPermanentWidget(self.update_status)

    def _action(self, text: str, slot, shortcut=None, menu=None) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            a.setShortcut(QKeySequence(shortcut))
        a.triggered.connect(slot)
        self.addAction(a)  # shortcuts work even with the menu bar hidden
        if menu is not None:
            menu.addAction(a)
        return a

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self._action("&Open image…", self.open_image_dialog, QKeySequence.StandardKey.Open, f)
        self._action("&Paste image", self.paste_image, QKeySequence.StandardKey.Paste, f)
        f.addSeparator()
        self._action("&Save reconstruction as PNG…", lambda: self.save_view_png(self.model_panel.recon_view, "reconstruction"),
                     QKeySequence.StandardKey.Save, f)
        self._action("Save &model input as PNG…", lambda: self.save_view_png(self.model_panel.input_view, "model-input"), None, f)
        self._action("Save s&amples grid as PNG…", lambda: self.save_view_png(self.samples_tab.view, "samples"), None, f)
        self._action("Save &latent plot as PNG…", lambda: self.save_plot_png(self.latent_tab.plot, "latent-space"), None, f)
        self._action("Save loss &curves as PNG…", lambda: self.save_plot_png(self.loss_tab.plot, "loss-curves"), None, f)
        f.addSeparator()
        self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, f)

        e = mb.addMenu("&Edit")
        self.copy_number_action = self._action("&Copy number", self.copy_number, QKeySequence.StandardKey.Copy, e)
        self.copy_number_action.setEnabled(False)
        self.undo_action = self._action("&Undo", self.canvas.undo, QKeySequence.StandardKey.Undo, e)
        self.redo_action = self._action("&Redo", self.canvas.redo, QKeySequence("Ctrl+Shift+Z"), e)
        self._action("&Clear canvas", self.canvas.clear, QKeySequence.StandardKey.Delete, e)
        self.eraser_action = self._action("&Eraser", lambda: self.input_panel.eraser_button.toggle(), "E", e)
        self._action("Smaller brush", lambda: self.input_panel.brush.setValue(self.input_panel.brush.value() - 2), "[", None)
        self._action("Larger brush", lambda: self.input_panel.brush.setValue(self.input_panel.brush.value() + 2), "]", None)
        self._action("Re-roll noise", self.state.reroll_noise, "R", None)
        self._action("Re-roll samples", self.state.reroll_samples, "G", None)
        self._action("Label: Auto", lambda: self.model_panel.label_combo.setCurrentIndex(0), "A", None)
        for d in range(10):
            self._action(f"Label {d}", lambda d=d: self.model_panel.label_combo.setCurrentIndex(d + 1), f"Alt+{d}", None)

        m = mb.addMenu("&Input")
        self.mode_group = QActionGroup(self)
        self.digit_mode_action = self._action("One &digit", lambda: self.state.set_mode("digit"), "Ctrl+1", m)
        self.number_mode_action = self._action("Whole &number", lambda: self.state.set_mode("number"), "Ctrl+2", m)
        for a in (self.digit_mode_action, self.number_mode_action):
            a.setCheckable(True)
            self.mode_group.addAction(a)
        self.digit_mode_action.setChecked(True)

        self.train_action = self._action("&Train new model…", self.open_training_dialog, "Ctrl+T", None)
        self.compare_action = self._action("&Compare models…", self.open_compare_dialog, "Ctrl+M", None)
        self.models = ModelMenu(self, mb.addMenu("&Model"), [self.train_action, self.compare_action])
        self.model_menu = self.models.menu

        h = mb.addMenu("&Help")
        self._action("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents, h)
        self._action("&About Desktop CVAE", self.show_about, None, h)

    # -- wiring --------------------------------------------------------------------------------
    def _connect(self) -> None:
        self.canvas.changed.connect(self._drop_pending_open)  # before the update: drawing wins over an open
        self.canvas.changed.connect(self.request_update)
        self.canvas.changed.connect(self._drawing_saver.start)
        self.grid_tab.label_combo.currentIndexChanged.connect(lambda _: self.request_traversal())
        for spin in (*self.grid_tab.dim_spins, self.grid_tab.steps_spin):
            spin.valueChanged.connect(lambda _: self.request_traversal())
        self.grid_tab.save_button.clicked.connect(self.save_grid_png)
        for end, button in enumerate(self.interpolation_tab.set_buttons):
            button.clicked.connect(lambda _=False, end=end: self.set_interpolation_end(end))
        self.interpolation_tab.steps_spin.valueChanged.connect(lambda _: self.request_interpolation())
        self.interpolation_tab.hold_check.toggled.connect(lambda _: self.request_interpolation())
        self.input_panel.open_button.clicked.connect(self.open_image_dialog)
        self.model_panel.sigma_slider.valueChanged.connect(lambda v: self.state.set_noise(sigma=v / 100))
        self.model_panel.sp_slider.valueChanged.connect(lambda v: self.state.set_noise(salt_pepper=v / 100))
        self.model_panel.reroll_noise_button.clicked.connect(self.state.reroll_noise)
        self.model_panel.label_combo.currentIndexChanged.connect(lambda _: self.state.set_label(self.model_panel.label_combo.currentData()))
        self.samples_tab.reroll_button.clicked.connect(self.state.reroll_samples)
        self.samples_tab.prior_checkbox.toggled.connect(self.request_samples)
        self.latent_tab.plain_vae_button.clicked.connect(self.models.toggle_plain_vae)
        self.latent_tab.plot.point_clicked.connect(self._on_latent_click)
        self.tabs.currentChanged.connect(self._on_tab)

        s = self.state
        s.noise_changed.connect(self._on_noise)
        s.label_changed.connect(self._on_label)
        s.sample_seed_changed.connect(self.request_samples)
        s.model_changed.connect(self._on_model)
        s.mode_changed.connect(self._on_mode)
        self.input_panel.digit_mode_button.clicked.connect(lambda: self.state.set_mode("digit"))
        self.input_panel.number_mode_button.clicked.connect(lambda: self.state.set_mode("number"))
        self.model_panel.several_label.linkActivated.connect(lambda _: self.state.set_mode("number"))
        self.number_panel.digit_clicked.connect(self.show_digit)
        self.number_panel.copy_requested.connect(self.copy_number)

        w = self.worker
        w.model_loaded.connect(self._on_model_loaded)
        w.model_failed.connect(self._on_model_failed)
        w.analyzed.connect(self._on_analyzed)
        w.digit_checked.connect(self._on_digit_checked)
        w.input_failed.connect(self._on_input_failed)
        w.number_read.connect(self._on_number_read)
        w.explained.connect(self._on_explained)
        w.interpolated.connect(self.interpolation_tab.show_steps)
        w.samples_ready.connect(self._on_samples)
        w.latent_ready.connect(self._on_latent_map)
        # Methods, not lambdas: Qt drops a queued result for a window already deleted only when it knows the receiver.
        w.decoded.connect(self._on_decoded)
        w.traversal_ready.connect(self._on_traversal)
        w.gallery_ready.connect(self._on_gallery)

    def _on_decoded(self, _xy, image: np.ndarray) -> None:
        self.latent_tab.decoded_view.set_array(image)

    def _on_gallery(self, originals: np.ndarray, reconstructions: np.ndarray) -> None:
        self.gallery_tab.view.set_images(np.concatenate([originals, reconstructions]), cols=10)

    def _model_config(self) -> dict:
        return (self.state.model_info or {}).get("config") or {}

    def _conditional(self) -> bool:
        return bool(self._model_config().get("conditional", True))

    def _prior_kind(self) -> str | None:
        """How the model's per-label prior was made ("learnt" or "fitted"), for captions; None without one."""
        if not self._model_config().get("label_prior", False):
            return None
        return "fitted" if self._model_config().get("fitted_prior") else "learnt"

    def _on_tab(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.style_tab:  # the style view is drawn only while shown
            self.request_update()
        elif self.tabs.currentWidget() is self.explain_tab:
            self.request_explanation()

    def request_explanation(self) -> None:
        """Explain the input shown now, if the Explain tab is open (it is computed only while it is)."""
        if self._shown_model_input is not None and self.tabs.currentWidget() is self.explain_tab:
            self.worker.submit("explain", *self._shown_model_input)

    def set_interpolation_end(self, end: int) -> None:
        """Take what the model sees now as the interpolation's start (0) or end (1)."""
        if self._shown_model_input is None:
            self.show_error("There is no input to use yet: draw or open a digit first.")
            return
        self.interpolation_tab.set_end(end, np.array(self._shown_model_input[1], np.float32))
        self.request_interpolation()

    def request_interpolation(self) -> None:
        tab = self.interpolation_tab
        a, b = tab.ends
        if a is not None and b is not None and self.worker.has_model:
            self.worker.submit("interpolate", a, b, tab.steps_spin.value(), tab.hold_check.isChecked())
        elif a is None or b is None:
            tab.view.set_images(None, placeholder="—")

    def _on_explained(self, request_id: int, ex) -> None:
        if self._shown_model_input is None or request_id != self._shown_model_input[0]:
            return  # about an input no longer shown
        self.explain_tab.show_explanation(ex)

    # -- requests to the worker ----------------------------------------------------------------
    def request_update(self) -> None:
        """Send the canvas as it is now (an opened picture itself, until it is drawn on); the worker computes
        only the newest request."""
        picture = self.canvas.source_picture()
        self._request_id += 1
        s = self.state
        if s.mode == "number":
            self._request_number(picture)
            return
        drawn = False
        if picture is not None and self._opened is not None and self._opened[0] is picture:
            image = self._opened[1]  # normalised when it was opened: not again per noise or label change
        else:
            image = self.canvas.gray_array()  # one scaled copy per stroke event, for both checks and the model
            if image.min() > 0.9:  # blank paper
                self._shown_id = self._request_id
                self._show_empty("Draw a digit")
                return
            drawn = self.canvas.holds_only_drawing(image)
        if self._shown_input is None:  # the panels say there is no digit: until its answer, say one is being read
            self.model_panel.input_view.set_array(None, READING)
            self.model_panel.bars.set_probabilities(None, message=READING)
        self.worker.submit("analyze", self._request_id, image, s.sigma, s.salt_pepper, s.noise_seed, s.label,
                           self._style_shown(), drawn)

    def _style_shown(self) -> bool:
        # The style view's ten drawings only while it is shown (a pixel-context model draws each in three passes).
        return self.tabs.currentWidget() is self.style_tab

    def _request_number(self, picture: np.ndarray | None) -> None:
        """Number mode: send the opened picture itself (its boxes are drawn over it), or the whole canvas."""
        gray = picture if picture is not None else self.canvas.gray_array(NUMBER_CANVAS_HEIGHT)
        if picture is None and gray.min() > 0.9:  # blank paper
            self._shown_id = self._request_id
            self._show_empty("Write a number")
            return
        self._number_on_picture = {k: v for k, v in self._number_on_picture.items() if k > self._shown_id}
        self._number_on_picture[self._request_id] = picture is not None
        s = self.state
        self.worker.submit("number", self._request_id, gray, s.sigma, s.salt_pepper, s.noise_seed)

    def show_digit(self, index: int) -> None:
        """Show one digit of the number read in the single-digit panels (input, reconstruction, bars, latent)."""
        reading = self.number_panel.reading
        if reading is None or not 0 <= index < len(reading.digits):
            return
        self._digit_index = index
        self.number_panel.select(index)
        boxes = [Box(*d.box, text=f"{d.label}?" if d.unsure else str(d.label), unsure=d.unsure, selected=i == index)
                 for i, d in enumerate(reading.digits)]
        self.canvas.set_boxes(boxes, reading.source_size, self._boxes_on_picture)
        d = reading.digits[index]
        notes = reading.notes + [f"digit {index + 1} of the {len(reading.digits)} read"]
        self._request_id += 1
        s = self.state
        # The digit's own noise seed, as the reading used it: the panels show the very input that was scored.
        self.worker.submit("analyze", self._request_id, Normalized(d.normalized.pixels, d.normalized.inverted, notes),
                           s.sigma, s.salt_pepper, s.noise_seed + index, s.label, self._style_shown())

    def copy_number(self) -> None:
        reading = self.number_panel.reading
        if self.state.mode != "number" or reading is None or not reading.digits:
            return
        QApplication.clipboard().setText(reading.number)
        self.statusBar().showMessage(f"Copied {reading.number} to the clipboard", 4000)

    def _no_label_yet(self) -> bool:
        """Samples follow the recognised digit, and there is none (a blank canvas, at start or after Clear)."""
        return self._conditional() and self.state.label is None and self.state.recognised is None

    def _show_waiting_for_a_digit(self, samples: bool = True, grid: bool = True) -> None:
        if samples:
            self.samples_tab.show_waiting()
        if grid:
            self.grid_tab.show_waiting()

    def request_samples(self) -> None:
        if self._no_label_yet():
            self._show_waiting_for_a_digit(grid=False)
        elif self.worker.has_model:
            self.worker.submit("samples", self.state.effective_label, self.state.sample_seed, self.samples_tab.prior)

    def _grid_label(self) -> int:
        chosen = self.grid_tab.label_combo.currentData()
        return self.state.effective_label if chosen is None else int(chosen)

    def request_traversal(self) -> None:
        if self._no_label_yet() and self.grid_tab.label_combo.currentData() is None:
            self._show_waiting_for_a_digit(samples=False)
        elif self.worker.has_model:
            self.worker.submit("traversal", self._grid_label(), self.grid_tab.dims, self.grid_tab.steps_spin.value())

    def save_grid_png(self) -> None:
        if self.grid_tab.images is None:
            self.show_error("Nothing to save yet: the grid appears once a model is loaded.")
            return
        path = self._ask_png("latent-grid")
        if path:
            try:
                save_png_atomic(grid_image(self.grid_tab.images, cols=self.grid_tab.cols, scale=3), path)
            except OSError as e:
                self.show_error(f"Could not save {Path(path).name}: {e.strerror or e}")

    def load_model(self, path: str) -> None:
        self.model_status.setText(f"Loading {Path(path).name}…")
        self.worker.submit("load", str(path))

    # -- results -------------------------------------------------------------------------------
    def _show_empty(self, message: str) -> None:
        """No input to show (a blank canvas, or one the model could not read): every panel that speaks of the
        input says so, and nothing of an earlier input stays."""
        self.model_panel.show_nothing(message)
        self._shown_input = None
        self.input_panel.notes_label.setText(self._input_hint())
        self.style_tab.view.set_images(None, placeholder=self._style_placeholder())
        self._shown_model_input = None
        self.explain_tab.show_message(message)
        self.latent_tab.plot.set_marker(None)
        self.state.recognised = None  # the next digit's answer asks for its samples and traversal again
        if self.state.label is None and self._conditional():  # they were for the recognised label: gone with it
            self._show_waiting_for_a_digit(grid=self.grid_tab.label_combo.currentData() is None)
        if self.state.mode == "number":
            self.number_panel.set_message(message)
            self.canvas.set_boxes([])
            self.copy_number_action.setEnabled(False)

    def _style_placeholder(self) -> str:
        if self._conditional():
            return "—"
        return ("A plain VAE takes no label, so there is no \"same style, another digit\": its latent code holds "
                "the digit and its style together. Switch to a CVAE (Model menu) to see your style as every digit.")

    def _on_digit_checked(self, c: DigitCheck) -> None:
        if c.input_key != self._shown_input:
            return  # about an input that has been drawn over since
        looks = c.looks_like_digit or self._shown_several  # several digits: their own warning says more
        letter = c.letter_like
        reading = self.number_panel.reading
        if self.state.mode == "number" and reading is not None and self._digit_index < len(reading.digits):
            # A digit cut from a number is judged as the number panel judged it (reader.NOT_A_DIGIT_PERCENTILE).
            looks = reading.digits[self._digit_index].looks_like_digit
            letter = reading.digits[self._digit_index].letter_like
        self.model_panel.ood_label.setVisible(not looks)
        if not looks:
            # Never "0 (99.9%)" for a house: the bars still show which label the model leans to, for the curious.
            probs = self.model_panel.bars.probabilities()
            nearest = "" if probs is None else f" (nearest: {int(np.argmax(probs))})"
            self.model_panel.recognised_label.setText(f"<span style='font-size: 18px'>Not a digit{nearest}</span>")
            what = "Before the noise, this" if self._shown_noisy else "This"
            if letter:
                self.model_panel.ood_label.setText(f"⚠ {what} looks like a letter, sign or drawing, not a digit: the model "
                                                   "knows only digits, and reads it as the digit nearest to it.")
            else:
                self.model_panel.ood_label.setText(f"⚠ {what} does not look like a digit to the model (−ELBO "
                                                   f"{c.neg_elbo:.0f} nats, worse than {c.percentile:.1f}% of test "
                                                   "digits).")

    def _on_analyzed(self, r: UpdateResult) -> None:
        if r.request_id < self._shown_id:
            return  # an older answer overtaken by a newer one
        self._shown_id = r.request_id
        a = r.analysis
        if r.request_id > self._error_after:
            self.input_panel.message_label.hide()
        self.model_panel.input_view.set_array(r.model_input)
        # "as 7" only where the decoder takes the label; a decoder without one (the label only in the prior)
        # draws the same reconstruction whatever label is recognised.
        decoder_label = a.label is not None and self._model_config().get("label_in_decoder", True)
        self.model_panel.recon_view.title = "Reconstruction" + (f" as {a.label}" if decoder_label else "")
        self.model_panel.recon_view.set_array(a.reconstruction)
        if a.probabilities is not None:
            self.model_panel.bars.set_probabilities(a.probabilities, a.recognised)
            p = a.probabilities
            runner_up = runner_up_if_unsure(p)
            if runner_up is None:
                self.model_panel.recognised_label.setText(f"{a.recognised}   ({100 * p[a.recognised]:.1f}%)")
            else:  # never a bare guess: the model says it is unsure, and what else it could be
                self.model_panel.recognised_label.setText(  # smaller: the longer line must fit the column
                    f"<span style='font-size: 18px'>Unsure: {a.recognised} ({100 * p[a.recognised]:.0f}%) "
                    f"or {runner_up} ({100 * p[runner_up]:.0f}%)</span>")
        else:
            self.model_panel.bars.set_probabilities(None, message="A plain VAE does not know labels: no recognition.")
            self.model_panel.recognised_label.setText("")  # the bars say why; a lone dash read as a glitch
        self._shown_input, self._shown_noisy = r.input_key, r.noisy
        self._shown_several = r.side_by_side > 1 and self.state.mode != "number"
        self.model_panel.several_label.setVisible(self._shown_several)
        if self._shown_several and a.probabilities is not None:  # never a bare "4 (53%)" for a phone number
            self.model_panel.recognised_label.setText(
                f"<span style='font-size: 18px'>Several digits (as one: {a.recognised})</span>")
        if r.digit_check is not None:  # else the worker checks the input before noise next: digit_checked
            self._on_digit_checked(r.digit_check)
        self.style_tab.view.set_images(r.style, cols=5, placeholder=self._style_placeholder())
        self._shown_model_input = (r.request_id, r.model_input)
        if self.tabs.currentWidget() is self.explain_tab:
            self._explain_timer.start()
        self.latent_tab.plot.set_marker(r.marker)
        self.input_panel.notes_label.setText("Detected: " + "; ".join(r.notes) + ".")
        self.update_status.setText(f"last update {time.strftime('%H:%M:%S')} · {r.elapsed_ms:.1f} ms")
        previous = self.state.recognised
        self.state.recognised = a.recognised
        if self.state.label is None and a.recognised != previous:
            self.request_samples()
            self.request_traversal()

    def _on_number_read(self, request_id: int, reading) -> None:
        if request_id < self._shown_id or self.state.mode != "number":
            return  # overtaken by a newer request, or the person has gone back to one digit
        self._shown_id = request_id
        self._boxes_on_picture = self._number_on_picture.pop(request_id, False)
        if request_id > self._error_after:
            self.input_panel.message_label.hide()
        if self._digit_index >= len(reading.digits):  # the digit shown is gone: the first unsure one, else the first
            unsure = [i for i, d in enumerate(reading.digits) if d.unsure]
            self._digit_index = unsure[0] if unsure else 0
        self.number_panel.set_reading(reading)
        self.copy_number_action.setEnabled(True)
        self.show_digit(self._digit_index)

    def _on_mode(self, mode: str) -> None:
        number = mode == "number"
        self.input_panel.show_mode(number)
        self.digit_mode_action.setChecked(not number)
        self.number_mode_action.setChecked(number)
        self.copy_number_action.setEnabled(False)
        self._digit_index = 0
        self._shown_several = False  # the warning speaks of one-digit mode only
        self.model_panel.several_label.hide()
        self.input_panel.notes_label.setText(self._input_hint())
        picture = self.canvas.source_picture()
        self.canvas.set_wide(number)  # what is drawn stays, fitted to the new shape; its change asks for an update
        if picture is not None:
            self.canvas.set_image(picture)  # an opened picture is read from itself again, not from a canvas copy

    def _input_hint(self) -> str:
        if self.state.mode == "number":
            return "Write a number with the mouse or a pen, or open, drop or paste a photo of one."
        return "Draw a digit with the mouse or a pen, or open, drop or paste a picture."

    def _on_input_failed(self, request_id: int, message: str) -> None:
        if request_id < self._shown_id:
            return
        self._shown_id = request_id
        self._show_empty(message)

    def _on_samples(self, label: int, images: np.ndarray) -> None:
        self.samples_tab.show_samples(images, label, self.state.sample_seed, self._conditional(), self._prior_kind())

    def _on_traversal(self, label: int, dims, grid: np.ndarray) -> None:
        self.grid_tab.show_grid(grid, label, dims, self._conditional(), self._prior_kind())

    def _on_model_loaded(self, info: dict) -> None:
        self.state.set_model(info)

    def _on_model_failed(self, message: str) -> None:
        self.show_error(message + (" The previous model stays active." if self.worker.has_model else ""))
        self.refresh_model_status()

    def _on_model(self, info: dict) -> None:
        self.refresh_model_status()
        meta, cfg = info.get("meta") or {}, info.get("config") or {}
        self.loss_tab.plot.set_history(meta.get("history"), cfg.get("name") or Path(info["path"]).stem)
        self.latent_tab.plot.show_message("Mapping the shipped sample into this model's latent space…")
        self.models.offer_plain_vae_switch(info)
        self.grid_tab.fit_to_model(int(cfg.get("latent_dim", 2)), cfg.get("conditional", True))
        self.samples_tab.prior_checkbox.setEnabled(cfg.get("conditional", True))  # a plain VAE has only its prior
        self.model_panel.label_combo.setEnabled(cfg.get("conditional", True))
        self.style_tab.view.set_images(None, placeholder=self._style_placeholder())
        self.settings.setValue("model/active", info["path"])
        self.request_update()
        self.request_samples()
        self.request_traversal()
        self.request_interpolation()  # the same two inputs, through this model
        self.interpolation_tab.hold_check.setEnabled(cfg.get("conditional", True))

    def refresh_model_status(self) -> None:
        info = self.state.model_info
        if not info:
            self.model_status.setText("No model loaded")
            return
        cfg, meta = info.get("config") or {}, info.get("meta") or {}
        acc = (meta.get("metrics") or {}).get("accuracy")
        kind = "CVAE" if cfg.get("conditional", True) else "plain VAE"
        acc_s = f" · test accuracy {acc:.2%}" if isinstance(acc, (int, float)) else ""
        self.model_status.setText(f"Model: {display_name(meta, info['path'])} · {cfg.get('arch')} {kind} · "
                                  f"latent dim {cfg.get('latent_dim')}{acc_s}")

    def _on_latent_map(self, m) -> None:
        self.latent_tab.plot.set_map(m.points, m.labels, m.description, self._conditional(), m.neighbour_agreement)
        self.request_update()  # the map arrives after the first answer: place the current input on it

    def _on_latent_click(self, x: float, y: float) -> None:
        if self.worker.has_model:
            self.worker.submit("decode", x, y, self.state.effective_label)

    def _on_noise(self) -> None:
        self.model_panel.show_noise(self.state.sigma, self.state.salt_pepper)
        self.request_update()

    def _on_label(self) -> None:
        self.request_update()
        self.request_samples()
        self.request_traversal()

    # -- input ---------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.input_panel.show_error(message)

    def show_input_error(self, message: str) -> None:
        """A picture that could not be used: nothing changes, and the message says which input the panels show,
        so that an earlier answer is never taken for this picture's."""
        kept = "" if self.canvas.is_blank() else " The panels still show the earlier input, which is kept."
        self._error_after = self._request_id  # an answer still on its way is the earlier input's: it leaves this
        self.show_error(message + kept)

    def open_image_dialog(self) -> None:
        folder = str(self.settings.value("paths/last_folder", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open an image of a digit", folder,
                                              f"{file_dialog_filter()};;All files (*)")
        if path:
            self.open_image_in_background(path)

    def open_image_file(self, path: str) -> bool:
        """Make an image file the canvas content now, on this thread (scripts and tests; people's opens go through
        open_image_in_background). On failure, say why and change nothing."""
        self.settings.setValue("paths/last_folder", str(Path(path).parent))
        try:
            gray, norm = load_picture(path, self._picture_side())
        except (ImageError, NoInkError) as e:
            self.show_input_error(str(e))
            return False
        self._show_picture(gray, norm)
        return True

    def open_image_in_background(self, path: str) -> None:
        """Open an image file off the UI thread (a large photo takes a quarter of a second to decode and check);
        it becomes the canvas content when it is ready, unless the canvas changed or another file was asked for
        meanwhile. On failure, say why and change nothing."""
        self.settings.setValue("paths/last_folder", str(Path(path).parent))
        self._open_id += 1
        self._opening = True
        self.statusBar().showMessage(f"Opening {Path(path).name}…")
        self.opener.open(self._open_id, path, self._picture_side())

    def _on_picture_opened(self, request_id: int, path: str, gray: np.ndarray, norm: Normalized) -> None:
        if request_id != self._open_id:
            return  # another file was asked for, or the canvas was drawn on, since
        self._open_finished()
        self._show_picture(gray, norm)

    def _on_picture_failed(self, request_id: int, path: str, message: str) -> None:
        if request_id != self._open_id:
            return
        self._open_finished()
        self.show_input_error(message)

    def _open_finished(self) -> None:
        self._opening = False
        self.statusBar().clearMessage()

    def _drop_pending_open(self) -> None:
        """The canvas changed while a file was opening: the newest input wins, so the file is not shown."""
        if self._opening:
            self._open_id += 1
            self._open_finished()

    def paste_image(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is not None and mime.hasImage():
            img = QImage(QApplication.clipboard().image())
            if img.isNull():
                self.show_input_error("The clipboard's image could not be read.")
                return
            try:
                gray, norm = pasted_picture(img, self._picture_side())
            except NoInkError as e:
                self.show_input_error(str(e))
                return
            self._show_picture(gray, norm)
        elif mime is not None and mime.hasUrls() and mime.urls()[0].isLocalFile():
            self.open_image_in_background(mime.urls()[0].toLocalFile())
        else:
            self.show_error("The clipboard holds no image.")

    def _picture_side(self) -> int:
        """How large an opened or pasted picture is kept: a number's dozen digits share its width."""
        return MAX_NUMBER_PICTURE_SIDE if self.state.mode == "number" else MAX_PASTE_SIDE

    def _show_picture(self, gray: np.ndarray, norm: Normalized) -> None:
        self._drop_pending_open()  # a picture pasted or opened now wins over one still opening
        self.input_panel.message_label.hide()
        self._opened = (gray, norm)  # before set_image(), whose change signal sends the first request
        self.canvas.set_image(gray)

    def dragEnterEvent(self, e) -> None:
        if e.mimeData().hasUrls() and any(u.isLocalFile() for u in e.mimeData().urls()):
            e.acceptProposedAction()

    def dropEvent(self, e) -> None:
        files = [u.toLocalFile() for u in e.mimeData().urls() if u.isLocalFile()]
        if files:
            self.open_dropped_file(files[0])
            e.acceptProposedAction()

    def open_dropped_file(self, path: str) -> None:
        """A dropped model file becomes the active model (or is refused with the loader's reason); anything
        else is opened as a picture."""
        if Path(path).suffix.lower() in MODEL_SUFFIXES:
            self.load_model(path)
        else:
            self.open_image_in_background(path)

    # -- models --------------------------------------------------------------------------------

    def open_training_dialog(self) -> None:
        from .training_dialog import TrainingDialog

        if self.training_dialog is None:
            self.training_dialog = TrainingDialog(self.models_dir, self, settings=self.settings)
            self.training_dialog.model_trained.connect(self._on_model_trained)
            self.state.model_changed.connect(self._offer_model_for_training)
            self._offer_model_for_training(self.state.model_info)
        self.training_dialog.show()
        self.training_dialog.raise_()

    def _offer_model_for_training(self, info: dict | None) -> None:
        """The training dialog can continue the active model; a running training keeps the one it started."""
        if not self.training_dialog.running:
            self.training_dialog.set_active_model((info or {}).get("path"), (info or {}).get("config"))

    def _on_model_trained(self, path: str, activate: bool) -> None:
        self.models.fill()
        if activate:
            self.load_model(path)

    def open_compare_dialog(self) -> None:
        from .compare_dialog import CompareDialog

        if self.compare_dialog is None:
            self.compare_dialog = CompareDialog(self.models_dir, self)
        self.compare_dialog.show()
        self.compare_dialog.raise_()

    # -- saving --------------------------------------------------------------------------------
    def _ask_png(self, stem: str) -> str | None:
        folder = str(self.settings.value("paths/last_folder", str(Path.home())))
        path, _ = QFileDialog.getSaveFileName(self, "Save as PNG", str(Path(folder) / f"{stem}.png"), "PNG (*.png)")
        if not path:
            return None
        return path if path.lower().endswith(".png") else path + ".png"

    def save_view_png(self, view: ImageView, stem: str) -> None:
        a = view.array()
        if a is None:
            self.show_error("Nothing to save yet.")
            return
        path = self._ask_png(stem)
        if path:
            try:
                save_png_atomic(grid_image(a[None], cols=1, scale=8), path)
            except OSError as e:
                self.show_error(f"Could not save {Path(path).name}: {e.strerror or e}")

    def save_plot_png(self, plot, stem: str) -> None:
        path = self._ask_png(stem)
        if path:
            try:
                plot.save_png(path)
            except (OSError, ValueError) as e:
                self.show_error(f"Could not save {Path(path).name}: {e}")

    # -- help ----------------------------------------------------------------------------------
    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td><b>{k}</b></td><td>&nbsp;&nbsp;{v}</td></tr>" for k, v in SHORTCUTS)
        QMessageBox.information(self, "Keyboard shortcuts", f"<table>{rows}</table>")

    def show_about(self) -> None:
        QMessageBox.about(self, "About Desktop CVAE",
                          f"<h3>Desktop CVAE {__version__}</h3><p>A Keras conditional variational autoencoder for "
                          "handwritten digits: draw or open a digit and watch it reconstruct, recognise (by each "
                          "label's evidence bound) and generate.</p>")

    # -- settings and shutdown -----------------------------------------------------------------
    def _restore_settings(self) -> None:
        s = self.settings
        geom = s.value("window/geometry")
        if isinstance(geom, QByteArray):
            self.restoreGeometry(geom)
        else:  # first start
            fit_to_screen(self, 1280, 760)
        split = s.value("window/splitter")
        if isinstance(split, QByteArray):
            self.splitter.restoreState(split)
        else:  # first start: the model's view of the digit gets a third of the width, the explorations the rest
            left = self.splitter.widget(0).minimumSizeHint().width()
            middle = max(self.splitter.widget(1).minimumSizeHint().width(), self.width() // 3)
            self.splitter.setSizes([left, middle, max(self.width() - left - middle, 1)])
        self.tabs.setCurrentIndex(int(s.value("window/tab", 0)))
        mode = str(s.value("input/mode", "digit"))
        self.state.set_mode(mode if mode in AppState.MODES else "digit")
        self.input_panel.brush.setValue(int(s.value("canvas/brush", 18)))
        # The noise and the label condition are part of the experiment a person was running: they come back.
        self.model_panel.sigma_slider.setValue(_int_setting(s, "input/noise_sigma", 0))
        self.model_panel.sp_slider.setValue(_int_setting(s, "input/salt_pepper", 0))
        label = _int_setting(s, "input/label", None)
        self.model_panel.label_combo.setCurrentIndex(self.model_panel.label_combo.findData(label) if label in range(10) else 0)

    def start(self) -> None:
        """Load the remembered (or default) model on the worker, and put back the drawing the last session
        left (closed or crashed); the window is usable meanwhile."""
        path = str(self.settings.value("model/active", "") or "")
        if not path or not Path(path).is_file():
            path = str(default_model_path())
        self.load_model(path)
        kept = self.settings.value(DRAWING_KEY)
        if isinstance(kept, QByteArray) and not kept.isEmpty() and self.canvas.is_blank():
            self.canvas.restore_png(bytes(kept))

    def _save_drawing(self) -> None:
        self._drawing_saver.stop()
        if self.canvas.is_blank():
            self.settings.remove(DRAWING_KEY)
        else:
            self.settings.setValue(DRAWING_KEY, QByteArray(self.canvas.to_png()))
        self.settings.sync()  # QSettings writes its file whole and atomically

    def closeEvent(self, e) -> None:
        if self.training_dialog is not None and not self.training_dialog.confirm_stop():
            e.ignore()  # the user chose to keep training
            return
        if self.compare_dialog is not None:
            self.compare_dialog.stop_and_wait()
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/splitter", self.splitter.saveState())
        s.setValue("window/tab", self.tabs.currentIndex())
        s.setValue("canvas/brush", self.input_panel.brush.value())
        s.setValue("input/mode", self.state.mode)
        s.setValue("input/noise_sigma", self.model_panel.sigma_slider.value())
        s.setValue("input/salt_pepper", self.model_panel.sp_slider.value())
        label = self.model_panel.label_combo.currentData()
        if label is None:
            s.remove("input/label")
        else:
            s.setValue("input/label", int(label))
        self._save_drawing()
        self.opener.stop()
        self.worker.stop()
        super().closeEvent(e)
