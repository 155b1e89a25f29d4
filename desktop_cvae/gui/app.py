"""Starting the app: the QApplication, the main window, then the model load on the worker."""

from __future__ import annotations

import os
import sys

ORGANIZATION = "desktop-cvae"
APPLICATION = "Desktop CVAE"


def make_application(argv: list[str] | None = None):
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ..resources import resource_path

    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName(APPLICATION)
    app.setDesktopFileName("desktop-cvae")
    icon = resource_path("icons", "desktop-cvae.png")
    if icon.is_file():
        app.setWindowIcon(QIcon(str(icon)))
    return app


def _report_timing(window, t0: float) -> None:
    """DESKTOP_CVAE_TIMING=1: print when the window is up, the model loaded and the first result shown
    (seconds since `t0`, the process's start), for benchmarks/startup.py."""
    import time

    from PySide6.QtCore import QTimer

    def say(event):
        print(f"TIMING {event} {time.time() - t0:.3f}", file=sys.stderr, flush=True)

    QTimer.singleShot(0, lambda: say("window_visible"))
    window.worker.model_loaded.connect(lambda _: say("model_loaded"))
    first = []
    window.worker.analyzed.connect(lambda _: first or (first.append(1), say("first_result")))


def process_start_time() -> float:
    """When this process started (epoch seconds), from /proc where available."""
    import time

    try:
        with open("/proc/self/stat") as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as f:
            uptime = float(f.read().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


def run(argv: list[str] | None = None, open_file: str | None = None) -> int:
    # Keras imports IPython, when it is installed, only to detect notebooks (~0.35 s at start); the app is
    # never one. A None entry makes that optional import fail fast, as if IPython were absent.
    sys.modules.setdefault("IPython", None)
    app = make_application(argv)
    from .main_window import MainWindow

    window = MainWindow()
    if os.environ.get("DESKTOP_CVAE_TIMING"):
        _report_timing(window, process_start_time())
    window.show()
    window.start()
    if open_file:
        window.open_image_in_background(open_file)
    return app.exec()
