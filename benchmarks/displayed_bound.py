"""The bound the app shows against the reported one, per model.

    python benchmarks/displayed_bound.py [--models PATH ...] [--json]

The app scores and draws the decode of each image's posterior mean; the reported test -ELBO uses one
posterior sample. A model whose decoder learnt to expect the sampling noise (most of its latent dimensions
unused) shows blurred reconstructions and bounds far above the reported one while still recognising digits
well. Measured on the shipped sample's 1,000 test digits, under each digit's true label.
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
    result = {"n": len(labels), "models": {}}
    for path in [Path(m) for m in a.models] if a.models else [default_model_path()]:
        shown, sampled = displayed_and_sampled(Engine.load(path), images, labels)
        result["models"][path.name] = {"displayed": round(shown, 1), "sampled": round(sampled, 1)}
    if a.json:
        print(json.dumps(result))
        return
    for name, row in result["models"].items():
        print(f"{name}: displayed -ELBO {row['displayed']:.1f}, sampled {row['sampled']:.1f} nats")


if __name__ == "__main__":
    main()
