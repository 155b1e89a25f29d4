"""GUI soak: a seeded random sequence of user actions on the real main window.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_soak.py --actions 10000 [--json]

Actions: draw, clear, undo, redo, noise, re-roll, label, open good and bad files, paste, switch models,
latent clicks, tabs. Counts exceptions raised in Qt callbacks, checks that no thread is left behind
when the window closes, and samples memory (RSS) as it goes.
"""

import argparse
import json
import os
import random
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def soak(n_actions: int, seed: int = 0, files_dir: str | None = None, log=None) -> dict:
    import numpy as np
    from PIL import Image
    from PySide6.QtCore import QPointF, QSettings, Qt
    from PySide6.QtGui import QMouseEvent
    from PySide6.QtWidgets import QApplication

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    import hostile
    from desktop_cvae.catalog import list_models
    from desktop_cvae.data import load_sample
    from desktop_cvae.gui.app import make_application
    from desktop_cvae.gui.main_window import MainWindow
    from desktop_cvae.gui.worker import InferenceWorker

    app = make_application(["soak"])
    errors: list[str] = []
    old_hook = sys.excepthook
    sys.excepthook = lambda *exc: errors.append("".join(traceback.format_exception(*exc)))
    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory()
    folder = Path(files_dir or tmp.name)
    bad = [str(p) for p, expect in hostile.make_all(folder / "hostile").values() if expect == "error"]
    sample = load_sample()
    good = []
    for i in range(0, 1000, 97):
        p = folder / f"good-{i}.png"
        Image.fromarray(255 - sample.x_test[i]).resize((140, 140)).save(p)
        good.append(str(p))
    models = [str(e.path) for e in list_models() if e.shipped]
    settings = QSettings(str(folder / "soak.ini"), QSettings.Format.IniFormat)
    w = MainWindow(settings=settings, models_dir=folder / "models")
    w.show()
    w.load_model(models[0])
    deadline = time.time() + 120
    while not w.worker.has_model and time.time() < deadline:
        app.processEvents()
        time.sleep(0.01)

    def mouse(kind, x, y):
        button = Qt.MouseButton.LeftButton if kind != QMouseEvent.Type.MouseMove else Qt.MouseButton.NoButton
        ev = QMouseEvent(kind, QPointF(x, y), w.canvas.mapToGlobal(QPointF(x, y)), button,
                         Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
        QApplication.sendEvent(w.canvas, ev)

    def draw():
        pts = [(rng.uniform(20, 260), rng.uniform(20, 260)) for _ in range(rng.randint(2, 12))]
        mouse(QMouseEvent.Type.MouseButtonPress, *pts[0])
        for p in pts[1:]:
            mouse(QMouseEvent.Type.MouseMove, *p)
        mouse(QMouseEvent.Type.MouseButtonRelease, *pts[-1])

    def latent_click():
        if w.worker.latent is not None:
            pts = w.worker.latent.points
            x = rng.uniform(float(pts[:, 0].min()), float(pts[:, 0].max()))
            y = rng.uniform(float(pts[:, 1].min()), float(pts[:, 1].max()))
            w.latent_tab.plot.point_clicked.emit(x, y)

    def paste():
        img = Image.open(rng.choice(good)).convert("RGB")
        from PySide6.QtGui import QImage

        a = np.asarray(img)
        QApplication.clipboard().setImage(QImage(a.data, a.shape[1], a.shape[0], 3 * a.shape[1],
                                                 QImage.Format.Format_RGB888).copy())
        w.paste_image()

    actions = [
        (30, draw), (4, w.canvas.clear), (6, w.canvas.undo), (3, w.canvas.redo),
        (5, lambda: w.model_panel.sigma_slider.setValue(rng.randint(0, 100))), (3, lambda: w.model_panel.sp_slider.setValue(rng.randint(0, 50))),
        (3, w.state.reroll_noise), (5, lambda: w.model_panel.label_combo.setCurrentIndex(rng.randint(0, 10))),
        (4, lambda: w.open_image_file(rng.choice(good))), (4, lambda: w.open_image_file(rng.choice(bad))),
        (2, paste), (0.4, lambda: w.load_model(rng.choice(models))), (5, latent_click),
        (2, w.state.reroll_samples), (3, lambda: w.tabs.setCurrentIndex(rng.randint(0, w.tabs.count() - 1))),
        (2, lambda: w.input_panel.brush.setValue(rng.randint(4, 48))), (1, lambda: w.input_panel.eraser_button.toggle()),
    ]
    weights = [a[0] for a in actions]
    memory = [(0, rss_mb())]
    start = time.perf_counter()
    for i in range(1, n_actions + 1):
        rng.choices(actions, weights)[0][1]()
        app.processEvents()
        if i % 50 == 0:  # let the worker catch up now and then, as a person pauses
            end = time.time() + 0.05
            while time.time() < end:
                app.processEvents()
                time.sleep(0.005)
        if i % 1000 == 0:
            memory.append((i, rss_mb()))
            if log:
                log(f"{i} actions, RSS {memory[-1][1]:.0f} MB, {len(errors)} exceptions")
    w.close()
    app.processEvents()
    seconds = time.perf_counter() - start
    leaked = [x for x in InferenceWorker.instances if x.isRunning()]
    extra_threads = [t.name for t in threading.enumerate()
                     if t is not threading.main_thread() and not isinstance(t, threading._DummyThread) and not t.daemon]
    sys.excepthook = old_hook
    tmp.cleanup()
    base = memory[min(1, len(memory) - 1)][1]  # after the first 1,000 actions: caches are warm
    return {"actions": n_actions, "seconds": round(seconds, 1), "exceptions": len(errors),
            "first_exceptions": errors[:3], "leaked_workers": len(leaked), "leftover_threads": extra_threads,
            "rss_mb": [(i, round(m)) for i, m in memory], "rss_growth_after_warmup_mb": round(memory[-1][1] - base, 1)}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--actions", type=int, default=10_000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    result = soak(a.actions, a.seed, log=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result) if a.json else json.dumps(result, indent=1))
    return 0 if result["exceptions"] == 0 and result["leaked_workers"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
