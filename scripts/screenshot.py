"""Screenshot of the real main window with a digit drawn, for the README.

    xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshot.py docs/screenshot.png [--tab N] [--picture FILE]
    xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshot.py docs/number.png --number --picture FILE
    xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshot.py docs/explain.png --tab 3 --index 12
    xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshot.py docs/interpolation.png --tab 4 --index 14 --interpolate-to 8
    xvfb-run -s "-screen 0 1400x900x24" python scripts/screenshot.py docs/latent-grid.png --tab 5 --index 12

Draws a shipped sample digit as strokes would (dark ink on paper), or opens a picture file as a person
would, waits for the model's answer, then grabs the window.
"""

import argparse
import sys
import time

import numpy as np
from PIL import Image


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--tab", type=int, default=2)
    p.add_argument("--index", type=int, default=7, help="which shipped test digit to draw")
    p.add_argument("--sigma", type=float, default=0.0)
    p.add_argument("--picture", help="open this image file instead of drawing")
    p.add_argument("--number", action="store_true", help="Number mode: read the picture as a whole number")
    p.add_argument("--digit", type=int, help="in Number mode, show this digit (from 0) in the panels")
    p.add_argument("--interpolate-to", type=int, metavar="INDEX",
                   help="take the drawn digit as the interpolation's A, then draw shipped test digit INDEX as B")
    a = p.parse_args()

    from PySide6.QtCore import QSettings

    from desktop_cvae.gui.app import make_application
    from desktop_cvae.gui.main_window import MainWindow

    app = make_application(sys.argv[:1])
    settings = QSettings("/tmp/desktop-cvae-screenshot.ini", QSettings.Format.IniFormat)
    settings.clear()
    w = MainWindow(settings=settings)
    w.resize(1360, 820)
    w.show()
    w.start()
    deadline = time.time() + 60
    while not w.worker.has_model and time.time() < deadline:
        app.processEvents()
        time.sleep(0.02)
    if a.number:
        w.state.set_mode("number")
    if a.picture:
        w.open_image_file(a.picture)
    else:
        draw(w, a.index)
    if a.interpolate_to is not None:
        wait(app, 3)
        w.set_interpolation_end(0)
        draw(w, a.interpolate_to)
        wait(app, 3)
        w.set_interpolation_end(1)
    w.model_panel.sigma_slider.setValue(int(a.sigma * 100))
    w.tabs.setCurrentIndex(a.tab)
    if a.digit is not None:
        end = time.time() + 30  # the number is read on the worker thread: wait for it, on a slow machine too
        while w.number_panel.reading is None and time.time() < end:
            app.processEvents()
            time.sleep(0.02)
        w.show_digit(a.digit)
    end = time.time() + 4
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)
    w.grab().save(a.out)
    w.close()
    print(f"wrote {a.out}")


def draw(window, index: int) -> None:
    """A shipped test digit on the canvas, as dark strokes on paper."""
    from desktop_cvae.data import load_sample

    digit = load_sample().x_test[index].astype(np.float32) / 255
    big = np.asarray(Image.fromarray(digit, mode="F").resize((280, 280), Image.Resampling.BICUBIC))
    window.canvas.set_image(1.0 - np.clip(big, 0, 1) * 0.92)


def wait(app, seconds: float) -> None:
    end = time.time() + seconds
    while time.time() < end:
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    main()
