"""Recognition accuracy on test digits moved off-centre by a few pixels.

    python benchmarks/shift_robustness.py [--data ../shared/data/mnist.npz] [--n 10000] [--models PATH ...] [--json]

MNIST's test digits have their centre of mass at the centre, and so does every input the app normalises,
but a person's digit is never centred exactly as MNIST's were (a stroke's weight, rounding to whole
pixels). This measures how much a model's recognition depends on exact centring: each digit is moved by
s pixels along both axes, each direction drawn at random (seeded). MNIST's digits fit a 20x20 box in the
28x28 frame, so a 2-pixel move rarely reaches the edge; the few ink pixels that do wrap round (np.roll).
"""

import argparse
import json
from pathlib import Path

import numpy as np

SHIFTS = (0, 1, 2)


def shifted(x: np.ndarray, s: int, rng: np.random.Generator) -> np.ndarray:
    if s == 0:
        return x
    out = np.empty_like(x)
    for i, (dy, dx) in enumerate(rng.choice([-s, s], size=(len(x), 2))):
        out[i] = np.roll(x[i], (dy, dx), axis=(0, 1))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", default="../shared/data/mnist.npz")
    p.add_argument("--n", type=int, default=10000, help="test digits (the first n)")
    p.add_argument("--models", nargs="*", help="model files (default: the shipped default)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_npz
    from desktop_cvae.engine import Engine

    test = load_npz(a.data)
    x, y = test.x_test[: a.n].astype(np.float32) / 255.0, test.y_test[: a.n]
    result = {"n": len(x), "models": {}}
    for path in [Path(m) for m in a.models] if a.models else [default_model_path()]:
        engine = Engine.load(path)
        rng = np.random.default_rng(0)  # the same shifted digits for every model
        row = {}
        for s in SHIFTS:
            predicted, _ = engine.best_scores(shifted(x, s, rng))
            row[str(s)] = round(float(np.mean(predicted == y)), 4)
        result["models"][path.name] = row
    if a.json:
        print(json.dumps(result))
        return
    for name, row in result["models"].items():
        print(f"{name}: " + ", ".join(f"shifted {s} px: {acc:.2%}" for s, acc in row.items()))


if __name__ == "__main__":
    main()
