"""A number given as one digit: how often the one-digit reading says "several digits side by side", and how
often it says so of a real single digit.

    python benchmarks/side_by_side.py [--n 60] [--data NPZ] [--json]

- MNIST's test digits as they are (all 10,000): the share taken for several;
- --n test digits drawn as every kind of people's picture (benchmarks/imagegen.py): the share taken for several;
- --n numbers per condition of benchmarks/numbergen.py, half of 2 digits and half of 3 to 12: the share found.

Every picture goes through exactly what opening the file in one-digit mode does (`normalize_image`), and
`Normalized.several` is counted. MNIST comes from keras.datasets.mnist (downloaded once, cached) or --data.
"""

import argparse
import io
import json

import numpy as np

import imagegen
import numbergen


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=60, help="pictures per kind and numbers per condition")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.data import load_mnist
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError, ink_to_mnist

    data = load_mnist(a.data)
    x, y = data.x_test.astype(np.float32) / 255.0, data.y_test

    def several(picture: bytes) -> bool | None:
        try:
            return normalize_image(decode_image(io.BytesIO(picture))).several
        except NoInkError:
            return None

    def share(flags) -> dict:
        read = [f for f in flags if f is not None]
        return {"several": round(float(np.mean(read)), 4) if read else None, "read": len(read)}

    taken = [ink_to_mnist(d, whole_picture=True).several for d in x]
    result = {"mnist_test_taken_for_several": round(float(np.mean(taken)), 5), "single_digit_pictures": {},
              "numbers": {}}
    picked = np.random.default_rng(0).choice(len(x), a.n, replace=False)
    for kind, draw in imagegen.KINDS.items():
        rng = np.random.default_rng(1)
        result["single_digit_pictures"][kind] = share([several(draw(x[i], rng)) for i in picked])
    for condition in numbergen.CONDITIONS:
        rng = np.random.default_rng(3)
        flags = {"2 digits": [], "3-12 digits": []}
        for k in range(a.n):
            length = 2 if k < a.n // 2 else int(rng.integers(3, 13))
            idx = rng.integers(0, len(x), length)
            picture, _ = numbergen.number_picture(condition, x[idx], y[idx], rng)
            flags["2 digits" if length == 2 else "3-12 digits"].append(several(picture))
        result["numbers"][condition] = {k: share(v)["several"] for k, v in flags.items()}
    if a.json:
        print(json.dumps(result))
        return
    print(f"MNIST test digits taken for several: {result['mnist_test_taken_for_several']:.2%}")
    for kind, r in result["single_digit_pictures"].items():
        print(f"one digit, {kind:15s} taken for several: {r['several']:.1%} of {r['read']}")
    for condition, r in result["numbers"].items():
        print(f"number, {condition:15s} found as several: 2 digits {r['2 digits']:.0%}, 3-12 digits "
              f"{r['3-12 digits']:.0%}")


if __name__ == "__main__":
    main()
