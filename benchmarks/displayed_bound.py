"""The bound the app shows against the reported one, and how closely its drawings follow the input, per model.

    python benchmarks/displayed_bound.py [--models PATH ...] [--json]

The app scores and draws the decode of each image's posterior mean; the reported test -ELBO uses one
posterior sample. A model whose decoder learnt to expect the sampling noise (most of its latent dimensions
unused) shows blurred reconstructions and bounds far above the reported one while still recognising digits
well. A model whose latent code carries little (a decoder that explains pixels from their neighbours can
get there) can have a good bound and still draw the label more than the person's stroke: the drawing's
mean absolute difference from the input (grey levels in [0, 1]) is set against that of the nearest other
digit of the same label in the sample, which is what showing a stored digit instead would cost. Measured
on the shipped sample's 1,000 test digits, under each digit's true label.
"""

import argparse
import json
from pathlib import Path

import numpy as np


def displayed_and_sampled(engine, images: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Mean -ELBO at the posterior mean (what the app shows) and with one posterior sample (as reported)."""
    scores, _, _ = engine.label_scores(images)
    rec, kl = engine.neg_elbo_sampled(images, labels)
    return float(np.mean(scores[np.arange(len(labels)), labels])), float(np.mean(rec + kl))


def drawing_error(engine, images: np.ndarray, labels: np.ndarray) -> float:
    """Mean absolute difference between each image and the model's drawing of it under its label."""
    _, _, drawings = engine.label_scores(images)
    return float(np.mean(np.abs(drawings[np.arange(len(labels)), labels] - images)))


def nearest_other_error(images: np.ndarray, labels: np.ndarray) -> float:
    """Mean absolute difference between each image and the closest other image of its label."""
    flat = images.reshape(len(images), -1).astype(np.float32)
    nearest = np.empty(len(flat))
    for i, row in enumerate(flat):
        others = np.flatnonzero(labels == labels[i])
        others = others[others != i]
        nearest[i] = np.abs(flat[others] - row).mean(axis=1).min()
    return float(nearest.mean())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", nargs="*", help="model files (default: the shipped default)")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.data import load_sample
    from desktop_cvae.engine import Engine

    sample = load_sample()
    images, labels = sample.x_test.astype(np.float32) / 255.0, sample.y_test
    result = {"n": len(labels), "nearest_other_error": round(nearest_other_error(images, labels), 4), "models": {}}
    for path in [Path(m) for m in a.models] if a.models else [default_model_path()]:
        engine = Engine.load(path)
        shown, sampled = displayed_and_sampled(engine, images, labels)
        result["models"][path.name] = {"displayed": round(shown, 1), "sampled": round(sampled, 1),
                                       "drawing_error": round(drawing_error(engine, images, labels), 4)}
    if a.json:
        print(json.dumps(result))
        return
    print(f"nearest other digit of the same label: {result['nearest_other_error']:.4f} mean absolute difference")
    for name, row in result["models"].items():
        print(f"{name}: displayed -ELBO {row['displayed']:.1f}, sampled {row['sampled']:.1f} nats; "
              f"drawing {row['drawing_error']:.4f} mean absolute difference")


if __name__ == "__main__":
    main()
