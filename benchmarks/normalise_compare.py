"""Normalisation now against the normalisation at a git revision: same output? same speed on the canvas?

    python benchmarks/normalise_compare.py REV [--kinds NAME ...] [--json]

Loads the package's normalisation as it was at REV (git archive, under another name) beside the current one,
then reports
- whether the shipped sample's 1,000 test digits and the canvas inputs of `desktop-cvae bench` come out
  bit for bit the same, and for 40 pictures of each kind of benchmarks/imagegen.py how many are identical
  and the largest difference per pixel;
- the median time to normalise a canvas image, in six alternating rounds of 2,000 each.
"""

import argparse
import importlib
import io
import json
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

import imagegen


def load_at(rev: str):
    """The single-digit normalisation of the package at REV (numbers.digit, or before it existed the preprocess
    module), imported as desktop_cvae_at_rev: its own relative imports resolve inside that copy, not in the
    current package."""
    repo = Path(__file__).resolve().parent.parent
    archive = subprocess.run(["git", "archive", rev, "desktop_cvae"], cwd=repo, check=True, capture_output=True).stdout
    root = Path(tempfile.mkdtemp())
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root, filter="data")
    (root / "desktop_cvae").rename(root / "desktop_cvae_at_rev")
    sys.path.insert(0, str(root))
    package = root / "desktop_cvae_at_rev"
    name = ("numbers.digit" if (package / "numbers" / "digit.py").exists()
            else "vision.preprocess" if (package / "vision" / "preprocess.py").exists() else "preprocess")
    return importlib.import_module(f"desktop_cvae_at_rev.{name}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("rev")
    p.add_argument("--kinds", nargs="*", default=list(imagegen.KINDS))
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.numbers import digit as now  # what opening a picture does
    from desktop_cvae.bench import canvas_like_inputs
    from desktop_cvae.data import load_sample
    from desktop_cvae.vision.imageio import decode_image

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
