"""Drawings that are no number (stars, hearts, faces, arrows, a blot) given to the app: what does it say?

    python benchmarks/doodles.py [--n 100] [--json] [--show N]

The model reads any shape as the digit it looks most like (a tangle of loops as a sure 8). Each picture holds one
to four drawings of `desktop_cvae.doodles`' kinds side by side, written as numbergen's conditions write digits
(the app's canvas, a scan, a phone photo, a whiteboard), and is read as the app reads a number
(`numbers.read_number_image`). Printed per condition and per group of kinds (those the letter judge learnt from,
and HELD_OUT, which it never saw): the share refused (right), read but marked (some digit flagged or unsure: the
person is told to check), and read with nothing marked (wrong, and silent). Also each drawing alone, opened as one
digit: the share flagged *Not a digit*.
"""

import argparse
import json

import numbergen
import numpy as np
from words import answer_to, not_a_digit, tally

CONDITIONS = ("canvas", "normal gaps", "phone photo", "whiteboard")


def drawings(kinds: list[str], count: int, rng) -> np.ndarray:
    """`count` drawings of kinds picked from `kinds`, each as the app's 28x28 input (numbergen draws digits from
    such inputs)."""
    from desktop_cvae.doodles import doodle_ink
    from desktop_cvae.vision.preprocess import ink_to_mnist

    return np.stack([ink_to_mnist(doodle_ink(str(rng.choice(kinds)), rng)).pixels for _ in range(count)])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=100, help="pictures per condition and group of kinds")
    p.add_argument("--show", type=int, default=0, help="print the first N readings of each")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae import doodles
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine

    engine = Engine.load(default_model_path())
    groups = {"kinds it learnt": list(doodles.TRAINED), "kinds it never saw": list(doodles.HELD_OUT)}
    result = {"n": a.n, "as_number": {}, "as_one_digit": {}}
    for group, kinds in groups.items():
        for condition in CONDITIONS:
            answers = []
            rng = np.random.default_rng(10_000 + 100 * list(groups).index(group) + CONDITIONS.index(condition))
            for k in range(a.n):
                shapes = drawings(kinds, int(rng.integers(1, 5)), rng)
                picture, _ = numbergen.number_picture(condition, shapes, np.zeros(len(shapes)), rng)
                answers.append(answer_to(picture, engine))
                if k < a.show:
                    print(f"  {group}, {condition}: {len(shapes)} drawings -> {answers[-1][1]}")
            shares = result["as_number"].setdefault(group, {})[condition] = tally(answers)
            if not a.json:
                print(f"{group:18s} {condition:12s} refused {shares['refused']:6.1%}  marked {shares['marked']:6.1%}"
                      f"  silent {shares['silent']:6.1%}  median confidence of those read "
                      f"{shares['median_confidence']}", flush=True)
        flagged = per_kind = 0
        by_kind = {}
        for kind in kinds:  # each drawing alone on the canvas, opened as one digit
            rng = np.random.default_rng(20_000 + list(doodles.KINDS).index(kind))
            hits = 0
            for _ in range(a.n // 4 or 1):
                picture, _ = numbergen.number_picture("canvas", drawings([kind], 1, rng), np.zeros(1), rng)
                hits += not_a_digit(picture, engine)
                per_kind += 1
            by_kind[kind] = round(hits / (a.n // 4 or 1), 3)
            flagged += hits
        result["as_one_digit"][group] = {"n": per_kind, "flagged": round(flagged / per_kind, 4), "by_kind": by_kind}
        if not a.json:
            print(f"{group:18s} one drawing as one digit, flagged not a digit {flagged / per_kind:6.1%} of {per_kind}"
                  f"  {by_kind}", flush=True)
    if a.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
