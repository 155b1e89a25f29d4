"""Normalisation now against the normalisation at a git revision: same output? same speed on the canvas?

    python benchmarks/normalise_compare.py 9d3bf9b [--kinds NAME ...] [--json]

Loads desktop_cvae/preprocess.py as it was at REV (git show) beside the current one, then reports
- whether the shipped sample's 1,000 test digits and the canvas inputs of `desktop-cvae bench` come out
  bit for bit the same, and for 40 pictures of each kind of benchmarks/imagegen.py how many are identical
  and the largest difference per pixel;
- the median time to normalise a canvas image, in six alternating rounds of 2,000 each.
"""

import argparse
import importlib.util
import io
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import imagegen

EARLIER_KINDS = ["phone photo", "scan", "screenshot", "chalkboard", "marker", "tiny", "transparent"]


def load_at(rev: str):
    repo = Path(__file__).resolve().parent.parent
    source = subprocess.run(["git", "show", f"{rev}:desktop_cvae/preprocess.py"], cwd=repo, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "preprocess_at_rev.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("preprocess_at_rev", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rev")
    p.add_argument("--kinds", nargs="*", default=EARLIER_KINDS)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae import preprocess as now
    from desktop_cvae.bench import canvas_like_inputs
    from desktop_cvae.data import load_sample
    from desktop_cvae.imageio import decode_image

    then = load_at(a.rev)
    sample = load_sample()
    canvas = canvas_like_inputs(50)
    result = {
        "rev": a.rev,
        "sample_identical": all(np.array_equal(then.normalize_gray(x / 255.0).pixels, now.normalize_gray(x / 255.0).pixels)
                                for x in sample.x_test),
        "canvas_identical": all(np.array_equal(then.normalize_gray(x).pixels, now.normalize_gray(x).pixels)
                                for x in canvas),
        "kinds": {},
    }
    for kind in a.kinds:
        rng, same, worst = np.random.default_rng(0), 0, 0.0
        for i in range(0, 1000, 25):
            img = decode_image(io.BytesIO(imagegen.KINDS[kind](sample.x_test[i] / 255.0, rng)))
            diff = np.abs(then.normalize_image(img).pixels - now.normalize_image(img).pixels)
            same += int(not diff.any())
            worst = max(worst, float(diff.max()))
        result["kinds"][kind] = {"identical": same, "of": 40, "max_abs_diff": worst}
    p50 = {"then": [], "now": []}
    for rnd in range(6):
        order = [("then", then), ("now", now)] if rnd % 2 == 0 else [("now", now), ("then", then)]
        for name, module in order:
            ms = []
            for i in range(2000):
                t = time.perf_counter()
                module.normalize_gray(canvas[i % len(canvas)])
                ms.append((time.perf_counter() - t) * 1000)
            p50[name].append(round(float(np.median(ms)), 3))
    result["canvas_normalise_p50_ms"] = p50
    if a.json:
        print(json.dumps(result))
        return
    print(f"against {a.rev}: shipped sample identical {result['sample_identical']}, "
          f"canvas inputs identical {result['canvas_identical']}")
    for kind, r in result["kinds"].items():
        print(f"{kind:15s} identical {r['identical']}/{r['of']}, largest difference {r['max_abs_diff']:.1e}")
    print(f"canvas normalisation p50 (ms): then {p50['then']}, now {p50['now']}")


if __name__ == "__main__":
    sys.exit(main())
