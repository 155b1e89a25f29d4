"""Measure the MNIST statistics preprocess.py targets (relative stroke width and centre of mass), and the
least binary cross-entropy any decoder can reach on the test split: sum over pixels of H(x_ij), in nats.

    python benchmarks/mnist_stats.py [--data ../shared/data/mnist.npz] [--json]
"""

import argparse
import json

import numpy as np

from desktop_cvae.data import load_npz
from desktop_cvae.vision.pixels import resize_long_side, stroke_width
from desktop_cvae.vision.preprocess import WORK_SIDE


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="../shared/data/mnist.npz")
    p.add_argument("--n", type=int, default=2000)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    test = load_npz(a.data).x_test.astype(np.float64) / 255
    p_ink = np.clip(test, 1e-12, 1 - 1e-12)
    entropy = -(p_ink * np.log(p_ink) + (1 - p_ink) * np.log(1 - p_ink)).reshape(len(test), -1).sum(axis=1)
    x = test[: a.n].astype(np.float32)
    widths, coms = [], []
    grid = np.arange(28)
    for img in x:
        rows, cols = np.nonzero(img > 0.25)
        crop = img[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
        work = resize_long_side(crop, WORK_SIDE)
        widths.append(stroke_width(work > 0.5) / WORK_SIDE)
        coms.append(((img.sum(1) * grid).sum() / img.sum(), (img.sum(0) * grid).sum() / img.sum()))
    coms = np.array(coms)
    if a.json:
        print(json.dumps({"relative_stroke_width_median": float(np.median(widths)),
                          "centre_of_mass_mean": [float(coms[:, 0].mean()), float(coms[:, 1].mean())],
                          "cross_entropy_floor_nats": float(entropy.mean()), "n": a.n}))
        return
    print(f"relative stroke width: median {np.median(widths):.4f}  (p10 {np.percentile(widths, 10):.4f}, p90 {np.percentile(widths, 90):.4f})")
    print(f"centre of mass: mean row {coms[:, 0].mean():.2f}, mean col {coms[:, 1].mean():.2f}")
    print(f"cross-entropy floor (BCE of each test image with itself): mean {entropy.mean():.2f} nats "
          f"over {len(test)} images")


if __name__ == "__main__":
    main()
