"""Probabilities that mean what they say: the CVAE's per-label scores turned into calibrated p(label | input).

The model scores each label by its negative evidence bound, -ELBO(x, y), and Bayes' rule with a uniform label prior
gives p(y | x) = softmax(-score). The bound is loose, and its gap is not the same for every label, so those
probabilities come out far too sure: 0 % or 100 %, wrong answers included. Temperature scaling (Guo et al., "On
Calibration of Modern Neural Networks", 2017) divides the scores by one number T > 1 per model. T is chosen to
minimise the negative log-likelihood of validation digits the training held out. The order of the labels, and so
the accuracy, stays as it was; only the confidence changes. T is stored in the model's sidecar and refitted after
every training.

How close a model comes is its expected calibration error (ECE): the digits are put in 15 bins by their top
probability, and ECE is the mean gap between each bin's confidence and its accuracy, weighted by the bin's size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_BINS = 15
UNSURE_BELOW = 0.80  # below this top probability the app says it is unsure and names the runner-up
_LOG_T_RANGE = (-3.0, 8.0)  # T from 0.05 to ~3000: far beyond any temperature a model has needed


def probabilities(scores: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """p(y | x) from -ELBO(x, y) (..., 10) with a uniform prior over labels, at `temperature`."""
    s = -(np.asarray(scores, np.float64) - np.min(scores, axis=-1, keepdims=True)) / temperature
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def runner_up_if_unsure(probs: np.ndarray) -> int | None:
    """The second most likely label when the most likely one is below UNSURE_BELOW, else None: what the app and
    the command line name beside an answer they are unsure of."""
    order = np.argsort(probs)
    return int(order[-2]) if probs[order[-1]] < UNSURE_BELOW else None


def nll(scores: np.ndarray, labels: np.ndarray, temperature: float = 1.0) -> float:
    """Mean negative log-likelihood of the true labels, in nats."""
    s = -np.asarray(scores, np.float64) / temperature
    top = s.max(axis=1, keepdims=True)
    log_z = top[:, 0] + np.log(np.exp(s - top).sum(axis=1))
    return float(np.mean(log_z - s[np.arange(len(s)), labels]))


def fit_temperature(scores: np.ndarray, labels: np.ndarray) -> float:
    """The T that minimises the validation NLL. The NLL is convex in 1/T, and its derivative with respect to 1/T
    is mean(score of the true label - expected score under p), which rises from negative (uniform p) towards
    zero or above (p on the best label): bisection on log T finds where it crosses."""
    s = np.asarray(scores, np.float64)
    s = s - s.min(axis=1, keepdims=True)
    true = s[np.arange(len(s)), np.asarray(labels)]

    def slope(log_t: float) -> float:  # d NLL / d(1/T), in the units of the scores
        p = probabilities(s, float(np.exp(log_t)))
        return float(np.mean(true - (p * s).sum(axis=1)))

    # slope rises with 1/T, so it falls with log T. Still negative at the coldest T: every validation digit is
    # ranked right, and sharper is always better. Still positive at the hottest: uniform is best. Else bisect.
    lo, hi = _LOG_T_RANGE
    if slope(lo) <= 0:
        return float(np.exp(lo))
    if slope(hi) >= 0:
        return float(np.exp(hi))
    for _ in range(60):
        mid = (lo + hi) / 2
        if slope(mid) > 0:
            lo = mid
        else:
            hi = mid
    return float(np.exp((lo + hi) / 2))


def fit(engine, images: np.ndarray, labels: np.ndarray) -> dict:
    """The sidecar's "calibration" entry for a model: its temperature fitted on `images` (n, 28, 28), which
    must be digits its training held out, and what that did to their NLL."""
    scores = engine.bounds(images)
    labels = np.asarray(labels)
    t = fit_temperature(scores, labels)
    return {"temperature": round(t, 6), "fitted_on": "validation hold-out", "n": int(len(labels)),
            "validation_nll": {"before": round(nll(scores, labels), 6), "after": round(nll(scores, labels, t), 6)}}


@dataclass
class Reliability:
    """A reliability diagram's bins and the expected calibration error."""

    ece: float  # a fraction: 0.01 is 1 %
    counts: np.ndarray  # (N_BINS,) digits per bin of top probability
    confidence: np.ndarray  # (N_BINS,) mean top probability in each bin (nan where empty)
    accuracy: np.ndarray  # (N_BINS,) fraction right in each bin (nan where empty)

    def to_json(self) -> dict:
        as_list = lambda a: [None if np.isnan(v) else round(float(v), 6) for v in a]  # noqa: E731
        return {"ece": round(self.ece, 6), "bins": N_BINS, "counts": [int(c) for c in self.counts],
                "confidence": as_list(self.confidence), "accuracy": as_list(self.accuracy)}


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = N_BINS) -> Reliability:
    """ECE over `bins` equal-width bins of the top probability, with each bin's confidence and accuracy."""
    probs = np.asarray(probs, np.float64)
    top = probs.max(axis=1)
    right = probs.argmax(axis=1) == np.asarray(labels)
    which = np.minimum((top * bins).astype(int), bins - 1)  # a top probability of 1.0 goes in the last bin
    counts = np.bincount(which, minlength=bins)
    with np.errstate(invalid="ignore"):
        confidence = np.bincount(which, weights=top, minlength=bins) / counts
        accuracy = np.bincount(which, weights=right, minlength=bins) / counts
    filled = counts > 0
    ece = float(np.sum(counts[filled] * np.abs(accuracy[filled] - confidence[filled])) / len(top))
    return Reliability(ece, counts, confidence, accuracy)


def draw_reliability(ax, curves: dict[str, Reliability], legend: bool = True) -> None:
    """A reliability diagram on a matplotlib Axes: each curve's accuracy against its confidence, per bin, with
    the diagonal a perfectly calibrated model would follow. Used by the report and the compare dialog."""
    ax.plot([0, 1], [0, 1], color="0.6", linestyle="--", linewidth=1, label="perfectly calibrated")
    for name, r in curves.items():
        filled = r.counts > 0
        ax.plot(r.confidence[filled], r.accuracy[filled], marker="o", markersize=3,
                label=f"{name} (ECE {100 * r.ece:.2f} %)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("confidence (top probability)")
    ax.set_ylabel("accuracy")
    if legend:
        ax.legend(fontsize=7, loc="upper left")
