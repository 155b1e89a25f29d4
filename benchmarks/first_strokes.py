"""How soon the app answers strokes made just after a model loads, while it warms the model up.

    QT_QPA_PLATFORM=offscreen python benchmarks/first_strokes.py [--runs 3] [--threads 1] [--json]

A window is opened (fresh settings) and the default model loaded. The moment the model is loaded, a stroke is
drawn; then another every 0.25 s for 5 s, each after the answer to the one before, as a person drawing does.
Then the person pauses for 1.5 s (the app starts warming the model up) and draws on for 10 s. Prints, per run,
the seconds from asking for the model to the first stroke's answer, the longest wait of a stroke while drawing
on, and the longest wait after the pause. The first run includes importing TensorFlow. --threads 1 gives
TensorFlow one thread, as each test process has (tests/conftest.py).
"""

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def one_run(app) -> dict:
    import numpy as np
    from PySide6.QtCore import QSettings

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.gui.main_window import MainWindow

    def wait_for(condition, limit=120.0):
        end = time.perf_counter() + limit
        while not condition():
            if time.perf_counter() > end:
                raise TimeoutError("no answer")
            app.processEvents()
            time.sleep(0.002)

    with tempfile.TemporaryDirectory() as home:
        w = MainWindow(settings=QSettings(str(Path(home) / "s.ini"), QSettings.Format.IniFormat),
                       models_dir=Path(home) / "models")
        w.show()
        loaded = []
        w.worker.model_loaded.connect(loaded.append)
        start = time.perf_counter()
        w.load_model(str(default_model_path()))
        wait_for(lambda: loaded)
        stroke = np.zeros((280, 280), np.float32)
        stroke[50:240, 135:145] = 1.0  # a 1
        w.canvas.set_image(stroke)
        wait_for(lambda: w._shown_id == w._request_id)
        first = time.perf_counter() - start
        k = 0

        def idle(seconds):
            end = time.perf_counter() + seconds
            while time.perf_counter() < end:
                app.processEvents()
                time.sleep(0.01)

        def draw_for(seconds) -> float:
            nonlocal k
            longest, until = 0.0, time.perf_counter() + seconds
            while time.perf_counter() < until:
                k += 1
                stroke[60 + k % 150, 100:180] = 1.0  # the stroke grows: each is a new input
                asked = time.perf_counter()
                w.canvas.set_image(stroke)
                wait_for(lambda: w._shown_id == w._request_id)
                longest = max(longest, time.perf_counter() - asked)
                idle(0.25)
            return longest

        drawing = draw_for(5.0)
        idle(1.5)
        after_pause = draw_for(10.0)
        w.close()
        return {"first_answer_s": round(first, 2), "longest_wait_drawing_s": round(drawing, 2),
                "longest_wait_after_pause_s": round(after_pause, 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="TensorFlow threads (0: its own choice)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if args.threads:
        os.environ["TF_NUM_INTRAOP_THREADS"] = os.environ["TF_NUM_INTEROP_THREADS"] = str(args.threads)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    runs = [one_run(app) for _ in range(args.runs)]
    if args.json:
        print(json.dumps({"threads": args.threads, "runs": runs}))
    else:
        for r in runs:
            print(f"first answer {r['first_answer_s']:.2f} s after the load was asked; longest wait drawing on "
                  f"{r['longest_wait_drawing_s']:.2f} s, after a pause {r['longest_wait_after_pause_s']:.2f} s")


if __name__ == "__main__":
    main()
