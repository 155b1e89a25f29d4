"""Start-up time of the real app: window visible, model loaded, first result for an opened picture.

    xvfb-run -a python benchmarks/startup.py [--runs 5] [--json]      (or QT_QPA_PLATFORM=offscreen)

Starts `python -m desktop_cvae PICTURE` with DESKTOP_CVAE_TIMING=1, reads the times the app reports
(seconds since its process started) and closes it.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def one_run(picture: str) -> dict:
    env = {**os.environ, "DESKTOP_CVAE_TIMING": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as home:
        env["XDG_CONFIG_HOME"] = home  # fresh settings: the default model, no remembered state
        env["XDG_DATA_HOME"] = home
        proc = subprocess.Popen([sys.executable, "-m", "desktop_cvae", picture], env=env, stderr=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, text=True)
        times = {}
        deadline = time.time() + 120
        while time.time() < deadline and "first_result" not in times:
            line = proc.stderr.readline()
            if not line:
                break
            if line.startswith("TIMING "):
                _, event, t = line.split()
                times[event] = float(t)
        proc.terminate()
        proc.wait(30)
    return times


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from PIL import Image

    from desktop_cvae.data import load_sample

    with tempfile.TemporaryDirectory() as tmp:
        picture = str(Path(tmp) / "digit.png")
        Image.fromarray(255 - load_sample().x_test[7]).resize((200, 200)).save(picture)
        runs = [one_run(picture) for _ in range(a.runs)]
    result = {k: round(float(np.median([r[k] for r in runs if k in r])), 2)
              for k in ("window_visible", "model_loaded", "first_result")}
    result["runs"] = a.runs
    result["all"] = runs
    print(json.dumps(result) if a.json else
          f"median of {a.runs} runs: window visible {result['window_visible']} s, model loaded "
          f"{result['model_loaded']} s, first result {result['first_result']} s")


if __name__ == "__main__":
    main()
