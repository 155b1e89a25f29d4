"""The main window: input on the left, what the model sees and thinks in the middle, explorations in tabs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QSettings, QStandardPaths, Qt, QTimer
from PySide6.QtGui import QAction, QActionGroup, QImage, QKeySequence
from PySide6.QtWidgets import (
    QApplication, QButtonGroup, QCheckBox, QComboBox, QFileDialog, QGridLayout, QGroupBox, QHBoxLayout, QInputDialog,
    QLabel, QMainWindow, QMessageBox, QPushButton, QSlider, QSpinBox, QSplitter, QTabWidget, QToolButton, QVBoxLayout,
    QWidget,
)

from .. import __version__
from ..calibration import runner_up_if_unsure
from ..catalog import default_model_path, display_name, list_models
from ..explain import KL_MEANS, RECONSTRUCTION_MEANS, SUM_MEANS
from ..imageio import ImageError, file_dialog_filter, open_image
from ..imaging import grid_image, save_png_atomic
from ..preprocess import NoInkError, Normalized, image_to_gray, normalize_gray
from ..storage import remove_model, rename_model
from .canvas import Box, DrawingCanvas, qimage_to_gray
from .number_panel import NumberPanel
from .plots import ExplainPlot, LatentPlot, LossPlot
from .state import AppState
from .views import GridView, ImageView, ProbabilityBars, fit_to_screen
from .worker import DigitCheck, InferenceWorker, UpdateResult

MAX_PASTE_SIDE = 512
MAX_NUMBER_PICTURE_SIDE = 1024  # a photo of a whole number keeps more pixels: a dozen digits share its width
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


def _caption(text: str) -> QLabel:
    lab = QLabel(text)
    lab.setWordWrap(True)
    lab.setStyleSheet("color: palette(placeholder-text);")
    return lab


class MainWindow(QMainWindow):
    def __init__(self, settings: QSettings | None = None, models_dir: Path | None = None, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Desktop CVAE")
        self.settings = settings or QSettings()
        self.models_dir = models_dir or user_models_dir()
        self.state = AppState(self)
        self.worker = InferenceWorker()
        self._request_id = 0
        self._shown_id = -1
        self._shown_input: bytes | None = None  # the input (before noise) the shown update is about
        self._shown_noisy = False  # and whether the model was given it with noise
        self._opened: tuple[np.ndarray, Normalized] | None = None  # the last opened picture, normalised
        self._digit_index = 0  # which digit of the number the single-digit panels show
        self._number_on_picture: dict[int, bool] = {}  # request id -> it sent the opened picture itself
        self._boxes_on_picture = False  # the shown reading's boxes lie on the opened picture
        self.training_dialog = None
        self.compare_dialog = None
        self._cvae_before_plain: str | None = None  # where "Back to …" returns from the plain VAE
        # (request id, model input) shown now: what Explain explains and the interpolation takes as A or B
        self._shown_model_input: tuple[int, np.ndarray] | None = None
        self._grid_images: np.ndarray | None = None  # the latent grid shown, (steps * steps, 28, 28)
        self._grid_images_cols = 0
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
        # Left: the input.
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
        self.notes_label = _caption("Draw a digit with the mouse or a pen, or open, drop or paste a picture.")
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
        self.input_title = QLabel("<b>Your digit</b>")
        mode_row = QHBoxLayout()
        mode_row.addWidget(self.input_title, 1)
        mode_row.addWidget(self.digit_mode_button)
        mode_row.addWidget(self.number_mode_button)
        self.number_panel = NumberPanel()
        self.number_panel.hide()
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.addLayout(mode_row)
        lv.addWidget(self.canvas, 0, Qt.AlignmentFlag.AlignHCenter)
        lv.addWidget(self.number_panel)
        lv.addLayout(brush_row)
        lv.addLayout(tools)
        lv.addWidget(self.open_button)
        lv.addWidget(self.notes_label)
        lv.addWidget(self.message_label)
        lv.addStretch(1)

        # Middle: what the model sees and thinks.
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
        middle = QWidget()
        mv = QVBoxLayout(middle)
        mv.addLayout(views, 3)
        rec_box = QGroupBox("Recognition")  # a group box title cannot wrap: the detail goes in a caption
        rv = QVBoxLayout(rec_box)
        rv.addWidget(_caption("p(label | input), from each label's evidence bound"))
        rv.addWidget(self.recognised_label)
        rv.addWidget(self.bars, 1)
        rv.addWidget(self.ood_label)
        mv.addWidget(rec_box, 3)
        mv.addWidget(noise_box)
        mv.addLayout(label_row)

        # Right: explorations.
        self.tabs = QTabWidget()
        self.samples_view = GridView(min_side=200)
        self.reroll_samples_button = QPushButton("Re-roll samples")
        self.samples_caption = _caption("Digits generated for the selected label.")
        self.prior_checkbox = QCheckBox("Draw z from the model's prior")
        self.prior_checkbox.setToolTip(
            "Unchecked: z comes from a Gaussian fitted to the latent codes of the shipped sample's digits of\n"
            "this label. Checked: z from the CVAE's own prior, N(0, I) or its Gaussian for the label;\n"
            "where the latent code carries some of the class and the prior does not, some look like other digits.")
        self.tabs.addTab(self._tab(self.samples_caption, self.samples_view, self.prior_checkbox,
                                   self.reroll_samples_button), "Samples")
        self.style_view = GridView(min_side=200)
        self.style_tab = self._tab(_caption("Your input's latent code (its style) decoded under every label 0–9."),
                                   self.style_view)
        self.tabs.addTab(self.style_tab, "Your style")
        self.latent_plot = LatentPlot()
        self.decoded_view = ImageView("Decoded at the click", min_side=110)
        self.decoded_view.set_array(None, "Click on the plot")
        self.plain_vae_button = QPushButton("Switch to the plain VAE")
        self.plain_vae_button.setToolTip("A plain VAE has no label to lean on, so its latent space clusters by digit")
        # Short enough to leave the plot room in a small window; why codes do or do not cluster is in the tooltip.
        latent_caption = _caption(
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
        latent_tab = QWidget()
        lt = QVBoxLayout(latent_tab)
        lt.addWidget(latent_caption)
        lt.addWidget(self.latent_plot, 1)
        lt.addLayout(below)
        self.tabs.addTab(latent_tab, "Latent space")
        self.explain_plot = ExplainPlot()
        self.explain_text = _caption("")
        self.explain_text.setTextFormat(Qt.TextFormat.RichText)
        self.explain_tab = self._tab(
            _caption("How the model reached its answer for your input: the encoder's code, and each label's "
                     "evidence bound in its two terms."), self.explain_plot, self.explain_text)
        self.tabs.addTab(self.explain_tab, "Explain")
        # Interpolation: two inputs, each taken from what the model sees now (drawn or opened), joined in z.
        self.interp_ends: list[np.ndarray | None] = [None, None]
        self.interp_end_views = (ImageView("A", min_side=56), ImageView("B", min_side=56))
        self.interp_set_buttons = (QPushButton("Use the input as A"), QPushButton("Use the input as B"))
        self.interp_steps_spin = QSpinBox(minimum=3, maximum=15, value=9)
        self.interp_hold_check = QCheckBox("Hold A's label")
        self.interp_hold_check.setToolTip("Draw every step as A's digit, in a style that moves to B's; unticked, "
                                          "the label changes from A's to B's along the way")
        self.interp_view = GridView(min_side=150)
        self.interp_caption = _caption("Draw or open a digit and press “Use the input as A”, then another for B.")
        ends = QGridLayout()
        for col, (view, button) in enumerate(zip(self.interp_end_views, self.interp_set_buttons)):
            view.set_array(None, "—")
            view.setFixedSize(90, 90)
            ends.addWidget(view, 0, col)
            ends.addWidget(button, 1, col)
        # Short rows: a wide one would raise the window's smallest width (a 1024-pixel netbook must fit).
        steps_row = QHBoxLayout()
        steps_row.addWidget(QLabel("Steps"))
        steps_row.addWidget(self.interp_steps_spin)
        steps_row.addWidget(self.interp_hold_check)
        steps_row.addStretch(1)
        ends.addLayout(steps_row, 2, 0, 1, 3)
        ends.setColumnStretch(2, 1)
        interp_controls = QWidget()
        interp_controls.setLayout(ends)
        self.interp_tab = self._tab(
            _caption("Two digits joined by a straight line through latent space, each step decoded."),
            interp_controls, self.interp_view, self.interp_caption)
        self.tabs.addTab(self.interp_tab, "Interpolation")
        self.traversal_view = GridView(min_side=200)
        self.traversal_caption = _caption("Seed 004's uniform traversal.")
        # The grid's own choices: a label (or the input's), two latent directions (or the two most used), its size.
        self.grid_label_combo = QComboBox()
        self.grid_label_combo.addItem("as the input", None)
        for d in range(10):
            self.grid_label_combo.addItem(str(d), d)
        self.grid_dim_spins = (QSpinBox(minimum=-1, maximum=0), QSpinBox(minimum=-1, maximum=0))
        for spin in self.grid_dim_spins:
            spin.setSpecialValueText("most used")  # -1: the dimension the shipped digits' codes vary most along
            spin.setValue(-1)
            spin.setToolTip("Which latent dimension the grid runs along; 'most used' picks from the shipped "
                            "digits' codes")
        self.grid_steps_spin = QSpinBox(minimum=3, maximum=25, value=9)
        self.grid_steps_spin.setToolTip("Steps along each side of the grid")
        self.save_grid_button = QPushButton("Save PNG…")
        self.save_grid_button.setToolTip("Save the grid as a PNG image")
        # Two short rows: one long row would widen the tab and squeeze the model's panels beside it.
        grid_controls = QWidget()
        grid_rows = QGridLayout(grid_controls)
        grid_rows.setContentsMargins(0, 0, 0, 0)
        for col, (text, w) in enumerate((("Label", self.grid_label_combo), ("Steps", self.grid_steps_spin))):
            grid_rows.addWidget(QLabel(text), 0, 2 * col)
            grid_rows.addWidget(w, 0, 2 * col + 1)
        for col, (text, w) in enumerate((("Rows", self.grid_dim_spins[0]), ("Columns", self.grid_dim_spins[1]))):
            grid_rows.addWidget(QLabel(text), 1, 2 * col)
            grid_rows.addWidget(w, 1, 2 * col + 1)
        grid_rows.addWidget(self.save_grid_button, 2, 0, 1, 2)
        grid_rows.setColumnStretch(4, 1)
        self.tabs.addTab(self._tab(self.traversal_caption, grid_controls, self.traversal_view), "Latent grid")
        self.loss_plot = LossPlot()
        self.tabs.addTab(self._tab(_caption("Training and validation loss of the active model, per epoch."),
                                   self.loss_plot), "Loss curves")
        self.gallery_view = GridView(min_side=200)
        self.tabs.addTab(self._tab(_caption("Ten test digits (top) and the model's reconstructions (bottom)."),
                                   self.gallery_view), "Gallery")

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        for w in (left, middle, self.tabs):
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

    @staticmethod
    def _tab(*widgets: QWidget) -> QWidget:
        tab = QWidget()
        v = QVBoxLayout(tab)
        for w in widgets:
            v.addWidget(w, 1 if isinstance(w, (ImageView, LossPlot, LatentPlot)) else 0)
        return tab

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
        self._action("&Save reconstruction as PNG…", lambda: self.save_view_png(self.recon_view, "reconstruction"),
                     QKeySequence.StandardKey.Save, f)
        self._action("Save &model input as PNG…", lambda: self.save_view_png(self.input_view, "model-input"), None, f)
        self._action("Save s&amples grid as PNG…", lambda: self.save_view_png(self.samples_view, "samples"), None, f)
        self._action("Save &latent plot as PNG…", lambda: self.save_plot_png(self.latent_plot, "latent-space"), None, f)
        self._action("Save loss &curves as PNG…", lambda: self.save_plot_png(self.loss_plot, "loss-curves"), None, f)
        f.addSeparator()
        self._action("&Quit", self.close, QKeySequence.StandardKey.Quit, f)

        e = mb.addMenu("&Edit")
        self.copy_number_action = self._action("&Copy number", self.copy_number, QKeySequence.StandardKey.Copy, e)
        self.copy_number_action.setEnabled(False)
        self.undo_action = self._action("&Undo", self.canvas.undo, QKeySequence.StandardKey.Undo, e)
        self.redo_action = self._action("&Redo", self.canvas.redo, QKeySequence("Ctrl+Shift+Z"), e)
        self._action("&Clear canvas", self.canvas.clear, QKeySequence.StandardKey.Delete, e)
        self.eraser_action = self._action("&Eraser", lambda: self.eraser_button.toggle(), "E", e)
        self._action("Smaller brush", lambda: self.brush.setValue(self.brush.value() - 2), "[", None)
        self._action("Larger brush", lambda: self.brush.setValue(self.brush.value() + 2), "]", None)
        self._action("Re-roll noise", self.state.reroll_noise, "R", None)
        self._action("Re-roll samples", self.state.reroll_samples, "G", None)
        self._action("Label: Auto", lambda: self.label_combo.setCurrentIndex(0), "A", None)
        for d in range(10):
            self._action(f"Label {d}", lambda d=d: self.label_combo.setCurrentIndex(d + 1), f"Alt+{d}", None)

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
        self.model_menu = mb.addMenu("&Model")
        self.model_group = QActionGroup(self)
        self.model_group.setExclusive(True)
        self.model_menu.aboutToShow.connect(self._fill_model_menu)
        self._fill_model_menu()

        h = mb.addMenu("&Help")
        self._action("&Keyboard shortcuts", self.show_shortcuts, QKeySequence.StandardKey.HelpContents, h)
        self._action("&About Desktop CVAE", self.show_about, None, h)

    def _fill_model_menu(self) -> None:
        self.model_menu.clear()
        for a in self.model_group.actions():
            self.model_group.removeAction(a)
        active = (self.state.model_info or {}).get("path")
        for entry in list_models(self.models_dir):
            a = QAction(f"{entry.name}  —  {entry.summary}" + ("" if entry.shipped else "  (yours)"), self)
            a.setCheckable(True)
            a.setChecked(active is not None and Path(active) == entry.path)
            a.setData(str(entry.path))
            a.triggered.connect(lambda _=False, p=str(entry.path): self.load_model(p))
            self.model_group.addAction(a)
            self.model_menu.addAction(a)
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.train_action)
        self.model_menu.addAction(self.compare_action)
        open_model = QAction("Open model file…", self)
        open_model.triggered.connect(self.open_model_dialog)
        self.model_menu.addAction(open_model)
        # The models a person trained pile up: the active one, if it is theirs, can be renamed or removed.
        mine = self._own_active_model() is not None
        self.rename_model_action = QAction("&Rename this model…", self, enabled=mine)
        self.rename_model_action.triggered.connect(self.rename_active_model)
        self.remove_model_action = QAction("Re&move this model…", self, enabled=mine)
        self.remove_model_action.triggered.connect(self.remove_active_model)
        self.model_menu.addSeparator()
        self.model_menu.addAction(self.rename_model_action)
        self.model_menu.addAction(self.remove_model_action)

    # -- wiring --------------------------------------------------------------------------------
    def _connect(self) -> None:
        c = self.canvas
        c.changed.connect(self.request_update)
        c.changed.connect(self._drawing_saver.start)
        c.history_changed.connect(self._on_history)
        self.brush.valueChanged.connect(lambda v: setattr(c, "brush_size", float(v)))
        self.eraser_button.toggled.connect(lambda on: setattr(c, "eraser", on))
        self.undo_button.clicked.connect(c.undo)
        self.redo_button.clicked.connect(c.redo)
        self.grid_label_combo.currentIndexChanged.connect(lambda _: self.request_traversal())
        for spin in (*self.grid_dim_spins, self.grid_steps_spin):
            spin.valueChanged.connect(lambda _: self.request_traversal())
        self.save_grid_button.clicked.connect(self.save_grid_png)
        for end, button in enumerate(self.interp_set_buttons):
            button.clicked.connect(lambda _=False, end=end: self.set_interpolation_end(end))
        self.interp_steps_spin.valueChanged.connect(lambda _: self.request_interpolation())
        self.interp_hold_check.toggled.connect(lambda _: self.request_interpolation())
        self.clear_button.clicked.connect(c.clear)
        self.open_button.clicked.connect(self.open_image_dialog)
        self.sigma_slider.valueChanged.connect(lambda v: self.state.set_noise(sigma=v / 100))
        self.sp_slider.valueChanged.connect(lambda v: self.state.set_noise(salt_pepper=v / 100))
        self.reroll_noise_button.clicked.connect(self.state.reroll_noise)
        self.label_combo.currentIndexChanged.connect(lambda _: self.state.set_label(self.label_combo.currentData()))
        self.reroll_samples_button.clicked.connect(self.state.reroll_samples)
        self.prior_checkbox.toggled.connect(self.request_samples)
        self.plain_vae_button.clicked.connect(self.toggle_plain_vae)
        self.latent_plot.point_clicked.connect(self._on_latent_click)
        self.tabs.currentChanged.connect(self._on_tab)

        s = self.state
        s.noise_changed.connect(self._on_noise)
        s.label_changed.connect(self._on_label)
        s.sample_seed_changed.connect(self.request_samples)
        s.model_changed.connect(self._on_model)
        s.mode_changed.connect(self._on_mode)
        self.digit_mode_button.clicked.connect(lambda: self.state.set_mode("digit"))
        self.number_mode_button.clicked.connect(lambda: self.state.set_mode("number"))
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
        w.interpolated.connect(self._on_interpolated)
        w.samples_ready.connect(self._on_samples)
        w.latent_ready.connect(self._on_latent_map)
        w.decoded.connect(lambda xy, img: self.decoded_view.set_array(img))
        w.traversal_ready.connect(self._on_traversal)
        w.gallery_ready.connect(lambda orig, rec: self.gallery_view.set_images(np.concatenate([orig, rec]), cols=10))

    def _model_config(self) -> dict:
        return (self.state.model_info or {}).get("config") or {}

    def _conditional(self) -> bool:
        return bool(self._model_config().get("conditional", True))

    def _label_prior(self) -> bool:
        return bool(self._model_config().get("label_prior", False))

    def _label_prior_kind(self) -> str:
        """How the model's per-label prior was made, for captions."""
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
        pixels = np.array(self._shown_model_input[1], np.float32)
        self.interp_ends[end] = pixels
        self.interp_end_views[end].set_array(pixels)
        self.request_interpolation()

    def request_interpolation(self) -> None:
        a, b = self.interp_ends
        if a is not None and b is not None and self.worker.has_model:
            self.worker.submit("interpolate", a, b, self.interp_steps_spin.value(), self.interp_hold_check.isChecked())
        elif a is None or b is None:
            self.interp_view.set_images(None, placeholder="—")

    def _on_interpolated(self, drawn: np.ndarray, labels, read) -> None:
        self.interp_view.set_images(drawn, cols=len(drawn))
        if labels[0] is None:
            self.interp_caption.setText(f"{len(drawn)} steps from A's code to B's (a plain VAE: no labels).")
            return
        held = "every step drawn as " + str(labels[0]) if len(set(labels)) == 1 else f"label {labels[0]} to {labels[-1]}"
        self.interp_caption.setText(f"{len(drawn)} steps from A's code to B's, {held}. Read as: "
                                    + " ".join(str(int(r)) for r in read))

    def _on_explained(self, request_id: int, ex) -> None:
        if self._shown_model_input is None or request_id != self._shown_model_input[0]:
            return  # about an input no longer shown
        self.explain_plot.set_explanation(ex)
        self.explain_text.setText(f"<b>{ex.why()}</b><br>{RECONSTRUCTION_MEANS}<br>{KL_MEANS}<br>{SUM_MEANS}")

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
            self.input_view.set_array(None, READING)
            self.bars.set_probabilities(None, message=READING)
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
        waiting = ("Samples of the recognised digit appear when there is one (or pick a digit in "
                   "Condition on label).")
        if samples:
            self.samples_view.set_images(None, placeholder="—")
            self.samples_caption.setText(waiting)
        if grid:
            self.traversal_view.set_images(None, placeholder="—")
            self._grid_images = None
            self.traversal_caption.setText(waiting.replace("Samples", "A latent grid").replace(
                "Condition on label", "Condition on label or the grid's Label"))

    def request_samples(self) -> None:
        if self._no_label_yet():
            self._show_waiting_for_a_digit(grid=False)
        elif self.worker.has_model:
            self.worker.submit("samples", self.state.effective_label, self.state.sample_seed, self._prior())

    def _prior(self) -> str:
        return "standard" if self.prior_checkbox.isChecked() else "fitted"

    def _grid_label(self) -> int:
        chosen = self.grid_label_combo.currentData()
        return self.state.effective_label if chosen is None else int(chosen)

    def request_traversal(self) -> None:
        if self._no_label_yet() and self.grid_label_combo.currentData() is None:
            self._show_waiting_for_a_digit(samples=False)
        elif self.worker.has_model:
            dims = tuple(s.value() for s in self.grid_dim_spins)
            self.worker.submit("traversal", self._grid_label(), None if -1 in dims else dims,
                               self.grid_steps_spin.value())

    def save_grid_png(self) -> None:
        grid = self.traversal_view.array()
        if grid is None:
            self.show_error("Nothing to save yet: the grid appears once a model is loaded.")
            return
        path = self._ask_png("latent-grid")
        if path:
            try:
                save_png_atomic(grid_image(self._grid_images, cols=self._grid_images_cols, scale=3), path)
            except OSError as e:
                self.show_error(f"Could not save {Path(path).name}: {e.strerror or e}")

    def load_model(self, path: str) -> None:
        self.model_status.setText(f"Loading {Path(path).name}…")
        self.worker.submit("load", str(path))

    # -- results -------------------------------------------------------------------------------
    def _show_empty(self, message: str) -> None:
        """No input to show (a blank canvas, or one the model could not read): every panel that speaks of the
        input says so, and nothing of an earlier input stays."""
        self.input_view.set_array(None, message)
        self.recon_view.title = "Reconstruction"
        self.recon_view.set_array(None, "")
        self.bars.set_probabilities(None, message=message)
        self.recognised_label.setText("–")
        self.ood_label.hide()
        self._shown_input = None
        self.notes_label.setText(self._input_hint())
        self.style_view.set_images(None, placeholder=self._style_placeholder())
        self._shown_model_input = None
        self.explain_plot.show_message(message)
        self.explain_text.setText("")
        self.latent_plot.set_marker(None)
        self.state.recognised = None  # the next digit's answer asks for its samples and traversal again
        if self.state.label is None and self._conditional():  # they were for the recognised label: gone with it
            self._show_waiting_for_a_digit(grid=self.grid_label_combo.currentData() is None)
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
        self.ood_label.setVisible(not c.looks_like_digit)
        if not c.looks_like_digit:
            # Never "0 (99.9%)" for a house: the bars still show which label the model leans to, for the curious.
            probs = self.bars.probabilities()
            nearest = "" if probs is None else f" (nearest: {int(np.argmax(probs))})"
            self.recognised_label.setText(f"<span style='font-size: 18px'>Not a digit{nearest}</span>")
            what = "Before the noise, this" if self._shown_noisy else "This"
            self.ood_label.setText(f"⚠ {what} does not look like a digit to the model (−ELBO {c.neg_elbo:.0f} "
                                   f"nats, worse than {c.percentile:.1f}% of test digits).")

    def _on_analyzed(self, r: UpdateResult) -> None:
        if r.request_id < self._shown_id:
            return  # an older answer overtaken by a newer one
        self._shown_id = r.request_id
        a = r.analysis
        self.message_label.hide()
        self.input_view.set_array(r.model_input)
        # "as 7" only where the decoder takes the label; a decoder without one (the label only in the prior)
        # draws the same reconstruction whatever label is recognised.
        decoder_label = a.label is not None and self._model_config().get("label_in_decoder", True)
        self.recon_view.title = "Reconstruction" + (f" as {a.label}" if decoder_label else "")
        self.recon_view.set_array(a.reconstruction)
        if a.probabilities is not None:
            self.bars.set_probabilities(a.probabilities, a.recognised)
            p = a.probabilities
            runner_up = runner_up_if_unsure(p)
            if runner_up is None:
                self.recognised_label.setText(f"{a.recognised}   ({100 * p[a.recognised]:.1f}%)")
            else:  # never a bare guess: the model says it is unsure, and what else it could be
                self.recognised_label.setText(  # smaller: the longer line must fit the column
                    f"<span style='font-size: 18px'>Unsure: {a.recognised} ({100 * p[a.recognised]:.0f}%) "
                    f"or {runner_up} ({100 * p[runner_up]:.0f}%)</span>")
        else:
            self.bars.set_probabilities(None, message="A plain VAE does not know labels: no recognition.")
            self.recognised_label.setText("")  # the bars say why; a lone dash read as a glitch
        self._shown_input, self._shown_noisy = r.input_key, r.noisy
        if r.digit_check is not None:  # else the worker checks the input before noise next: digit_checked
            self._on_digit_checked(r.digit_check)
        self.style_view.set_images(r.style, cols=5, placeholder=self._style_placeholder())
        self._shown_model_input = (r.request_id, r.model_input)
        if self.tabs.currentWidget() is self.explain_tab:
            self._explain_timer.start()
        self.latent_plot.set_marker(r.marker)
        self.notes_label.setText("Detected: " + "; ".join(r.notes) + ".")
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
        self.message_label.hide()
        if self._digit_index >= len(reading.digits):  # the digit shown is gone: the first unsure one, else the first
            unsure = [i for i, d in enumerate(reading.digits) if d.unsure]
            self._digit_index = unsure[0] if unsure else 0
        self.number_panel.set_reading(reading)
        self.copy_number_action.setEnabled(True)
        self.show_digit(self._digit_index)

    def _on_mode(self, mode: str) -> None:
        number = mode == "number"
        for button, action, on in ((self.digit_mode_button, self.digit_mode_action, not number),
                                   (self.number_mode_button, self.number_mode_action, number)):
            button.setChecked(on)
            action.setChecked(on)
        self.input_title.setText("<b>Your number</b>" if number else "<b>Your digit</b>")
        self.number_panel.setVisible(number)
        self.number_panel.set_message("Write a number, or open, drop or paste a photo of one.")
        self.copy_number_action.setEnabled(False)
        self._digit_index = 0
        self.notes_label.setText(self._input_hint())
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
        self.samples_view.set_images(images)
        seed = self.state.sample_seed
        if not self._conditional():
            text = f"16 digits generated from z ~ N(0, I) (seed {seed}); a plain VAE takes no label."
        elif self._prior() == "standard" and self._label_prior():
            text = (f"16 digits generated for label {label} from the model's {self._label_prior_kind()} prior "
                    f"p(z | {label}) (seed {seed}).")
        elif self._prior() == "standard":
            text = f"16 digits generated for label {label} from z ~ N(0, I), the model's prior (seed {seed})."
        else:
            text = (f"16 digits generated for label {label}, z drawn from a Gaussian fitted to the latent codes "
                    f"of real {label}s (seed {seed}).")
        self.samples_caption.setText(text)

    def _on_traversal(self, label: int, dims, grid: np.ndarray) -> None:
        chosen = -1 not in (s.value() for s in self.grid_dim_spins)
        steps = grid.shape[0]
        self._grid_images, self._grid_images_cols = grid.reshape(-1, 28, 28), steps
        self.traversal_view.set_images(self._grid_images, cols=steps)
        what = f"label {label}, " if self._conditional() else ""
        which = "as chosen" if chosen else "the two most used"
        self.traversal_caption.setText(
            f"Latent grid, as seed 004's uniform traversal ({what}rows along latent dimension {dims[0]}, columns "
            f"along {dims[1]}, {which}): "
            + (f"z at the 5%–95% quantiles of the {self._label_prior_kind()} prior p(z | {label}), "
               "other dimensions at its mean."
               if self._label_prior() else "z at the normal distribution's 5%–95% quantiles, other dimensions 0."))

    def _on_model_loaded(self, info: dict) -> None:
        self.state.set_model(info)

    def _on_model_failed(self, message: str) -> None:
        self.show_error(message + (" The previous model stays active." if self.worker.has_model else ""))
        self._refresh_model_status()

    def _on_model(self, info: dict) -> None:
        self._refresh_model_status()
        meta, cfg = info.get("meta") or {}, info.get("config") or {}
        self.loss_plot.set_history(meta.get("history"), cfg.get("name") or Path(info["path"]).stem)
        self.latent_plot.show_message("Mapping the shipped sample into this model's latent space…")
        self._offer_plain_vae_switch(info)
        latent_dim = int(cfg.get("latent_dim", 2))
        for spin in self.grid_dim_spins:  # a 2-D latent space is the grid's plane itself: nothing to choose
            spin.blockSignals(True)
            spin.setMaximum(latent_dim - 1)
            spin.setValue(-1 if spin.value() >= latent_dim else spin.value())
            spin.setEnabled(latent_dim > 2)
            spin.blockSignals(False)
        self.grid_label_combo.setEnabled(cfg.get("conditional", True))
        self.prior_checkbox.setEnabled(cfg.get("conditional", True))  # a plain VAE has only its prior
        self.label_combo.setEnabled(cfg.get("conditional", True))
        self.style_view.set_images(None, placeholder=self._style_placeholder())
        self.settings.setValue("model/active", info["path"])
        self.request_update()
        self.request_samples()
        self.request_traversal()
        self.request_interpolation()  # the same two inputs, through this model
        self.interp_hold_check.setEnabled(cfg.get("conditional", True))

    def _refresh_model_status(self) -> None:
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
        self.latent_plot.set_map(m.points, m.labels, m.description, self._conditional(), m.neighbour_agreement)
        self.request_update()  # the map arrives after the first answer: place the current input on it

    def _on_latent_click(self, x: float, y: float) -> None:
        if self.worker.has_model:
            self.worker.submit("decode", x, y, self.state.effective_label)

    def _on_noise(self) -> None:
        self.sigma_value.setText(f"{self.state.sigma:.2f}")
        self.sp_value.setText(f"{self.state.salt_pepper:.2f}")
        self.request_update()

    def _on_label(self) -> None:
        self.request_update()
        self.request_samples()
        self.request_traversal()

    def _on_history(self, can_undo: bool, can_redo: bool) -> None:
        self.undo_button.setEnabled(can_undo)
        self.redo_button.setEnabled(can_redo)

    # -- input ---------------------------------------------------------------------------------
    def show_error(self, message: str) -> None:
        self.message_label.setText(message)
        self.message_label.show()

    def show_input_error(self, message: str) -> None:
        """A picture that could not be used: nothing changes, and the message says which input the panels show,
        so that an earlier answer is never taken for this picture's."""
        kept = "" if self.canvas.is_blank() else " The panels still show the earlier input, which is kept."
        self.show_error(message + kept)

    def open_image_dialog(self) -> None:
        folder = str(self.settings.value("paths/last_folder", str(Path.home())))
        path, _ = QFileDialog.getOpenFileName(self, "Open an image of a digit", folder,
                                              f"{file_dialog_filter()};;All files (*)")
        if path:
            self.open_image_file(path)

    def open_image_file(self, path: str) -> bool:
        """Make an image file the canvas content. On failure, say why and change nothing."""
        self.settings.setValue("paths/last_folder", str(Path(path).parent))
        try:
            img = open_image(path)
        except ImageError as e:
            self.show_input_error(str(e))
            return False
        img.thumbnail((self._picture_side(), self._picture_side()))
        return self._set_canvas_from_gray(image_to_gray(img))

    def paste_image(self) -> None:
        mime = QApplication.clipboard().mimeData()
        if mime is not None and mime.hasImage():
            img = QImage(QApplication.clipboard().image())
            if img.isNull():
                self.show_input_error("The clipboard's image could not be read.")
                return
            side = self._picture_side()
            if max(img.width(), img.height()) > side:
                img = img.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
            self._set_canvas_from_gray(qimage_to_gray(img))
        elif mime is not None and mime.hasUrls() and mime.urls()[0].isLocalFile():
            self.open_image_file(mime.urls()[0].toLocalFile())
        else:
            self.show_error("The clipboard holds no image.")

    def _picture_side(self) -> int:
        """How large an opened or pasted picture is kept: a number's dozen digits share its width."""
        return MAX_NUMBER_PICTURE_SIDE if self.state.mode == "number" else MAX_PASTE_SIDE

    def _set_canvas_from_gray(self, gray: np.ndarray) -> bool:
        """Make a picture the canvas content, unless it has no ink (then say so and change nothing)."""
        gray = np.asarray(gray, np.float32)  # the very array the canvas keeps as its source picture
        try:
            norm = normalize_gray(gray)
        except NoInkError as e:
            self.show_input_error(str(e))
            return False
        self.message_label.hide()
        self._opened = (gray, norm)  # before set_image(), whose change signal sends the first request
        self.canvas.set_image(gray)
        return True

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
            self.open_image_file(path)

    # -- models --------------------------------------------------------------------------------
    def open_model_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a model", str(self.models_dir), "Keras models (*.keras)")
        if path:
            self.load_model(path)

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

    def _own_active_model(self):
        """The catalog entry of the active model if the person trained it (in the models folder), else None."""
        active = (self.state.model_info or {}).get("path")
        if active is None:
            return None
        for entry in list_models(self.models_dir):
            if not entry.shipped and Path(active) == entry.path:
                return entry
        return None

    def rename_active_model(self) -> None:
        entry = self._own_active_model()
        if entry is None:
            return
        name, ok = QInputDialog.getText(self, "Rename model", "Name shown for this model:", text=entry.name)
        if not ok:
            return
        try:
            rename_model(entry.path, name)
        except (ValueError, OSError) as e:
            self.show_error(f"Could not rename the model: {e}")
            return
        info = dict(self.state.model_info)
        info["meta"] = {**(info.get("meta") or {}), "display_name": " ".join(name.split())}
        self.state.model_info = info  # the status bar and the menus show the new name at once
        self._refresh_model_status()
        self._fill_model_menu()

    def remove_active_model(self) -> None:
        entry = self._own_active_model()
        if entry is None:
            return
        if self.training_dialog is not None and self.training_dialog.running:
            self.show_error("A model is training: remove models once it has finished.")
            return
        answer = QMessageBox.question(self, "Remove model?",
                                      f"Delete “{entry.name}” ({entry.path.name}) from your models? "
                                      "The default model takes its place. This cannot be undone.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.load_model(str(default_model_path()))
        try:
            remove_model(entry.path)
        except OSError as e:
            self.show_error(f"Could not remove {entry.path.name}: {e.strerror or e}")
        self._fill_model_menu()

    def _on_model_trained(self, path: str, activate: bool) -> None:
        self._fill_model_menu()
        if activate:
            self.load_model(path)

    def open_compare_dialog(self) -> None:
        from .compare_dialog import CompareDialog

        if self.compare_dialog is None:
            self.compare_dialog = CompareDialog(self.models_dir, self)
        self.compare_dialog.show()
        self.compare_dialog.raise_()

    def _offer_plain_vae_switch(self, info: dict) -> None:
        """Beside a CVAE, the switch to the plain VAE; beside the plain VAE, the way back to the CVAE that was
        active before it (the default model, if none was)."""
        if (info.get("config") or {}).get("conditional", True):
            self._cvae_before_plain = info["path"]
            self.plain_vae_button.setText("Switch to the plain VAE")
            self.plain_vae_button.setToolTip("A plain VAE has no label to lean on, so its latent space clusters by "
                                             "digit")
        else:
            back = self._cvae_before_plain or str(default_model_path())
            self.plain_vae_button.setText("Back to the CVAE")
            self.plain_vae_button.setToolTip(f"Load “{self._model_name(back)}” again, the conditional model that "
                                             "was active before the plain VAE")

    def _model_name(self, path: str) -> str:
        for entry in list_models(self.models_dir):
            if str(entry.path) == path:
                return entry.name
        return Path(path).stem

    def toggle_plain_vae(self) -> None:
        if not self._conditional():
            self.load_model(self._cvae_before_plain or str(default_model_path()))
            return
        for entry in list_models(self.models_dir):
            if entry.shipped and not (entry.meta.get("config") or {}).get("conditional", True):
                self.load_model(str(entry.path))
                return
        self.show_error("No plain VAE model is installed.")

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
        self.brush.setValue(int(s.value("canvas/brush", 18)))
        # The noise and the label condition are part of the experiment a person was running: they come back.
        self.sigma_slider.setValue(_int_setting(s, "input/noise_sigma", 0))
        self.sp_slider.setValue(_int_setting(s, "input/salt_pepper", 0))
        label = _int_setting(s, "input/label", None)
        self.label_combo.setCurrentIndex(self.label_combo.findData(label) if label in range(10) else 0)

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
        s.setValue("canvas/brush", self.brush.value())
        s.setValue("input/mode", self.state.mode)
        s.setValue("input/noise_sigma", self.sigma_slider.value())
        s.setValue("input/salt_pepper", self.sp_slider.value())
        label = self.label_combo.currentData()
        if label is None:
            s.remove("input/label")
        else:
            s.setValue("input/label", int(label))
        self._save_drawing()
        self.worker.stop()
        super().closeEvent(e)
