"""The core never imports Qt; the GUI never imports TensorFlow (it reaches models through the core)."""

import subprocess
import sys

CORE = ["config", "data", "vision", "vision.preprocess", "vision.components", "vision.imageio", "styles", "explain",
        "imaging", "storage", "catalog",
        "model", "train", "engine", "evaluate", "cli", "bench", "report", "curves", "selftest", "progress", "train_process",
        "numbers", "numbers.segment", "numbers.reader", "numbers.printed",
        "serve", "serve.settings", "serve.batcher", "serve.archive", "serve.recognition", "serve.guard", "serve.app"]


def run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=180)


def test_core_imports_without_qt():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'PyQt5', 'PyQt6'):\n"
        "            raise ImportError('Qt is not allowed in the core: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        + "".join(f"import desktop_cvae.{m}\n" for m in CORE)
        + "print('ok')\n"
    )
    out = run(code)
    assert out.returncode == 0 and "ok" in out.stdout, out.stderr[-2000:]


def test_gui_does_not_import_tensorflow():
    code = (
        "import os; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "import sys\n"
        "import desktop_cvae.gui.app, desktop_cvae.gui.main_window, desktop_cvae.gui.worker\n"
        "import desktop_cvae.gui.training_dialog, desktop_cvae.train_process, desktop_cvae.progress\n"
        "import desktop_cvae.gui.number_panel, desktop_cvae.numbers\n"
        "from desktop_cvae.gui.app import make_application\n"
        "app = make_application(['x'])\n"
        "from desktop_cvae.gui.main_window import MainWindow\n"
        "w = MainWindow(); w.show(); app.processEvents()\n"
        "print('tensorflow' in sys.modules, 'keras' in sys.modules)\n"
        "w.close()\n"
    )
    out = run(code)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_each_floor_imports_only_the_floors_below_it():
    """pyproject.toml's import-linter contracts: entry points > GUI | web service > numbers > core > vision; Qt
    only in the GUI; TensorFlow reached by the GUI only through the core, and never by vision."""
    from pathlib import Path

    code = ("import sys\nfrom importlinter.cli import lint_imports\n"
            "sys.exit(lint_imports(no_cache=True, no_logo=True))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parent.parent)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
    assert "4 kept, 0 broken" in out.stdout
