"""The Qt binding itself must survive long sessions: PySide6 6.12.0 dropped a reference to None on every
void call, which aborts Python < 3.12 after some thousands of UI actions (found by the GUI soak)."""

import sys

from PySide6.QtWidgets import QComboBox


def test_qt_calls_do_not_drop_references_to_none(qapp):
    combo = QComboBox()
    combo.addItem("Auto", None)
    before = sys.getrefcount(None)
    for _ in range(5000):
        combo.setEnabled(True)
        combo.setCurrentIndex(0)
        combo.currentData()
    assert sys.getrefcount(None) >= before - 100, "the Qt binding leaks references to None; pin another version"
