"""National handwriting styles: how often a model reads each variant of desktop_cvae/styles.py right, drawn from
MNIST *test* digits (never training digits), beside the same digits as MNIST has them and the whole test set.

    python benchmarks/handwriting_styles.py --data ../shared/data/mnist.npz [--models PATH ...] [--json]
    python benchmarks/handwriting_styles.py --data sample      # the 1,000 shipped test digits: a quick look

For each model and variant it prints the accuracy, what the misread ones were taken for, the mean confidence
the app shows (calibrated probability of its answer) and how many answers fall under the app's "unsure"
threshold; then the same digits unedited, and the test set's accuracy ("watch the test accuracy").
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=None, help="MNIST .npz, or 'sample' for the shipped sample (default: Keras cache)")
    p.add_argument("--models", nargs="*", help="model files (default: the shipped default)")
    p.add_argument("--seed", type=int, default=0, help="seed of the variants' random choices")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()

    from desktop_cvae.calibration import UNSURE_BELOW
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import SAMPLE_ARGUMENT, load_mnist, load_sample
    from desktop_cvae.engine import Engine
    from desktop_cvae.styles import VARIANTS, variants_of

    data = load_sample() if a.data == SAMPLE_ARGUMENT else load_mnist(a.data)
    x_test = data.x_test.astype(np.float32) / 255.0
    y_test = data.y_test.astype(np.int64)
    made = variants_of(x_test, y_test, seed=a.seed)
    results = []
    paths = [Path(p) for p in a.models or [default_model_path()]]
    names = [p.name for p in paths]
    for path in paths:
        engine = Engine.load(path)
        test_scores = engine.bounds(x_test)
        row = {"model": path.name if names.count(path.name) == 1 else str(path), "test_accuracy": round(float((test_scores.argmin(1) == y_test).mean()), 4),
               "variants": {}}
        if not a.json:
            print(f"{row['model']}: test accuracy {row['test_accuracy']:.2%} ({len(y_test)} digits)")
        for name, (images, used) in made.items():
            label = VARIANTS[name][0]
            if not len(images):
                continue
            probs = engine.probabilities(engine.bounds(images))
            answer = probs.argmax(1)
            right = answer == label
            same_digits = float((test_scores[used].argmin(1) == label).mean())
            taken_for = Counter(int(v) for v in answer[~right]).most_common(3)
            confidence = probs.max(1)
            row["variants"][name] = {
                "n": int(len(images)), "accuracy": round(float(right.mean()), 4),
                "unedited_accuracy": round(same_digits, 4), "taken_for": taken_for,
                "mean_confidence": round(float(confidence.mean()), 4),
                "unsure": int((confidence < UNSURE_BELOW).sum()),
                "unsure_when_wrong": int((confidence[~right] < UNSURE_BELOW).sum()),
            }
            if not a.json:
                v = row["variants"][name]
                misread = ", ".join(f"{k} ×{c}" for k, c in taken_for) or "-"
                print(f"  {name:12s} n={v['n']:5d}  {v['accuracy']:7.2%}  (unedited {same_digits:7.2%})  "
                      f"misread as {misread:22s} confidence {v['mean_confidence']:.1%}  "
                      f"unsure {v['unsure']} ({v['unsure_when_wrong']} of the wrong ones)", flush=True)
        results.append(row)
    if a.json:
        print(json.dumps({"data": data.source, "seed": a.seed, "models": results}))


if __name__ == "__main__":
    main()
