"""Fit the number reader's split scorer: which candidate digits are one whole digit.

    python benchmarks/fit_split.py [--n 100] [--data NPZ] [--model FILE] [--json]

Numbers of MNIST *training* digits are built under the conditions whose pictures keep the digits where they were
composed (gaps from wide to overlapping, broken strokes, lines, sizes, pens, photos: no turn, no crop), so each
digit's box is known. Each is read as `desktop-cvae recognize --number` reads it, and every candidate digit the
reader weighed is labelled: one whole digit if its box and a true digit's overlap by 75 % (intersection over
union) or more. A logistic regression on `reader.split_features` is fitted by iteratively reweighted least
squares, and printed with the AUC of the reader's current log odds and of the fit: paste the weights into
reader.SPLIT_WEIGHTS, then check the result on test digits with benchmarks/numbers.py. Refit when the default
model changes: its bounds are the features' scale.
"""

import argparse
import io
import json
import sys

import numpy as np

import numbergen

CONDITIONS = ("wide gaps", "normal gaps", "tight gaps", "touching gaps", "overlap gaps", "canvas", "broken strokes",
              "line under", "line through", "mixed sizes", "phone photo", "pencil", "dim photo", "whiteboard")


def overlap(a, b) -> float:
    """Intersection over union of two (x, y, w, h) boxes."""
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    return ix * iy / (a[2] * a[3] + b[2] * b[3] - ix * iy)


def candidates(engine, conditions, n, x, y, seed):
    """Every candidate's features and whether it is one whole digit, over n numbers per condition."""
    from desktop_cvae.numbers import reader
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import image_to_gray

    seen = {}
    choose, make_ink_map = reader._model_choice, reader.ink_map

    def model_choice(*args, **kwargs):  # the reader's own candidates, as it weighs them
        got = choose(*args, **kwargs)
        seen["judge"] = got[0]
        return got

    def ink_map(*args, **kwargs):  # how the picture became the ink map the boxes live in
        seen["ink map"] = make_ink_map(*args, **kwargs)
        return seen["ink map"]

    reader._model_choice, reader.ink_map = model_choice, ink_map
    features, whole = [], []
    try:
        for condition in conditions:
            for data, _ in numbergen.numbers(condition, x, y, n, seed):
                boxes = [b for b in numbergen.LAST_BOXES if b is not None]
                gray = image_to_gray(decode_image(io.BytesIO(data)))
                reader.read_number(gray, engine, zoom=False)
                judge, m = seen["judge"], seen["ink map"]
                frame = reader.writing_frame(m, judge.line.w, [])
                for c in judge.scores:
                    box = frame.box_to_source(judge.crops[c][1])
                    features.append(reader.split_features(judge, c))
                    whole.append(max(overlap(box, b) for b in boxes) >= 0.75)
            print(f"{condition}: {len(features)} candidates so far", file=sys.stderr, flush=True)
    finally:
        reader._model_choice, reader.ink_map = choose, make_ink_map
    return np.array(features), np.array(whole, np.float64)


def fit(a: np.ndarray, y: np.ndarray, ridge: float = 1e-3, steps: int = 50) -> np.ndarray:
    """Logistic regression weights by iteratively reweighted least squares, a little ridge for stability."""
    w = np.zeros(a.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(a @ w, -30, 30)))
        hessian = a.T @ (a * (p * (1 - p) + 1e-6)[:, None]) + ridge * np.eye(len(w))
        w += np.linalg.solve(hessian, a.T @ (y - p) - ridge * w)
    return w


def auc(score: np.ndarray, y: np.ndarray) -> float:
    """The chance that a whole digit scores above a candidate that is not one."""
    ranks = np.empty(len(score))
    ranks[np.argsort(score)] = np.arange(len(score))
    pos = y == 1
    return float((ranks[pos].sum() - pos.sum() * (pos.sum() - 1) / 2) / (pos.sum() * (~pos).sum()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100, help="numbers per condition")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--model", help="model file (default: the shipped default)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from pathlib import Path

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import reader

    data = load_mnist(a.data)
    engine = Engine.load(Path(a.model) if a.model else default_model_path())
    engine.warm_up()
    features, whole = candidates(engine, CONDITIONS, a.n, data.x_train.astype(np.float32) / 255.0, data.y_train,
                                 a.seed)
    w = fit(features, whole)
    result = {"candidates": len(whole), "whole": round(float(whole.mean()), 4),
              "auc_current": round(auc(features @ reader.SPLIT_WEIGHTS, whole), 4),
              "auc_fitted": round(auc(features @ w, whole), 4),
              "weights": dict(zip(reader.SPLIT_FEATURES, (round(float(v), 4) for v in w)))}
    if a.json:
        print(json.dumps(result))
        return
    print(f"{result['candidates']} candidates, {result['whole']:.1%} whole digits; AUC of the log odds: current "
          f"weights {result['auc_current']:.4f}, fitted {result['auc_fitted']:.4f}")
    for name, value in zip(reader.SPLIT_FEATURES, w):
        print(f"  {name:22s} {value:8.4g}")
    print("SPLIT_WEIGHTS = np.array([" + ", ".join(f"{v:.4g}" for v in w) + "])")


if __name__ == "__main__":
    main()
