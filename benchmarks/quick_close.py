"""Closing the app soon after loading a model: does the process exit cleanly? (docs/MODELS.md, the abort at exit)

    xvfb-run -a python benchmarks/quick_close.py MODEL.keras [--delays 0.3 1 2 3 5] [--no-xla] [--json]

For each delay, a fresh process opens the real main window, waits for the shipped default to load, loads
MODEL, and closes the window that many seconds later, as a person who changes their mind would. Prints each
run's exit status (0 clean; -6 an abort, e.g. TensorFlow torn down under a thread still running) and which
Python threads were alive at the end. --no-xla: the engine without its XLA build of the update.
"""

import argparse
import json
import subprocess
import sys

CHILD = r"""
import sys, threading, time
from PySide6.QtCore import QSettings
from desktop_cvae.engine import Engine
from desktop_cvae.gui.app import make_application
from desktop_cvae.gui.main_window import MainWindow

model, delay, no_xla, ini = sys.argv[1], float(sys.argv[2]), sys.argv[3] == "1", sys.argv[4]
if no_xla:
    _init = Engine.__init__

    def _without_xla(self, *args, **kwargs):
        _init(self, *args, **kwargs)
        self._xla_analyze = None

    Engine.__init__ = _without_xla
app = make_application(sys.argv[:1])
settings = QSettings(ini, QSettings.Format.IniFormat)
settings.clear()
w = MainWindow(settings=settings)
w.show()
w.start()
deadline = time.time() + 60
while not w.worker.has_model and time.time() < deadline:
    app.processEvents(); time.sleep(0.02)
w.load_model(model)
end = time.time() + delay
while time.time() < end:
    app.processEvents(); time.sleep(0.02)
w.close()
print("THREADS", [(t.name, t.daemon) for t in threading.enumerate()], flush=True)
"""


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model")
    p.add_argument("--delays", type=float, nargs="+", default=[0.3, 0.6, 1, 1.5, 2, 2.5, 3, 4, 5])
    p.add_argument("--no-xla", action="store_true")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    import tempfile

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for delay in a.delays:
            done = subprocess.run([sys.executable, "-c", CHILD, a.model, str(delay), "1" if a.no_xla else "0",
                                   f"{tmp}/settings.ini"], capture_output=True, text=True, timeout=300)
            threads = next((line[8:] for line in done.stdout.splitlines() if line.startswith("THREADS ")), "")
            runs.append({"delay_s": delay, "exit": done.returncode, "threads_at_end": threads})
            if not a.json:
                print(f"close after {delay:4.1f} s: exit {done.returncode:3d}  threads {threads}", flush=True)
    result = {"model": a.model, "xla": not a.no_xla, "runs": len(runs),
              "aborts": sum(r["exit"] != 0 for r in runs), "detail": runs}
    print(json.dumps(result) if a.json else f"{result['aborts']} of {result['runs']} runs did not exit cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
