"""Train new model…: choose the architecture and hyperparameters, watch it learn, cancel at any time.

Training runs in a child process (train_process) watched by a TrainingWorker thread, with per-batch
progress and per-epoch results (curves and reconstructions of fixed digits); cancel is cooperative and
takes effect within one graph call (train.steps_per_call: one batch, or ten for the small seed models).
No model is written until training and evaluation have finished, and then atomically; after every epoch
the training writes its checkpoint (module checkpoint), so a cancelled, failed or crashed training can be
resumed from the dialog: the "Interrupted" bar offers the newest one in the models folder.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt, QThread, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QDialog, QDoubleSpinBox, QFileDialog, QFormLayout, QFrame, QGroupBox,
    QHBoxLayout, QLabel, QLineEdit, QMenu, QMessageBox, QProgressBar, QPushButton, QRadioButton, QScrollArea, QSpinBox,
    QVBoxLayout, QWidget,
)

from .. import checkpoint
from ..catalog import list_models, training_stages
from ..config import ARCHITECTURES, DEFAULT_LR_SCHEDULE, MAX_SEED, PIXEL_CONTEXT_CHANNELS, ModelConfig
from ..data import SAMPLE_ARGUMENT, keras_cache_file
from ..progress import TimeLeft, duration, plural
from ..train_process import TrainingJob
from .views import FittedPicture, GridView, fit_to_screen


class TrainingWorker(QThread):
    """Relays a TrainingJob's messages as signals. The training itself runs in a child process
    (train_process), so TensorFlow never holds this process's GIL and the window never stalls."""

    progress = Signal(object)  # progress.BatchProgress
    epoch_done = Signal(object)  # progress.EpochReport
    curves_ready = Signal(object)  # (H, W, 4) uint8: the loss curves so far, rendered by the child
    device = Signal(str)
    phase = Signal(str)  # "loading data", "training", "evaluating and saving"
    succeeded = Signal(str, object)  # path, metadata
    failed = Signal(str)
    cancelled = Signal()

    def __init__(self, cfg: ModelConfig, data_path: str | None, out: Path, parent=None,
                 init_from: str | None = None, resume: bool = False):
        super().__init__(parent)
        self.cfg, self.data_path, self.out, self.init_from, self.resume = cfg, data_path, out, init_from, resume
        self.plot_size = (7.0, 3.0)  # inches at 100 dpi
        self._cancel_requested = threading.Event()
        self._job: TrainingJob | None = None

    def cancel(self) -> None:
        self._cancel_requested.set()
        if self._job is not None:
            self._job.cancel()

    @property
    def cancelling(self) -> bool:
        return self._cancel_requested.is_set()

    @property
    def job_pid(self) -> int | None:
        return self._job.process.pid if self._job is not None else None

    def run(self) -> None:
        signals = {"progress": self.progress, "epoch": self.epoch_done, "curves": self.curves_ready,
                   "device": self.device, "phase": self.phase, "succeeded": self.succeeded,
                   "failed": self.failed, "cancelled": self.cancelled}
        try:
            self._job = job = TrainingJob(self.cfg.to_dict(), self.data_path, self.out, self.plot_size,
                                          init_from=self.init_from, resume=self.resume)
            job.start()
        except OSError as e:
            self.failed.emit(f"Could not start the training process: {e}")
            return
        if self._cancel_requested.is_set():  # cancelled while starting
            job.cancel()
        for kind, *args in job.events():
            if kind in signals:
                signals[kind].emit(*args)


# The form and the data of the last training started, remembered across sessions.
SETTINGS_FORM = "training/form"
SETTINGS_DATA = "training/data"


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "model"


# Training settings by the words the form uses for them, for saying how a later training stage differed.
_SETTING_NAMES = {"learning_rate": "learning rate", "beta": "β", "train_noise": "noise σ",
                  "classifier_weight": "classifier weight", "train_shift": "shifts", "train_rotate": "rotations",
                  "train_scale": "scaling", "train_blur": "blur σ", "train_styles": "national styles",
                  "train_pens": "other pens", "batch_size": "batch size"}


class TrainingDialog(QDialog):
    model_trained = Signal(str, bool)  # path, make it active

    def __init__(self, models_dir: Path, parent=None, settings: QSettings | None = None):
        """settings: where the form's last settings and data are remembered (the main window's); None: nowhere."""
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Train new model")
        self.models_dir = Path(models_dir)
        self.worker: TrainingWorker | None = None
        self.result_path: str | None = None
        self.last_progress = None  # newest BatchProgress shown
        self.epoch_reports: list = []  # EpochReports of the current run
        self.active_model: tuple[str, ModelConfig] | None = None  # what "Continue the active model" starts from
        self.time_left = TimeLeft()
        self._build()
        self._restore_settings()

    # -- form ----------------------------------------------------------------------------------
    def _build(self) -> None:
        self.recipe_button = self._build_recipe_button()  # before the settings: they enable it or not
        form = self._build_settings()
        form.insertRow(1, "", self.recipe_button)
        data_box = self._build_data_box()
        self._build_progress()
        self._lay_out(form, data_box)
        self.refresh_interrupted()

    def _build_settings(self) -> QFormLayout:
        """The model's and the training's settings, one row each, kept consistent with each other."""
        self.start_combo = QComboBox()
        self.start_combo.addItem("New weights", "new")
        self.start_combo.setToolTip("Train a new model, or go on training the active one (more epochs, or "
                                    "fine-tuning with other settings): it keeps its architecture and seed")
        self.name_edit = QLineEdit("My model")
        self.arch_combo = QComboBox()
        for key, text in ARCHITECTURES.items():
            self.arch_combo.addItem(text, key)
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Conditional VAE (label into encoder and decoder)", "both")
        self.kind_combo.addItem("Conditional VAE (label into the decoder only: z holds style)", "decoder")
        self.kind_combo.addItem("Conditional VAE (label into its prior only)", "prior")
        self.kind_combo.addItem("Plain VAE (no label)", "none")
        self.kind_combo.setItemData(self.kind_combo.findData("prior"),
                                    "The decoder does not see the label: one decoder pass scores all ten labels "
                                    "(fastest recognition); the prior p(z | label) is required",
                                    Qt.ItemDataRole.ToolTipRole)
        for combo in (self.arch_combo, self.kind_combo):  # not as wide as their longest item (80 characters)
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(30)
        self.latent_spin = QSpinBox(minimum=1, maximum=128, value=16)
        self.epochs_spin = QSpinBox(minimum=1, maximum=500, value=10)
        self.batch_spin = QSpinBox(minimum=8, maximum=2048, value=128, singleStep=32)
        self.lr_spin = QDoubleSpinBox(decimals=5, minimum=0.00001, maximum=0.1, value=0.001, singleStep=0.0005)
        self.schedule_combo = QComboBox()
        self.schedule_combo.addItem("", "")  # the architecture's default; its text follows the architecture
        self.schedule_combo.addItem("Constant", "constant")
        self.schedule_combo.addItem("Cosine decay to 5 %", "cosine")
        self.schedule_combo.setToolTip("Adam's learning rate over the run. The seed architectures reach a better "
                                       "bound at a constant rate in short runs; long runs gain from decay.")
        self.arch_combo.currentIndexChanged.connect(self._show_default_schedule)
        self._show_default_schedule()
        self.beta_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=20.0, value=1.0, singleStep=0.1)
        self.noise_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, value=0.0, singleStep=0.05)
        self.noise_spin.setToolTip("Denoising: each training image gets Gaussian noise with sigma ~ U(0, this)")
        self.classifier_spin = QDoubleSpinBox(decimals=1, minimum=0.0, maximum=100.0, value=0.0, singleStep=1.0)
        self.classifier_spin.setToolTip("Weight of a cross-entropy on the per-label evidence bounds "
                                        "(sharper recognition; conditional models only)")
        self.prior_check = QCheckBox("Learn a Gaussian prior p(z | label) for each label")
        self.prior_check.setToolTip("Instead of N(0, I): the evidence bound then also asks whether the latent code "
                                    "lies where codes of that label lie (conditional models only)")
        self.fit_prior_check = QCheckBox("Refit it after training (full covariance)")
        self.fit_prior_check.setToolTip("Replaces each label's learnt diagonal Gaussian by the Gaussian that best fits "
                                        "the training digits' latent codes: a tighter evidence bound, and on the "
                                        "default recipe better recognition (docs/MODELS.md)")
        self.prior_check.toggled.connect(self._enable_options)
        self.refine_spin = QSpinBox(minimum=0, maximum=4, value=0)
        self.refine_spin.setToolTip("Extra 3x3 convolutions at full resolution before the decoder's output "
                                    "(the improved architecture only)")
        self.context_check = QCheckBox("Predict each pixel also from its neighbours (pixel context)")
        self.context_check.setToolTip(
            "A decoder head that draws in three passes, each pixel also from the pixels beside it drawn before:\n"
            "a much better evidence bound, slower drawing (docs/MODELS.md). The improved architecture only;\n"
            "a continued model without it can gain it")
        self.shift_spin = QSpinBox(minimum=0, maximum=4, value=0)
        self.shift_spin.setToolTip("Augmentation: each training image moved by up to this many pixels")
        self.rotate_spin = QDoubleSpinBox(decimals=1, minimum=0.0, maximum=45.0, value=0.0, singleStep=1.0)
        self.rotate_spin.setToolTip("Augmentation: each training image turned by up to this many degrees")
        self.scale_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=0.3, value=0.0, singleStep=0.05)
        self.scale_spin.setToolTip("Augmentation: each training image scaled by up to this fraction (0.1: 90-110 %)")
        self.blur_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=3.0, value=0.0, singleStep=0.25)
        self.blur_spin.setToolTip("Half the training inputs blurred by a Gaussian of sigma up to this many pixels, "
                                  "as a photo out of focus is; the model still learns to draw them sharp")
        self.styles_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, value=0.0, singleStep=0.1)
        self.styles_spin.setToolTip("Augmentation: this share of the 1s, 7s, 9s and 4s added again as much of the "
                                    "world writes them:\na 1 with a long flag, a 7 with a crossbar, a 9 with a long "
                                    "tail, an open 4 (docs/MODELS.md)")
        self.pens_spin = QDoubleSpinBox(decimals=2, minimum=0.0, maximum=1.0, value=0.0, singleStep=0.1)
        self.pens_spin.setToolTip("Augmentation: this share of all digits added again written with other pens, "
                                  "thinner or bolder,\nand normalised as the app normalises pictures (reads "
                                  "photos and whole numbers better; docs/MODELS.md)")
        self.seed_spin = QSpinBox(minimum=0, maximum=MAX_SEED, value=0)
        form = QFormLayout()
        form.addRow("Start from", self.start_combo)
        form.addRow("Name", self.name_edit)
        form.addRow("Architecture", self.arch_combo)
        form.addRow("Model", self.kind_combo)
        form.addRow("Latent dimensions", self.latent_spin)
        form.addRow("Epochs", self.epochs_spin)
        form.addRow("Batch size", self.batch_spin)
        form.addRow("Learning rate", self.lr_spin)
        form.addRow("Learning-rate schedule", self.schedule_combo)
        form.addRow("β (KL weight)", self.beta_spin)
        form.addRow("Denoising noise σ", self.noise_spin)
        form.addRow("Classifier weight", self.classifier_spin)
        form.addRow("Prior", self.prior_check)
        form.addRow("", self.fit_prior_check)
        form.addRow("Decoder refinement layers", self.refine_spin)
        form.addRow("", self.context_check)
        form.addRow("Random shifts (pixels)", self.shift_spin)
        form.addRow("Random rotations (degrees)", self.rotate_spin)
        form.addRow("Random scaling (fraction)", self.scale_spin)
        form.addRow("Input blur σ (pixels)", self.blur_spin)
        form.addRow("National styles (share)", self.styles_spin)
        form.addRow("Other pens (share)", self.pens_spin)
        form.addRow("Seed", self.seed_spin)
        self.kind_combo.currentIndexChanged.connect(self._enable_options)
        self.arch_combo.currentIndexChanged.connect(self._enable_options)
        self.start_combo.currentIndexChanged.connect(self._on_start_changed)
        self._enable_options()
        return form

    def _build_recipe_button(self) -> QPushButton:
        """A menu of the shipped models' recipes: each fills the form with its first stage."""
        button = QPushButton("Fill in the settings of a shipped model")
        button.setToolTip("The architecture and training settings a shipped model was made with, "
                          "to train one like it (or change some first)")
        self.recipe_menu = QMenu(button)
        for entry in list_models():
            try:
                stages = [ModelConfig.from_dict(c) for c in training_stages(entry.meta)]
            except (TypeError, ValueError):
                continue  # a damaged sidecar offers no recipe
            if not stages:
                continue
            epochs = ", then ".join(str(c.epochs) for c in stages)
            action = self.recipe_menu.addAction(f"{entry.name}: {epochs} epochs")
            action.triggered.connect(lambda _=False, r=stages[0], later=stages[1:], n=entry.name:
                                     self.use_recipe(r, later, n))
        button.setMenu(self.recipe_menu)
        return button

    def _build_data_box(self) -> QGroupBox:
        """Which digits to train on: the shipped sample, MNIST through Keras, or a file."""
        self.sample_radio = QRadioButton("The sample shipped with the app (1,000 digits: a quick try, offline)")
        self.mnist_radio = QRadioButton("MNIST (Keras download, then cached)")
        self.file_radio = QRadioButton(".npz file in MNIST format:")
        # Offline, a Keras download fails: the sample is the default until MNIST is in Keras's cache.
        (self.mnist_radio if keras_cache_file().is_file() else self.sample_radio).setChecked(True)
        group = QButtonGroup(self)
        for radio in (self.sample_radio, self.mnist_radio, self.file_radio):
            group.addButton(radio)
        self.file_edit = QLineEdit()
        self.file_edit.setPlaceholderText("x_train, y_train, x_test, y_test")
        self.browse_button = browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        self.file_edit.textEdited.connect(lambda _: self.file_radio.setChecked(True))
        data_box = QGroupBox("Data")
        dv = QVBoxLayout(data_box)
        dv.addWidget(self.sample_radio)
        dv.addWidget(self.mnist_radio)
        row = QHBoxLayout()
        row.addWidget(self.file_radio)
        row.addWidget(self.file_edit, 1)
        row.addWidget(browse)
        dv.addLayout(row)
        return data_box

    def _build_progress(self) -> None:
        """What a running training shows (progress, status, live curves and reconstructions), an interrupted
        training's bar, and the buttons."""
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Choose settings and press Train.")
        self.status.setWordWrap(True)
        # Live curves arrive as images rendered by the training process: redrawing a matplotlib figure here
        # would stall the UI thread ~150 ms per epoch.
        self.curves = FittedPicture("The loss curves appear after the first epoch.")
        self.curves.setMinimumSize(380, 240)
        self.previews = GridView(min_side=90)
        self.previews.set_array(None, "Reconstructions of ten test digits appear after each epoch.")
        self.interrupted: list[tuple[Path, checkpoint.TrainingState]] = []
        self.interrupted_label = QLabel()
        self.interrupted_label.setWordWrap(True)
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Go on from the last finished epoch, with the same settings and data")
        self.resume_button.clicked.connect(self.resume)
        self.discard_button = QPushButton("Discard")
        self.discard_button.setToolTip("Delete this interrupted training's checkpoint")
        self.discard_button.clicked.connect(self.discard_interrupted)
        self.interrupted_bar = QFrame()
        self.interrupted_bar.setFrameShape(QFrame.Shape.StyledPanel)
        bar = QHBoxLayout(self.interrupted_bar)
        bar.addWidget(self.interrupted_label, 1)
        bar.addWidget(self.resume_button)
        bar.addWidget(self.discard_button)
        self.train_button = QPushButton("Train")
        self.train_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel training")
        self.cancel_button.setEnabled(False)
        self.close_button = QPushButton("Close")
        self.train_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel)
        self.close_button.clicked.connect(self.close)

    def _lay_out(self, form: QFormLayout, data_box: QGroupBox) -> None:
        """Settings on the left (scrolling on a low screen), curves and reconstructions on the right."""
        settings = QWidget()
        left = QVBoxLayout(settings)
        left.setContentsMargins(0, 0, 0, 0)
        left.addLayout(form)
        left.addWidget(data_box)
        left.addStretch(1)
        # The settings scroll when the screen is too low for all of them (a laptop's 768 pixels are): the
        # Train and Cancel buttons below must stay on screen.
        scroll = QScrollArea()
        scroll.setWidget(settings)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setSizeAdjustPolicy(QScrollArea.SizeAdjustPolicy.AdjustToContents)
        scroll.setMinimumWidth(settings.sizeHint().width() + scroll.verticalScrollBar().sizeHint().width())
        right = QVBoxLayout()
        right.addWidget(self.curves, 3)
        right.addWidget(QLabel("Reconstructions of fixed test digits, after each epoch"))
        right.addWidget(self.previews, 1)
        top = QHBoxLayout()
        top.addWidget(scroll, 0)
        top.addLayout(right, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.train_button, self.cancel_button, self.close_button):
            buttons.addWidget(b)
        v = QVBoxLayout(self)
        v.addLayout(top, 1)
        v.addWidget(self.interrupted_bar)
        v.addWidget(self.progress)
        v.addWidget(self.status)
        v.addLayout(buttons)
        # Tall enough to show every setting without scrolling, where the screen has the room.
        below_settings = self.sizeHint().height() - scroll.sizeHint().height()
        fit_to_screen(self, max(1100, self.sizeHint().width()), settings.sizeHint().height() + below_settings)

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "MNIST-format data", "", "NumPy archives (*.npz)")
        if path:
            self.file_edit.setText(path)
            self.file_radio.setChecked(True)

    @property
    def continuing(self) -> bool:
        return self.start_combo.currentData() == "active" and self.active_model is not None

    def set_active_model(self, path: str | None, config: dict | None) -> None:
        """The model "Continue the active model" starts from (None: there is none)."""
        try:
            self.active_model = (str(path), ModelConfig.from_dict(config)) if path and config else None
        except (TypeError, ValueError):
            self.active_model = None
        was_continuing = self.start_combo.currentData() == "active"
        while self.start_combo.count() > 1:
            self.start_combo.removeItem(1)
        if self.active_model is not None:
            self.start_combo.addItem(f"Continue the active model ({self.active_model[1].display_name})", "active")
            if was_continuing:
                self.start_combo.setCurrentIndex(1)
        self._on_start_changed()

    def _on_start_changed(self) -> None:
        """Continuing a model shows its architecture, which cannot change, and starts from its name and
        training settings, which can (fine-tuning)."""
        if self.continuing:
            base = self.active_model[1]
            self._fill_form(base)
            self.name_edit.setText(f"{base.display_name} (continued)")
        self._enable_options()

    def use_recipe(self, recipe: ModelConfig, later: list[ModelConfig] = (), name: str = "") -> None:
        """Fill the form with how a shipped model was made, for new weights: its architecture, training
        settings, epochs and seed. A model trained in stages gets its first stage here; the status says how it
        was trained on from there."""
        self.start_combo.setCurrentIndex(0)  # a recipe is for new weights
        self._fill_form(recipe)
        self.epochs_spin.setValue(min(recipe.epochs, self.epochs_spin.maximum()))
        name = name or recipe.display_name
        self.name_edit.setText(f"{name}, retrained")
        text = f"Settings of “{name}” filled in: {recipe.epochs} epochs."
        previous = recipe
        for stage in later:
            changed = ", ".join(f"{_SETTING_NAMES[k]} {getattr(stage, k):g}" for k in _SETTING_NAMES
                                if getattr(stage, k) != getattr(previous, k))
            text += (f" It was then trained {stage.epochs} more epochs from that model"
                     + (f" ({changed})" if changed else "") + ": once this one is trained, load it and continue it.")
            previous = stage
        self.status.setText(text + " Change any of them, or press Train.")
        self._enable_options()

    def _fill_form(self, cfg: ModelConfig) -> None:
        """Show a model's architecture and training settings in the form (not its epochs or name)."""
        self.batch_spin.setValue(cfg.batch_size)
        self.lr_spin.setValue(cfg.learning_rate)
        self.schedule_combo.setCurrentIndex(self.schedule_combo.findData(cfg.lr_schedule))
        self.beta_spin.setValue(cfg.beta)
        self.noise_spin.setValue(cfg.train_noise)
        self.classifier_spin.setValue(cfg.classifier_weight)
        self.shift_spin.setValue(cfg.train_shift)
        self.rotate_spin.setValue(cfg.train_rotate)
        self.scale_spin.setValue(cfg.train_scale)
        self.blur_spin.setValue(cfg.train_blur)
        self.styles_spin.setValue(cfg.train_styles)
        self.pens_spin.setValue(cfg.train_pens)
        self.arch_combo.setCurrentIndex(self.arch_combo.findData(cfg.arch))
        kind = ("none" if not cfg.conditional else "both" if cfg.label_in_encoder
                else "decoder" if cfg.label_in_decoder else "prior")
        self.kind_combo.setCurrentIndex(self.kind_combo.findData(kind))
        self.latent_spin.setValue(cfg.latent_dim)
        self.prior_check.setChecked(cfg.label_prior)
        self.fit_prior_check.setChecked(cfg.fitted_prior)
        self.refine_spin.setValue(cfg.refine_layers)
        self.context_check.setChecked(bool(cfg.pixel_context))
        self.seed_spin.setValue(cfg.seed)

    def _enable_options(self) -> None:
        """Options that only some models take are enabled only for those; a continued model's
        architecture is fixed (a fitted prior stays fitted)."""
        conditional = self.kind_combo.currentData() != "none"
        prior_only = self.kind_combo.currentData() == "prior"  # the label enters the model nowhere else
        if prior_only:
            self.prior_check.setChecked(True)
        fixed = self.continuing
        for w in (self.arch_combo, self.kind_combo, self.latent_spin, self.seed_spin, self.recipe_button):
            w.setEnabled(not fixed)
        self.classifier_spin.setEnabled(conditional)
        self.prior_check.setEnabled(conditional and not fixed and not prior_only)
        self.fit_prior_check.setEnabled(conditional and self.prior_check.isChecked()
                                        and not (fixed and self.active_model[1].fitted_prior))
        self.refine_spin.setEnabled(self.arch_combo.currentData() == "deepconv" and not fixed)
        # A continued model may gain the head, not lose it (config.GROWABLE_FIELDS).
        self.context_check.setEnabled(self.arch_combo.currentData() == "deepconv"
                                      and not (fixed and self.active_model[1].pixel_context))

    def _pixel_context(self) -> int:
        on = self.arch_combo.currentData() == "deepconv" and self.context_check.isChecked()
        return PIXEL_CONTEXT_CHANNELS if on else 0

    def _show_default_schedule(self) -> None:
        default = DEFAULT_LR_SCHEDULE[self.arch_combo.currentData()]
        self.schedule_combo.setItemText(0, f"Default for the architecture ({default})")

    def _training_settings(self, conditional: bool) -> dict:
        """The settings of how to train, which a new model and a continued one both take from the form."""
        return dict(
            epochs=self.epochs_spin.value(), batch_size=self.batch_spin.value(), learning_rate=self.lr_spin.value(),
            lr_schedule=self.schedule_combo.currentData(), beta=self.beta_spin.value(),
            train_noise=self.noise_spin.value(), classifier_weight=self.classifier_spin.value() if conditional else 0.0,
            train_shift=self.shift_spin.value(), train_rotate=self.rotate_spin.value(),
            train_scale=self.scale_spin.value(), train_blur=self.blur_spin.value(),
            train_styles=self.styles_spin.value(), train_pens=self.pens_spin.value(),
            fitted_prior=conditional and self.prior_check.isChecked() and self.fit_prior_check.isChecked(),
            name=self.name_edit.text().strip() or "My model")

    def config(self) -> ModelConfig:
        kind = self.kind_combo.currentData()
        conditional = kind != "none"
        if self.continuing:
            return self.active_model[1].continued(
                pixel_context=self.active_model[1].pixel_context or self._pixel_context(),  # a head stays as it is
                **self._training_settings(conditional))
        return ModelConfig(
            arch=self.arch_combo.currentData(), conditional=conditional, label_in_encoder=kind == "both",
            label_in_decoder=kind != "prior", latent_dim=self.latent_spin.value(),
            label_prior=conditional and (self.prior_check.isChecked() or kind == "prior"),
            refine_layers=self.refine_spin.value() if self.arch_combo.currentData() == "deepconv" else 0,
            pixel_context=self._pixel_context(), seed=self.seed_spin.value(), **self._training_settings(conditional))

    # -- running -------------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.isRunning()

    def start(self) -> None:
        try:
            cfg = self.config()
        except ValueError as e:
            self.status.setText(f"<b>Cannot train:</b> {e}")
            return
        data_path = self._data_source()
        if data_path == "":
            self.status.setText("<b>Choose an .npz file</b>, or the sample or MNIST.")
            return
        try:
            self.models_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            self.status.setText(f"<b>Cannot create {self.models_dir}:</b> {e.strerror or e}")
            return
        out = self.models_dir / f"{_slug(cfg.name)}-{time.strftime('%Y%m%d-%H%M%S')}.keras"
        self._save_settings(cfg)
        self._launch(TrainingWorker(cfg, data_path, out, init_from=self.active_model[0] if self.continuing else None))

    def refresh_interrupted(self) -> None:
        """Show the newest interrupted training in the models folder, if there is one."""
        self.interrupted = checkpoint.find_interrupted(self.models_dir)
        if self.interrupted:
            path, state = self.interrupted[0]
            cfg = state.config
            more = f" (and {len(self.interrupted) - 1} more)" if len(self.interrupted) > 1 else ""
            bound = state.history.get("val_loss") or []
            last = f", validation −ELBO {bound[-1]:.1f} nats" if bound else ""
            self.interrupted_label.setText(
                f"<b>Interrupted:</b> “{cfg.get('name') or checkpoint.model_path(path).stem}”, "
                f"{state.epochs_done} of {plural(state.epochs, 'epoch')} done{last}{more}.")
            self.interrupted_label.setToolTip(str(path))
        self.interrupted_bar.setVisible(bool(self.interrupted) and not self.running)

    def resume(self) -> None:
        """Continue the newest interrupted training with its own settings and data; the form shows them."""
        if self.running or not self.interrupted:
            return
        path, state = self.interrupted[0]
        try:
            cfg = ModelConfig.from_dict(state.config)
        except (TypeError, ValueError) as e:
            self.status.setText(f"<b>Cannot resume:</b> its settings are invalid ({e}).")
            return
        self.start_combo.setCurrentIndex(0)
        self._fill_form(cfg)
        self.epochs_spin.setValue(min(cfg.epochs, self.epochs_spin.maximum()))
        self.name_edit.setText(cfg.name)
        data_path = state.notes.get("data_path")
        self._show_data_source(data_path)
        self._enable_options()
        self._launch(TrainingWorker(cfg, data_path, checkpoint.model_path(path),
                                    init_from=state.notes.get("init_from"), resume=True))

    def discard_interrupted(self) -> None:
        if self.running or not self.interrupted:
            return
        path, state = self.interrupted[0]
        answer = QMessageBox.question(
            self, "Discard the interrupted training?",
            f"Delete the checkpoint of “{state.config.get('name') or path.name}” ({state.epochs_done} of "
            f"{plural(state.epochs, 'epoch')} done)? It cannot be resumed afterwards.")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            path.unlink()
        except FileNotFoundError:
            pass
        except OSError as e:
            self.status.setText(f"<b>Could not delete {path.name}:</b> {e.strerror or e}")
        self.refresh_interrupted()

    def _data_source(self) -> str | None:
        """What the training loads (data.load_data): SAMPLE_ARGUMENT, a file ("" if none is given), None: MNIST."""
        if self.sample_radio.isChecked():
            return SAMPLE_ARGUMENT
        return self.file_edit.text().strip() if self.file_radio.isChecked() else None

    def _show_data_source(self, source: str | None) -> None:
        radio = {SAMPLE_ARGUMENT: self.sample_radio, None: self.mnist_radio}.get(source, self.file_radio)
        radio.setChecked(True)
        if radio is self.file_radio:
            self.file_edit.setText(source or "")

    def _save_settings(self, cfg: ModelConfig) -> None:
        """Remember the form and the data for the next time the dialog opens, in this or a later session."""
        if self.settings is None:
            return
        self.settings.setValue(SETTINGS_FORM, json.dumps(cfg.to_dict()))
        source = self._data_source()
        self.settings.setValue(SETTINGS_DATA, "mnist" if source is None else source)
        self.settings.sync()

    def _restore_settings(self) -> None:
        if self.settings is None:
            return
        try:
            cfg = ModelConfig.from_dict(json.loads(str(self.settings.value(SETTINGS_FORM, "") or "{}")))
        except (TypeError, ValueError, json.JSONDecodeError):
            cfg = None  # never saved, or damaged: the defaults stay
        if cfg is not None and self.settings.value(SETTINGS_FORM):
            self._fill_form(cfg)
            self.epochs_spin.setValue(min(max(cfg.epochs, 1), self.epochs_spin.maximum()))
            self.name_edit.setText(cfg.name or self.name_edit.text())
            self._enable_options()
        data = self.settings.value(SETTINGS_DATA)
        if isinstance(data, str) and data:
            self._show_data_source(None if data == "mnist" else data)

    def _launch(self, w: "TrainingWorker") -> None:
        self.result_path = None
        self.time_left = TimeLeft()
        self.last_progress, self.epoch_reports = None, []
        self.worker = w
        w.progress.connect(self._on_progress)
        size = self.curves.size().expandedTo(self.curves.minimumSize())  # not yet laid out: its minimum
        w.plot_size = (size.width() / 100, size.height() / 100)
        w.epoch_done.connect(self._on_epoch)
        w.curves_ready.connect(self._on_curves)
        w.phase.connect(self.status.setText)
        w.device.connect(lambda d: self.setWindowTitle(f"Train new model — on {d}"))
        w.succeeded.connect(self._on_success)
        w.failed.connect(self._on_failure)
        w.cancelled.connect(self._on_cancelled)
        w.finished.connect(self._on_finished)
        self._set_running(True)
        self.progress.setValue(0)
        self.curves.setText("The loss curves appear after the first epoch.")
        w.start()

    def cancel(self) -> None:
        if self.running:
            # The training stops between batches and then cleans up, which takes a few seconds.
            self.status.setText("<b>Stopping…</b> The current batch finishes first; nothing will be saved.")
            self.cancel_button.setEnabled(False)
            self.worker.cancel()

    def _set_running(self, on: bool) -> None:
        self.train_button.setEnabled(not on)
        self.cancel_button.setEnabled(on)
        for w in self.findChildren(QWidget):
            if isinstance(w, (QSpinBox, QDoubleSpinBox, QComboBox, QLineEdit, QRadioButton, QCheckBox)):
                w.setEnabled(not on)
        self.browse_button.setEnabled(not on)  # the data of a running training cannot change
        self.recipe_button.setEnabled(not on)
        self.interrupted_bar.setVisible(bool(self.interrupted) and not on)
        if not on:
            self._enable_options()

    def _on_progress(self, p) -> None:
        self.last_progress = p
        self.progress.setValue(int(1000 * p.fraction))
        if self.worker is not None and self.worker.cancelling:
            return  # "Stopping…" stays up until the training has stopped
        seconds = self.time_left.update(p)
        left = "" if math.isinf(seconds) else f" · about {duration(seconds)} left"
        self.status.setText(f"Epoch {p.epoch + 1}/{p.epochs} · batch {p.step}/{p.steps} · loss {p.loss:.1f}{left}")

    def _on_curves(self, rgba: np.ndarray) -> None:
        h, w = rgba.shape[:2]
        self.curves.set_picture(QPixmap.fromImage(QImage(rgba.data, w, h, 4 * w, QImage.Format.Format_RGBA8888).copy()))

    def _on_epoch(self, report) -> None:
        self.epoch_reports.append(report)
        if report.previews is not None:
            self.previews.set_images(report.previews, cols=5)  # two rows: twice the size of one row of ten

    def _on_success(self, path: str, meta: dict) -> None:
        self.result_path = path
        m = meta["metrics"]
        acc = "n/a (plain VAE)" if m["accuracy"] is None else f"{m['accuracy']:.2%}"
        noisy = "".join(f", {a:.2%} at noise σ={s}" for s, a in m.get("noise", {}).items())
        per_class = m.get("per_class_accuracy")
        if per_class:  # the full confusion matrix is in the report and Compare models
            weakest = int(np.nanargmin(per_class))
            noisy += f"; weakest digit {weakest} ({per_class[weakest]:.1%})"
        self.progress.setValue(1000)
        self.status.setText(f"<b>Done.</b> Test −ELBO {m['neg_elbo']:.1f} nats, accuracy {acc}{noisy}. "
                            f"Saved to {path}")
        activate = QMessageBox.question(
            self, "Training finished",
            f"Test −ELBO {m['neg_elbo']:.1f} nats, accuracy {acc}{noisy}.\n\nUse the new model now?",
        ) == QMessageBox.StandardButton.Yes
        self.model_trained.emit(path, activate)

    def _kept(self) -> str:
        """What the run that just ended left to resume, as a sentence."""
        try:
            state = checkpoint.read_state(checkpoint.checkpoint_path(self.worker.out))
        except checkpoint.CheckpointError:
            return ""
        return (f" {plural(state.epochs_done, 'finished epoch').capitalize()} kept: Resume goes on from there."
                if state.epochs_done else "")

    def _on_failure(self, message: str) -> None:
        self.status.setText(f"<b>Training failed:</b> {message} No model was saved; the active model is unchanged."
                            + self._kept())

    def _on_cancelled(self) -> None:
        self.status.setText("Training cancelled. No model was saved; the active model is unchanged." + self._kept())
        self.progress.setValue(0)

    def _on_finished(self) -> None:
        self.refresh_interrupted()
        self._set_running(False)

    def stop_and_wait(self) -> None:
        if self.running:
            self.worker.cancel()
            self.worker.wait()

    def confirm_stop(self) -> bool:
        """Ask before throwing away a running training; True if it is fine to close."""
        if not self.running:
            return True
        answer = QMessageBox.question(self, "Stop training?", "A model is training. Stop it? No model will be "
                                      "saved; its finished epochs are kept, and this dialog can resume it later.")
        if answer != QMessageBox.StandardButton.Yes:
            return False
        self.stop_and_wait()
        return True

    def closeEvent(self, e) -> None:
        if self.confirm_stop():
            e.accept()
        else:
            e.ignore()

    def reject(self) -> None:  # Escape
        if self.confirm_stop():
            super().reject()
