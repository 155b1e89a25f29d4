"""Recognition of the kinds of picture people hand the app, end to end: file bytes -> decode -> normalise ->
the model's recognition.

    python benchmarks/people_inputs.py [--n 200] [--kinds NAME ...] [--model PATH] [--seed 0] [--json]
    python benchmarks/people_inputs.py --blank 10 [--kinds NAME ...]   # pictures of each kind with no digit

Each test digit of the shipped sample (the first n of an even spread over its 1,000, all labels alike) is
rendered as every kind of input in benchmarks/imagegen.py (phone photos, scans, screenshots, the sheet on a
desk, ruled paper, pencil, a hand's shadow, ...), seeded (--seed draws other pictures of the same digits), and
goes through exactly what opening the file in the app does. "clean" is the same digits as MNIST gives them: the
model's own ceiling. A picture in which normalisation finds no ink counts as wrong and is counted apart ("no
ink"). "ece" is the expected calibration error (15 bins) of the probabilities the app shows for the pictures it
read, per kind and over all kinds together ("ece_all": 200 pictures make a noisy ECE on their own).

With --blank N, each kind is rendered N times (seeds 0..N-1) with no digit at all, and the pictures are
counted as refused ("no ink"), flagged by the model ("does not look like a digit") or passed as a digit. The kinds
that draw a ring or a line round the digit are skipped: what they draw is ink of its own. A form's printed box with
no digit in it is a blank form's empty field, and counts like the others.
"""

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np

import imagegen


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--n", type=int, default=200, help="test digits of the shipped sample, spread over its labels")
    p.add_argument("--kinds", nargs="*", help=f"kinds (default all): {', '.join(imagegen.KINDS)}".replace("%", "%%"))
    p.add_argument("--model", help="model file (default: the shipped default)")
    p.add_argument("--seed", type=int, default=0, help="seed of the pictures' random choices (default 0: the docs')")
    p.add_argument("--blank", type=int, default=0, help="instead: this many pictures of each kind with no digit")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.calibration import reliability
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_sample
    from desktop_cvae.engine import Engine
    from desktop_cvae.numbers.digit import normalize_image
    from desktop_cvae.vision.imageio import decode_image
    from desktop_cvae.vision.preprocess import NoInkError

    if a.blank:
        engine = Engine.load(Path(a.model) if a.model else default_model_path())
        blank = {}
        for kind in a.kinds or list(imagegen.KINDS):
            if getattr(imagegen.KINDS[kind], "marks_round_the_digit", False):
                if not a.json:
                    print(f"{kind:15s} skipped: what is drawn round the digit is ink of its own", flush=True)
                continue
            counts = {"no_ink": 0, "flagged": 0, "passed": 0}
            for seed in range(a.blank):
                data = imagegen.KINDS[kind](np.zeros((28, 28), np.float32), np.random.default_rng(seed))
                try:
                    pixels = normalize_image(decode_image(io.BytesIO(data))).pixels
                except NoInkError:
                    counts["no_ink"] += 1
                    continue
                counts["passed" if engine.analyze(pixels).looks_like_digit else "flagged"] += 1
            blank[kind] = counts
            if not a.json:
                print(f"{kind:15s} no digit: {counts}", flush=True)
        if a.json:
            print(json.dumps({"blank": a.blank, "kinds": blank}))
        return

    sample = load_sample()
    idx = np.linspace(0, len(sample.x_test) - 1, a.n).round().astype(int)
    digits, labels = sample.x_test[idx].astype(np.float32) / 255.0, sample.y_test[idx]
    engine = Engine.load(Path(a.model) if a.model else default_model_path())
    clean, _ = engine.best_scores(digits)
    result = {"n": int(a.n), "seed": a.seed, "model": (Path(a.model) if a.model else default_model_path()).name,
              "clean": round(float(np.mean(clean == labels)), 4), "kinds": {}}
    all_probs, all_labels = [], []
    for kind in a.kinds or list(imagegen.KINDS):
        rng = np.random.default_rng(a.seed)
        pixels, ms, no_ink = np.zeros((a.n, 28, 28), np.float32), [], 0
        for j, digit in enumerate(digits):
            data = imagegen.KINDS[kind](digit, rng)
            t = time.perf_counter()
            try:
                pixels[j] = normalize_image(decode_image(io.BytesIO(data))).pixels
            except NoInkError:
                no_ink += 1
                pixels[j] = -1  # marked: never counted right
            ms.append((time.perf_counter() - t) * 1000)
        read = pixels[:, 0, 0] >= 0
        scores = engine.bounds(np.clip(pixels, 0, 1))
        right = (scores.argmin(axis=1) == labels) & read
        probs = engine.probabilities(scores[read])
        all_probs.append(probs)
        all_labels.append(labels[read])
        ece = reliability(probs, labels[read]).ece
        result["kinds"][kind] = {"accuracy": round(float(right.mean()), 4), "no_ink": no_ink,
                                 "ece": round(ece, 4), "normalise_ms_p50": round(float(np.median(ms)), 1)}
        if not a.json:
            print(f"{kind:15s} {right.mean():7.1%}   no ink {no_ink:3d}   ECE {ece:6.2%}   "
                  f"normalise {np.median(ms):5.1f} ms", flush=True)
    result["ece_all"] = round(reliability(np.concatenate(all_probs), np.concatenate(all_labels)).ece, 4)
    if a.json:
        print(json.dumps(result))
    else:
        print(f"{'clean':15s} {result['clean']:7.1%}\nECE over all kinds: {result['ece_all']:.2%}")


if __name__ == "__main__":
    main()
