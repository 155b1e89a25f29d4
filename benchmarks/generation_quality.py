"""How often generated digits look like the label they were generated for, judged independently.

    python benchmarks/generation_quality.py [--n 50] [--models PATH ...] [--json]

The judge: 5 nearest neighbours (raw pixels) among the shipped sample's 1,000 training digits; on its 1,000
real test digits it is right 87 % of the time. Each shipped CVAE (or each one named) generates n digits per
label with z from the model's own prior (N(0, I), or p(z | label) where it learnt one) and from the Gaussian
fitted to real digits' latent codes (the app's default).
"""

import argparse
import json

import numpy as np


def knn_labels(ref: np.ndarray, ref_labels: np.ndarray, images: np.ndarray, k: int = 5) -> np.ndarray:
    d = ((images.reshape(len(images), 1, -1) - ref[None]) ** 2).sum(-1)
    nearest = np.argsort(d, axis=1)[:, :k]
    return np.array([np.bincount(ref_labels[row], minlength=10).argmax() for row in nearest])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=50, help="digits per label and prior")
    p.add_argument("--models", nargs="*", help="model files (default: the shipped models)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.data import load_sample
    from desktop_cvae.engine import Engine
    from desktop_cvae.resources import shipped_models_dir

    sample = load_sample()
    ref = sample.x_train.reshape(len(sample.x_train), -1).astype(np.float32) / 255.0
    judge_on_real = float(np.mean(knn_labels(ref, sample.y_train, sample.x_test.astype(np.float32) / 255.0)
                                  == sample.y_test))
    result = {"judge_accuracy_on_real_test_digits": round(judge_on_real, 4), "n_per_label": a.n, "models": {}}
    from pathlib import Path

    for path in [Path(m) for m in a.models] if a.models else sorted(shipped_models_dir().glob("*.keras")):
        engine = Engine.load(path)
        if not engine.conditional:
            continue
        row = {}
        for prior in ("standard", "fitted"):
            per_label = [float(np.mean(knn_labels(ref, sample.y_train, engine.generate(c, a.n, seed=c, prior=prior)) == c))
                         for c in range(10)]
            row[prior] = {"mean": round(float(np.mean(per_label)), 4), "per_label": [round(v, 2) for v in per_label]}
        result["models"][path.name] = row
    if a.json:
        print(json.dumps(result))
        return
    print(f"judge (5-NN on the shipped training sample) on real test digits: {judge_on_real:.1%}")
    for name, row in result["models"].items():
        print(f"{name}: judged as their label — z from the model's prior: {row['standard']['mean']:.1%}, "
              f"fitted density: {row['fitted']['mean']:.1%}")


if __name__ == "__main__":
    main()
