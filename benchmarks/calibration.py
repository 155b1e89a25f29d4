"""Calibration of the label probabilities: the bound's own (T = 1), the fitted temperature the app uses, and the
principled alternative, an importance-weighted bound (IWAE) per label with K samples, which approaches
log p(x | y) itself and so needs no temperature.

    python benchmarks/calibration.py --data ../shared/data/mnist.npz [--models NAME ...] [--n 2000] [--k 64] [--json]

For each shipped CVAE (default: all), on the first n test digits, clean and with Gaussian noise σ = 0.3: ECE
(15 bins), NLL of the true label and accuracy of each method. IWAE_y = log mean_k p(x | z_k, y) p(z_k | y) /
q(z_k | x, y), with z_k from the encoder's posterior.
"""

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from desktop_cvae.tensorflow_loader import load_tensorflow  # noqa: E402


def iwae_scores(engine, images: np.ndarray, k: int, seed: int = 0, batch: int = 100) -> np.ndarray:
    """-IWAE_K(x, y) for every image and label: (n, 10), in nats, comparable with the bound's scores."""
    import tensorflow as tf

    from desktop_cvae.model import NUM_CLASSES, bce_sum, encoder_takes_label

    model = engine.model
    rng = np.random.default_rng(seed)
    prior = model.prior.gaussians() if model.prior is not None else None  # (means, Cholesky factors) per label
    d = engine.latent_dim
    out = []
    for start in range(0, len(images), batch):
        x = images[start:start + batch, :, :, None].astype(np.float32)
        b = len(x)
        xs = np.repeat(x, k, axis=0)  # (b*k, 28, 28, 1): each image k times, its samples together
        per_label = np.zeros((b, NUM_CLASSES))
        shared = None
        for y in range(NUM_CLASSES):
            onehot = np.zeros((b, NUM_CLASSES), np.float32)
            onehot[:, y] = 1
            if encoder_takes_label(model.config) or shared is None:
                mean, log_var = (t.numpy().astype(np.float64) for t in model.encode(
                    tf.constant(x), tf.constant(onehot) if encoder_takes_label(model.config) else None))
                eps = rng.standard_normal((b, k, d))
                z = mean[:, None] + np.exp(0.5 * log_var)[:, None] * eps  # (b, k, d)
                log_q = -0.5 * (np.log(2 * np.pi) + log_var[:, None] + eps ** 2).sum(-1)
                if not encoder_takes_label(model.config):
                    shared = (z, log_q)
            else:
                z, log_q = shared
            zs = tf.constant(z.reshape(b * k, d), tf.float32)
            if model.decoder_sees_label or y == 0:
                labels = tf.constant(np.repeat(onehot, k, axis=0)) if model.decoder_sees_label else None
                logits = model.decode_logits(zs, labels, images=tf.constant(xs))
                log_px = -bce_sum(logits, xs).numpy().astype(np.float64).reshape(b, k)
            if prior is None:
                log_pz = -0.5 * (np.log(2 * np.pi) + z ** 2).sum(-1)
            else:
                m, chol = prior[0][y], prior[1][y]
                white = np.linalg.solve(chol, (z - m).reshape(-1, d).T).T.reshape(b, k, d)
                log_pz = -0.5 * (white ** 2).sum(-1) - np.log(np.abs(np.diag(chol))).sum() - 0.5 * d * np.log(2 * np.pi)
            log_w = log_px + log_pz - log_q  # (b, k)
            top = log_w.max(axis=1, keepdims=True)
            per_label[:, y] = -(top[:, 0] + np.log(np.exp(log_w - top).mean(axis=1)))
        out.append(per_label)
    return np.concatenate(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True, help="MNIST .npz (its test split is used)")
    p.add_argument("--models", nargs="*", default=["default", "seed-conv-cvae", "seed-mlp-cvae"])
    p.add_argument("--n", type=int, default=2000, help="test digits (the first n)")
    p.add_argument("--k", type=int, default=64, help="IWAE samples per label")
    p.add_argument("--json", action="store_true")
    a = p.parse_args()
    load_tensorflow()
    from desktop_cvae import calibration
    from desktop_cvae.data import load_mnist
    from desktop_cvae.engine import Engine
    from desktop_cvae.vision.preprocess import add_noise
    from desktop_cvae.resources import shipped_models_dir

    data = load_mnist(a.data)
    x = data.x_test[:a.n].astype(np.float32) / 255.0
    y = data.y_test[:a.n].astype(int)
    results = {"n": a.n, "k": a.k, "models": {}}
    for name in a.models:
        engine = Engine.load(shipped_models_dir() / f"{name}.keras")
        rows = {}
        for condition, images in (("clean", x), ("sigma 0.3", add_noise(x, sigma=0.3, seed=0))):
            bound = engine.bounds(images)
            iwae = iwae_scores(engine, images, a.k)
            for method, scores, t in (("bound, T = 1", bound, 1.0), (f"bound, T = {engine.temperature:.3g}", bound,
                                      engine.temperature), (f"IWAE, K = {a.k}", iwae, 1.0)):
                probs = calibration.probabilities(scores, t)
                rows.setdefault(method, {})[condition] = {
                    "ece": round(calibration.reliability(probs, y).ece, 4),
                    "nll": round(calibration.nll(scores, y, t), 4),
                    "accuracy": round(float(np.mean(probs.argmax(1) == y)), 4)}
        results["models"][name] = rows
        if not a.json:
            for method, r in rows.items():
                print(f"{name:15s} {method:18s} " + "   ".join(
                    f"{c}: ECE {v['ece']:6.2%} NLL {v['nll']:.3f} acc {v['accuracy']:.2%}" for c, v in r.items()),
                    flush=True)
    if a.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
