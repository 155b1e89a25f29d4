"""Compare models…: two or more models side by side (curves, latent spaces, reconstructions, metrics,
accuracy against noise), and the comparison exported as a report."""

from __future__ import annotations

import threading
from pathlib import Path

from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg, NavigationToolbar2QT
from PySide6.QtCore import QThread, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView, QCheckBox, QDialog, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem,
    QPushButton, QTableWidget, QTableWidgetItem, QTabWidget, QVBoxLayout, QWidget,
)

from ..catalog import list_models
from .views import fit_to_screen

SEED_PAIR = ("seed-conv-cvae.keras", "seed-mlp-cvae.keras")  # seed 001's experiment


class CompareWorker(QThread):
    progress = Signal(str)
    done = Signal(object)  # report.Comparison
    failed = Signal(str)

    def __init__(self, paths: list[str], full_mnist: bool, parent=None):
        super().__init__(parent)
        self.paths, self.full_mnist = paths, full_mnist
        self._stop = threading.Event()

    def cancel(self) -> None:
        self._stop.set()

    def run(self) -> None:
        from ..data import DataError, load_mnist, load_sample
        from ..report import compare
        from ..storage import ModelFileError

        try:
            data = load_mnist() if self.full_mnist else load_sample()
            comp = compare(self.paths, data, progress=lambda i, n, name: self.progress.emit(
                f"Measuring {name} ({i + 1} of {n}) on {len(data.x_test):,} test digits…"), should_stop=self._stop.is_set)
        except (DataError, ModelFileError) as e:
            self.failed.emit(str(e))
        except Exception as e:  # never let the thread die silently
            self.failed.emit(f"Comparison failed ({type(e).__name__}: {e})")
        else:
            if not self._stop.is_set():
                self.done.emit(comp)


class CompareDialog(QDialog):
    def __init__(self, models_dir: Path, parent=None):
        super().__init__(parent)
        self.setWindowTitle("Compare models")
        self.models_dir = models_dir
        self.worker: CompareWorker | None = None
        self.comparison = None
        self.model_list = QListWidget()
        self.model_list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.seed_button = QPushButton("Seed 001: convolutional vs multilayer CVAE")
        # Short enough for the narrow column; a check box cannot wrap its text.
        self.full_check = QCheckBox("Full MNIST test set (slower)")
        self.full_check.setToolTip("All 10,000 MNIST test digits (Keras cache). Unticked: the 1,000 test digits "
                                   "shipped with the app.")
        self.compare_button = QPushButton("Compare")
        self.export_button = QPushButton("Export report…")
        self.export_button.setEnabled(False)
        self.status = QLabel("Tick two or more models and press Compare.")
        self.status.setWordWrap(True)
        self.tabs = QTabWidget()
        self.table = QTableWidget()
        self.seed_button.clicked.connect(self.select_seed_pair)
        self.compare_button.clicked.connect(self.run_comparison)
        self.export_button.clicked.connect(self.export_dialog)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Models</b>"))
        left.addWidget(self.model_list, 1)
        left.addWidget(self.seed_button)
        left.addWidget(self.full_check)
        left.addWidget(self.compare_button)
        left.addWidget(self.export_button)
        left.addWidget(self.status)
        lw = QWidget()
        lw.setLayout(left)
        lw.setFixedWidth(360)  # wide enough for the model names, whatever the other widgets ask for
        h = QHBoxLayout(self)
        h.addWidget(lw)
        h.addWidget(self.tabs, 1)
        fit_to_screen(self, 1280, 760)
        self.refresh_models()

    def refresh_models(self) -> None:
        self.model_list.clear()
        for entry in list_models(self.models_dir):
            item = QListWidgetItem(f"{entry.name}\n{entry.summary}")
            item.setData(Qt.ItemDataRole.UserRole, str(entry.path))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Unchecked)
            self.model_list.addItem(item)

    def checked_paths(self) -> list[str]:
        items = (self.model_list.item(i) for i in range(self.model_list.count()))
        return [it.data(Qt.ItemDataRole.UserRole) for it in items if it.checkState() == Qt.CheckState.Checked]

    def select_seed_pair(self) -> None:
        for i in range(self.model_list.count()):
            it = self.model_list.item(i)
            on = Path(it.data(Qt.ItemDataRole.UserRole)).name in SEED_PAIR
            it.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
        self.run_comparison()

    def run_comparison(self) -> None:
        paths = self.checked_paths()
        if len(paths) < 2:
            self.status.setText("Tick at least two models.")
            return
        if self.worker is not None and self.worker.isRunning():
            return
        self.compare_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self.status.setText("Starting…")
        self.worker = w = CompareWorker(paths, self.full_check.isChecked())
        w.progress.connect(self.status.setText)
        w.done.connect(self.show_comparison)
        w.failed.connect(lambda m: self.status.setText(f"<b>Could not compare:</b> {m}"))
        w.finished.connect(lambda: self.compare_button.setEnabled(True))
        w.start()

    def show_comparison(self, comp) -> None:
        from ..report import FIGURES, metrics_rows

        self.comparison = comp
        self.tabs.clear()
        rows = metrics_rows(comp)
        headers = ["model", "arch", "type", "z", "parameters", "s/epoch", "test −ELBO", "accuracy", "accuracy σ=0.3",
                   "ECE", "ECE σ=0.3"]
        keys = ["model", "arch", "type", "latent_dim", "params", "epoch_seconds", "neg_elbo", "accuracy",
                "accuracy_noise_0.3", "ece", "ece_noise_0.3"]
        self.table = QTableWidget(len(rows), len(headers))
        self.table.setHorizontalHeaderLabels(headers)
        for r, row in enumerate(rows):
            for c, k in enumerate(keys):
                v = row[k]
                text = ("—" if v is None else f"{100 * v:.2f} %" if k.startswith(("accuracy", "ece")) else
                        f"{v:.2f}" if isinstance(v, float) else f"{v:,}" if isinstance(v, int) else str(v))
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.tabs.addTab(self.table, "Metrics")
        names = {"loss_curves": "Loss curves", "latent": "Latent spaces", "reconstructions": "Reconstructions",
                 "noise_accuracy": "Accuracy vs noise", "calibration": "Calibration", "generated": "Generated",
                 "traversal": "Traversal", "confusion": "Confusion"}
        for key, make in FIGURES.items():
            canvas = FigureCanvasQTAgg(make(comp))
            tab = QWidget()
            v = QVBoxLayout(tab)
            v.addWidget(NavigationToolbar2QT(canvas, tab))
            v.addWidget(canvas, 1)
            self.tabs.addTab(tab, names[key])
        self.export_button.setEnabled(True)
        self.status.setText(f"Compared {len(comp.models)} models on {comp.n_test:,} test digits ({comp.data_source}).")

    def export_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Export the report into a folder")
        if folder:
            self.export(folder)

    def export(self, folder: str) -> Path | None:
        from ..report import write_report

        try:
            md = write_report(self.comparison, folder)
        except OSError as e:
            self.status.setText(f"<b>Could not export:</b> {e.strerror or e}")
            return None
        self.status.setText(f"Report written to {md}")
        return md

    def stop_and_wait(self) -> None:
        if self.worker is not None and self.worker.isRunning():
            self.worker.cancel()
            self.worker.wait()

    def closeEvent(self, e) -> None:
        self.stop_and_wait()
        super().closeEvent(e)
