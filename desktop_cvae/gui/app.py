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


def run(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    app = make_application(argv)
    from .main_window import MainWindow

    window = MainWindow()
    window.show()
    window.start()
    return app.exec()
