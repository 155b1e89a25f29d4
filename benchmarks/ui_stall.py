"""The main thread's longest stall while the training dialog trains a model.

    QT_QPA_PLATFORM=offscreen python benchmarks/ui_stall.py [--data NPZ] [--arch deepconv] [--epochs 1] [--json]

A 5 ms QTimer on the UI thread records the gap between its ticks; a stall is a gap beyond the 5 ms.
Training runs exactly as the dialog runs it (a child process watched by TrainingWorker, per-batch
progress, per-epoch plots).
"""

import argparse
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", help="MNIST-format .npz (default: the shipped sample)")
    p.add_argument("--arch", default="deepconv")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    import numpy as np
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QMessageBox

    from desktop_cvae.gui.app import make_application
    from desktop_cvae.gui.training_dialog import TrainingDialog
    from desktop_cvae.resources import resource_path

    app = make_application(["ui_stall"])  # noqa: F841 (kept alive: the dialog needs its QApplication)
    # In the app TensorFlow is already loaded in this process (the main window loads a model at start);
    # load it here too, so the measurement includes whatever that costs while a child process trains.
    import desktop_cvae.engine  # noqa: F401
    QMessageBox.question = staticmethod(lambda *x, **k: QMessageBox.StandardButton.No)  # no one to answer
    with tempfile.TemporaryDirectory() as tmp:
        dialog = TrainingDialog(tmp)
        dialog.show()
        dialog.arch_combo.setCurrentIndex(dialog.arch_combo.findData(a.arch))
        dialog.epochs_spin.setValue(a.epochs)
        dialog.batch_spin.setValue(a.batch_size)
        dialog.file_radio.setChecked(True)
        dialog.file_edit.setText(a.data or str(resource_path("mnist_sample.npz")))
        gaps = []
        clock = QElapsedTimer()
        clock.start()
        last = [clock.nsecsElapsed()]

        def tick():
            now = clock.nsecsElapsed()
            gaps.append((now - last[0]) / 1e6)
            last[0] = now

        timer = QTimer()
        timer.setInterval(5)
        timer.timeout.connect(tick)
        timer.start()
        loop = QEventLoop()
        dialog.train_button.click()
        dialog.worker.finished.connect(loop.quit)
        start = time.perf_counter()
        loop.exec()  # the real event loop, as in the app
        timer.stop()
        seconds = time.perf_counter() - start
        stalls = np.array(gaps[5:]) - 5.0  # the first ticks include the dialog's own start-up
        result = {"max_stall_ms": round(float(stalls.max()), 1), "p99_stall_ms": round(float(np.percentile(stalls, 99)), 1),
                  "ticks": len(gaps), "training_seconds": round(seconds, 1), "arch": a.arch, "epochs": a.epochs,
                  "batches": dialog.last_progress.steps * a.epochs if dialog.last_progress else 0,
                  "status": dialog.status.text()[:120]}
        dialog.close()
    print(json.dumps(result) if a.json else
          f"longest UI-thread stall during training: {result['max_stall_ms']} ms (p99 {result['p99_stall_ms']} ms) "
          f"over {result['training_seconds']} s of training, {result['ticks']} timer ticks")


if __name__ == "__main__":
    sys.exit(main())
