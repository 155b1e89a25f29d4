"""Test-set metrics: -ELBO (one posterior sample, beta = 1), generative-classifier accuracy, accuracy under
Gaussian noise, the expected calibration error of the probabilities shown, and the reference distribution the
engine uses to say "this does not look like a digit".
"""

from __future__ import annotations

import numpy as np

from . import calibration
from .calibration import Reliability
from .data import Dataset
from .engine import Engine
from .vision.preprocess import add_noise

NOISE_LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5)


def _scores(engine: Engine, x: np.ndarray, sigma: float = 0.0, seed: int = 0) -> np.ndarray:
    """Every label's -ELBO for x, with Gaussian noise `sigma` added first."""
    return engine.bounds(add_noise(x, sigma=sigma, seed=seed) if sigma > 0 else x)


def reliability(engine: Engine, x: np.ndarray, y: np.ndarray, sigma: float = 0.0, seed: int = 0) -> Reliability:
    """How well the model's calibrated probabilities match its accuracy on x (with Gaussian noise `sigma`)."""
    return calibration.reliability(engine.probabilities(_scores(engine, x, sigma, seed)), y)


def confusion_matrix(true: np.ndarray, predicted: np.ndarray, classes: int = 10) -> np.ndarray:
    """Counts (classes, classes): row = the true label, column = the label read."""
    out = np.zeros((classes, classes), np.int64)
    np.add.at(out, (np.asarray(true, np.int64), np.asarray(predicted, np.int64)), 1)
    return out


def per_class_accuracy(confusion: np.ndarray) -> np.ndarray:
    """Each true label's share read right; NaN for a label with no digits."""
    totals = confusion.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(totals > 0, np.diag(confusion) / np.maximum(totals, 1), np.nan)


def evaluate(engine: Engine, data: Dataset, noise_sigmas=(), seed: int = 0) -> dict:
    """Metrics on data's test split, as `desktop-cvae evaluate` prints them."""
    x = Dataset.images(data.x_test)[..., 0]  # (n, 28, 28)
    y = data.y_test.astype(np.int32)
    rec, kl = engine.neg_elbo_sampled(x, y, seed=seed)
    result = {
        "n": int(len(x)),
        "accuracy": None,
        "neg_elbo": float(np.mean(rec + kl)),
        "reconstruction": float(np.mean(rec)),
        "kl": float(np.mean(kl)),
        "noise": {},
    }
    if engine.conditional:
        # Each set scored once: accuracy, and the expected calibration error (15 bins) of the probabilities the
        # app shows, clean and at each noise level.
        scores = {None: _scores(engine, x), **{f"{s:g}": _scores(engine, x, s, seed) for s in noise_sigmas}}
        accuracy = {k: float(np.mean(v.argmin(axis=1) == y)) for k, v in scores.items()}
        ece = {k: calibration.reliability(engine.probabilities(v), y).ece for k, v in scores.items()}
        result["accuracy"] = accuracy.pop(None)
        result["noise"] = accuracy
        confusion = confusion_matrix(y, scores[None].argmin(axis=1))
        result["confusion"] = confusion.tolist()
        result["per_class_accuracy"] = per_class_accuracy(confusion).tolist()
        result["calibration"] = {"temperature": engine.temperature, "ece": ece.pop(None), "noise_ece": ece}
    return result


def ood_reference(engine: Engine, data: Dataset) -> list[float]:
    """Percentiles 0, 0.5, ..., 100 of the test set's best -ELBO, for Engine.ood_percentile."""
    _, best = engine.best_scores(Dataset.images(data.x_test)[..., 0])
    return [float(v) for v in np.percentile(best, np.linspace(0, 100, 201))]
