"""`desktop-cvae --self-test`: proves a build works without a person. Loads the default model,
recognises a bundled sample digit, starts a child process as training does, opens and closes the main
window offscreen, prints one JSON line. Also opens a PNG, a JPEG, a HEIC and an AVIF of a digit the way a
person's file is opened, so a build whose image decoders are broken (or missing: libheif, libavif) fails too,
and reads the ten digits side by side as one number."""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time


def run() -> int:
    start = time.perf_counter()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    result: dict = {"ok": False}
    try:
        from .tensorflow_loader import load_tensorflow

        load_tensorflow()
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
        result["files"] = _recognise_files(engine, sample.x_test[picks[7]])
        result["number"] = _read_number(engine, sample.x_test[picks])

        from .train_process import check_child_process

        check_child_process()  # the training dialog trains in a spawned process: prove the build can start one
        result["training_process"] = "ok"

        from PySide6.QtCore import QSettings

        from .gui.app import make_application
        from .gui.main_window import MainWindow

        app = make_application([sys.argv[0], "-platform", os.environ["QT_QPA_PLATFORM"]])
        settings = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "desktop-cvae-selftest")
        window = MainWindow(settings=settings)
        window.show()
        app.processEvents()
        result["window_title"] = window.windowTitle()
        window.close()
        app.processEvents()
        result["ok"] = (correct >= 9 and "Desktop CVAE" in result["window_title"]
                        and result["files"] == {fmt: 7 for fmt in PICTURE_FORMATS}
                        and len(result["number"]) == 10
                        and sum(a == b for a, b in zip(result["number"], "0123456789")) >= 9)
    except Exception as e:  # a self-test reports, it does not crash
        result["error"] = f"{type(e).__name__}: {e}"
    result["seconds"] = round(time.perf_counter() - start, 2)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


PICTURE_FORMATS = ("png", "jpeg", "heic", "avif")


def _recognise_files(engine, digit) -> dict:
    """A shipped 7 as dark ink on paper, saved in each of PICTURE_FORMATS and opened like a person's file."""
    from PIL import Image

    from .numbers.digit import normalize_file
    from .vision import imageio  # noqa: F401  (registers HEIC with Pillow, for saving as well)

    paper = Image.fromarray(255 - digit).resize((112, 112)).convert("RGB")
    found = {}
    with tempfile.TemporaryDirectory() as folder:
        for fmt in PICTURE_FORMATS:
            path = os.path.join(folder, f"seven.{fmt}")
            paper.save(path)
            found[fmt] = engine.analyze(normalize_file(path).pixels).recognised
    return found


def _read_number(engine, digits) -> str:
    """The ten shipped digits 0-9 side by side, dark ink on paper, saved as a PNG and read as one number."""
    import numpy as np
    from PIL import Image

    from .numbers import read_number_file

    gap = np.zeros((28, 8), np.uint8)
    row = np.concatenate([np.concatenate([d, gap], axis=1) for d in digits], axis=1)
    paper = Image.fromarray(255 - np.pad(row, 20)).resize((row.shape[1] * 4 + 160, 272))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "number.png")
        paper.save(path)
        return read_number_file(path, engine).number
