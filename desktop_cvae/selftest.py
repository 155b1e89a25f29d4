"""`desktop-cvae --self-test`: proves a build works without a person. Loads the default model,
recognises a bundled sample digit, starts a child process as training does, opens and closes the main
window offscreen, prints one JSON line."""

from __future__ import annotations

import json
import os
import sys
import time


def run() -> int:
    start = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result: dict = {"ok": False}
    try:
        import numpy as np

        from .catalog import default_model_path
        from .data import load_sample
        from .engine import Engine

        engine = Engine.load(default_model_path())
        sample = load_sample()
        picks = [int(np.flatnonzero(sample.y_test == c)[0]) for c in range(10)]
        labels = [engine.analyze(sample.x_test[i] / 255.0).recognised for i in picks]
        correct = sum(int(p == sample.y_test[i]) for p, i in zip(labels, picks))
        result.update(model=str(default_model_path().name), recognised=labels, correct=correct)

        from .train_process import check_child_process

        check_child_process()  # the training dialog trains in a spawned process: prove the build can start one
        result["training_process"] = "ok"

        from .gui.app import make_application
        from .gui.main_window import MainWindow
        from PySide6.QtCore import QSettings

        app = make_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
        settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "desktop-cvae-selftest")
        window = MainWindow(settings=settings)
        window.show()
        app.processEvents()
        result["window_title"] = window.windowTitle()
        window.close()
        app.processEvents()
        result["ok"] = correct >= 9 and "Desktop CVAE" in result["window_title"]
    except Exception as e:  # a self-test reports, it does not crash
        result["error"] = f"{type(e).__name__}: {e}"
    result["seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1
