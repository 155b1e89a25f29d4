"""Start-up time of the real app: window visible, model loaded, first result for an opened picture.

    xvfb-run -a python benchmarks/startup.py [--runs 5] [--app PATH] [--cold] [--json]
                                                                        (or QT_QPA_PLATFORM=offscreen)

Starts `python -m desktop_cvae PICTURE` (or, with --app, an executable such as the installed
/usr/bin/desktop-cvae or an unpacked portable build) with DESKTOP_CVAE_TIMING=1, reads the times the app
reports (seconds since its process started) and closes it. --cold (root only) empties the kernel's file cache
before each run, as after a reboot: the app's libraries are then read from disk.
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


def drop_file_cache() -> None:
    os.sync()
    with open("/proc/sys/vm/drop_caches", "w") as f:
        f.write("3\n")


def one_run(command: list[str], picture: str, cold: bool = False) -> dict:
    if cold:
        drop_file_cache()
    env = {**os.environ, "DESKTOP_CVAE_TIMING": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    with tempfile.TemporaryDirectory() as home:
        env["XDG_CONFIG_HOME"] = home  # fresh settings: the default model, no remembered state
        env["XDG_DATA_HOME"] = home
        proc = subprocess.Popen([*command, picture], env=env, stderr=subprocess.PIPE,
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
    p.add_argument("--app", metavar="PATH", help="time this executable (default: python -m desktop_cvae)")
    p.add_argument("--cold", action="store_true", help="empty the file cache before each run (needs root)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from PIL import Image

    from desktop_cvae.data import load_sample

    with tempfile.TemporaryDirectory() as tmp:
        picture = str(Path(tmp) / "digit.png")
        Image.fromarray(255 - load_sample().x_test[7]).resize((200, 200)).save(picture)
        command = [a.app] if a.app else [sys.executable, "-m", "desktop_cvae"]
        runs = [one_run(command, picture, a.cold) for _ in range(a.runs)]
    result = {k: round(float(np.median([r[k] for r in runs if k in r])), 2)
              for k in ("window_visible", "model_loaded", "first_result")}
    result["runs"] = a.runs
    result["app"] = a.app or "python -m desktop_cvae"
    result["file_cache"] = "cold" if a.cold else "warm"
    result["all"] = runs
    print(json.dumps(result) if a.json else
          f"median of {a.runs} runs ({result['file_cache']} file cache): window visible "
          f"{result['window_visible']} s, model loaded {result['model_loaded']} s, first result "
          f"{result['first_result']} s")


if __name__ == "__main__":
    main()
