"""Digits written with other pens: how often a model reads MNIST *test* digits (never training digits) once they
have been written again with another pen, thinner or bolder, crisp or soft, at another size, and normalised as the
app normalises pictures (desktop_cvae/pens.py), beside the same digits as MNIST has them.

    python benchmarks/pens.py --data ../shared/data/mnist.npz [--models PATH ...] [--n 10000] [--json]

The default model's last training stage adds training digits redrawn the same way (`--train-pens`), so this
measures how well it learnt the kind of input, on digits it never saw. A model trained without it (the shipped
default before stage 4: `git show 76dd2e1:resources/models/default.keras > stage3.keras`) is the comparison.
Independent measures of the same gain, with other pens: benchmarks/numbers.py (its "ceiling" line) and
benchmarks/people_inputs.py.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="MNIST .npz (default: Keras cache)")
    p.add_argument("--models", nargs="*", help="model files (default: the shipped default)")
    p.add_argument("--n", type=int, default=10000, help="test digits (the first n)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pens drawn")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.pens import redrawn

    data = load_mnist(a.data)
    x, y = data.x_test[: a.n], data.y_test[: a.n].astype(np.int64)
    images, used = redrawn(x, 1.0, seed=a.seed)
    rows = []
    for path in [Path(m) for m in a.models or [default_model_path()]]:
        engine = Engine.load(path)
        as_given = float((engine.bounds(x.astype(np.float32) / 255.0).argmin(1) == y).mean())
        other_pens = float((engine.bounds(images).argmin(1) == y[used]).mean())
        rows.append({"model": str(path), "n": len(used), "accuracy_as_given": round(as_given, 4),
                     "accuracy_other_pens": round(other_pens, 4)})
        if not a.json:
            print(f"{path}: {as_given:.2%} as MNIST gives them, {other_pens:.2%} written with other pens "
                  f"({len(used)} digits)")
    if a.json:
        print(json.dumps({"n": a.n, "seed": a.seed, "models": rows}))


if __name__ == "__main__":
    main()
