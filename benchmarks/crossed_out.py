"""Which ink is taken for a digit scribbled out (`desktop_cvae.numbers.crossed`: a third of the columns or rows
across its middle crossing five strokes or more, or its box covered twice as densely as the digits beside it):
digits as written, two digits that touch or overlap (a piece the number reader would offer whole), and digits
scribbled out.

    python benchmarks/crossed_out.py [--data NPZ] [--n 10000] [--json]

MNIST's test digits as MNIST gives them and drawn with the benchmark's pens (numbergen.digit_ink, 100 pixels tall,
a pen 0.5-1.2 of its usual width, or a marker 2.4 times it); with each, two other test digits touching and two
overlapping as benchmarks/numbergen.py's "touching gaps" and "overlap gaps" draw them; then each drawn digit
scribbled out as its "crossed out" does it, in zigzags and in loops. Each is judged beside four other test digits
written the same way (their median density, as the reader measures a line's other pieces). Prints the share of
each taken for a digit scribbled out.
"""

import argparse
import json

import numpy as np

import numbergen


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--n", type=int, default=10000, help="test digits (default: all)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    from desktop_cvae.data import load_mnist
    from desktop_cvae.numbers.crossed import filled_share, scribbled_out

    data = load_mnist(a.data)
    x = data.x_test[: a.n].astype(np.float32) / 255.0
    rng = np.random.default_rng(0)
    counts = {"as MNIST gives them": [], "drawn with a pen": [], "drawn with a marker": [],
              "two digits touching": [], "two digits overlapping": [], "scribbled out in zigzags": [],
              "scribbled out in loops": []}

    def line_filled(width=None) -> float:
        """The median density of four other test digits, as MNIST gives them or drawn with this pen."""
        others = x[rng.integers(0, len(x), 4)]
        fills = [filled_share(d if width is None else numbergen.digit_ink(d, 100, width)) for d in others]
        return float(np.median([f for f in fills if f > 0] or [0.0]))

    for digit in x:
        counts["as MNIST gives them"].append(scribbled_out(digit, line_filled()))
        width = float(rng.uniform(0.5, 1.2))
        ink = numbergen.digit_ink(digit, 100, width)
        beside = line_filled(width)
        counts["drawn with a pen"].append(scribbled_out(ink, beside))
        counts["drawn with a marker"].append(scribbled_out(numbergen.digit_ink(digit, 100, 2.4), line_filled(2.4)))
        for spacing, name in (("touching", "two digits touching"), ("overlap", "two digits overlapping")):
            pair = numbergen.compose(x[rng.integers(0, len(x), 2)], rng, height=100, spacing=spacing)
            counts[name].append(scribbled_out(pair, line_filled(0.6)))  # compose's pen
        rows, cols = np.nonzero(ink > 0.2)
        pad = 20  # room for the hand going past the digit's sides
        box = (int(cols.min()) + pad, int(rows.min()) + pad, int(np.ptp(cols)) + 1, int(np.ptp(rows)) + 1)
        for style in ("zigzag", "loops"):
            scribbled = np.pad(ink, pad)
            numbergen.scribble_over(scribbled, box, rng, 100, style)
            counts["scribbled out in zigzags" if style == "zigzag" else "scribbled out in loops"].append(
                scribbled_out(scribbled, beside))
    result = {name: {"n": len(v), "taken_for_scribbled_out": float(np.mean(v))} for name, v in counts.items()}
    if a.json:
        print(json.dumps(result))
        return
    for name, r in result.items():
        print(f"{name:26s} taken for a digit scribbled out: {r['taken_for_scribbled_out']:7.2%} of {r['n']}")


if __name__ == "__main__":
    main()
