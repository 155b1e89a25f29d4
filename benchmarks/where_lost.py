"""Where the numbers read wrong are lost: no candidate for a digit, a digit read as another label, or another split.

    python benchmarks/where_lost.py --data ../shared/data/mnist.npz ["touching gaps" "overlap gaps"] [--n 100] [--json]

The numbers are benchmarks/numbers.py's (the same seed gives the same pictures). For each number read wrong, each
true digit's box is matched to the candidate the reader weighed that overlaps it most (intersection over union):
- missing: some true digit has no candidate overlapping it by MATCH: no cut separated it (a 1 along its neighbour);
- label: every digit has one, but one of them is read as another label (its crop holds a neighbour's stroke end,
  or is cut short);
- split: every digit has a candidate read right, but the reader preferred another split of the ink.
"""

import argparse
import io
import json

import numbergen
import numpy as np
from fit_split import overlap

MATCH = 0.6


def main():
    p = argparse.ArgumentParser()
    p.add_argument("conditions", nargs="*", default=["touching gaps", "overlap gaps"])
    p.add_argument("--n", type=int, default=100, help="numbers per condition")
    p.add_argument("--data", help="MNIST-format .npz (default: keras.datasets.mnist, cached)")
    p.add_argument("--digits", choices=("test", "train"), default="test")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="one JSON object per condition")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers import reader
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError, image_to_gray

    data = load_mnist(a.data)
    x, y = (data.x_test, data.y_test) if a.digits == "test" else (data.x_train, data.y_train)
    x = x.astype(np.float32) / 255.0
    engine = Engine.load(default_model_path())
    engine.warm_up()
    seen = {}
    choose, make_ink_map = reader._model_choice, reader.ink_map

    def model_choice(*args, **kwargs):  # the reader's own candidates and choice, as it weighs them
        got = choose(*args, **kwargs)
        seen["judge"], seen["chosen"] = got[0], got[1]
        return got

    def ink_map(*args, **kwargs):
        seen["ink map"] = make_ink_map(*args, **kwargs)
        return seen["ink map"]

    reader._model_choice, reader.ink_map = model_choice, ink_map
    for condition in a.conditions:
        counts = {"numbers": 0, "refused": 0, "right": 0, "missing": 0, "label": 0, "split": 0}
        for picture, truth in numbergen.numbers(condition, x, y, a.n, a.seed):
            boxes = list(numbergen.LAST_BOXES)
            if len(boxes) != len(truth) or None in boxes:
                raise SystemExit(f"{condition}: its pictures do not keep each digit's box (fit_split.CONDITIONS do)")
            counts["numbers"] += 1
            try:
                got = reader.read_number(image_to_gray(decode_image(io.BytesIO(picture))), engine, zoom=False)
            except NoInkError:
                counts["refused"] += 1
                continue
            if got.number == truth:
                counts["right"] += 1
                continue
            judge = seen["judge"]
            frame = reader.writing_frame(seen["ink map"], judge.line.w, [])
            found = [(c, frame.box_to_source(judge.crops[c][1])) for c in judge.scores]
            best = [max(((overlap(box, b), c) for c, box in found), key=lambda t: t[0]) for b in boxes]
            if any(iou < MATCH for iou, _ in best):
                counts["missing"] += 1
            elif any(int(np.argmin(judge.scores[c])) != int(t) for (_, c), t in zip(best, truth)):
                counts["label"] += 1
            else:
                counts["split"] += 1
        if a.json:
            print(json.dumps({"condition": condition, **counts}))
        else:
            wrong = counts["numbers"] - counts["right"] - counts["refused"]
            print(f"{condition}: {counts['right']} of {counts['numbers']} read right, {counts['refused']} refused; "
                  f"of the {wrong} read wrong, {counts['missing']} with a digit among no candidate, "
                  f"{counts['label']} with a digit read as another label, {counts['split']} split otherwise")


if __name__ == "__main__":
    main()
