"""Calibrated probabilities: the temperature fit, the expected calibration error, where the temperature is kept and
used (sidecar, engine, training), and what the app and the command line say when the model is unsure."""

import json

import numpy as np
import pytest

from desktop_cvae import calibration
from desktop_cvae.engine import Engine, stored_temperature


def synthetic_scores(n, temperature, seed=0):
    """Scores whose labels are drawn from softmax(-scores / temperature): calibrated at exactly that temperature."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(0, 6, size=(n, 10))
    p = calibration.probabilities(scores, temperature)
    labels = np.array([rng.choice(10, p=row) for row in p])
    return scores, labels


def test_the_fit_finds_the_temperature_the_labels_were_drawn_at():
    for true_t in (0.5, 3.0, 12.0):
        scores, labels = synthetic_scores(20_000, true_t)
        assert calibration.fit_temperature(scores, labels) == pytest.approx(true_t, rel=0.1)


def test_the_fitted_temperature_minimises_the_nll_and_keeps_the_ranking():
    scores, labels = synthetic_scores(5000, 4.0, seed=1)
    t = calibration.fit_temperature(scores, labels)
    assert calibration.nll(scores, labels, t) <= min(calibration.nll(scores, labels, t * f) for f in (0.8, 1.25))
    assert np.array_equal(calibration.probabilities(scores, t).argmax(1), calibration.probabilities(scores).argmax(1))


def test_ranked_right_everywhere_means_as_sharp_as_allowed():
    scores = np.tile(np.arange(10.0), (50, 1))  # label 0 always best, and always right
    assert calibration.fit_temperature(scores, np.zeros(50, int)) < 0.1


def test_ece_is_near_zero_when_calibrated_and_large_when_overconfident():
    scores, labels = synthetic_scores(20_000, 5.0, seed=2)
    calibrated = calibration.reliability(calibration.probabilities(scores, 5.0), labels)
    overconfident = calibration.reliability(calibration.probabilities(scores, 0.5), labels)
    assert calibrated.ece < 0.02 and overconfident.ece > 0.2
    assert calibrated.counts.sum() == 20_000 and len(calibrated.counts) == calibration.N_BINS
    filled = calibrated.counts > 0
    assert np.all((calibrated.confidence[filled] >= 0) & (calibrated.confidence[filled] <= 1))
    json.dumps(calibrated.to_json())  # empty bins become null, not NaN


def test_runner_up_is_named_only_below_the_threshold():
    assert calibration.runner_up_if_unsure(np.array([0.05, 0.9, 0.05] + [0] * 7)) is None
    assert calibration.runner_up_if_unsure(np.array([0.3, 0.6, 0.1] + [0] * 7)) == 0


def test_the_stored_temperature_is_used_and_a_nonsense_one_is_ignored():
    assert stored_temperature({"calibration": {"temperature": 2.5}}) == 2.5
    for bad in ({}, {"calibration": None}, {"calibration": {"temperature": "hot"}},
                {"calibration": {"temperature": -1}}, {"calibration": {"temperature": float("nan")}}):
        assert stored_temperature(bad) == 1.0


def test_shipped_cvaes_carry_a_temperature_and_the_engine_applies_it(default_engine, sample):
    assert default_engine.temperature == pytest.approx(default_engine.meta["calibration"]["temperature"])
    assert default_engine.temperature != 1.0
    x = sample.x_test[:20] / 255.0
    scores = default_engine.bounds(x)
    a = default_engine.analyze(x[0])
    assert np.allclose(a.probabilities, calibration.probabilities(scores[0], default_engine.temperature), atol=1e-5)
    assert not np.allclose(a.probabilities, calibration.probabilities(scores[0]), atol=1e-5)


def test_training_fits_a_temperature_and_evaluates_calibration(tiny_model_path, sample):
    from desktop_cvae.storage import read_sidecar

    meta = read_sidecar(tiny_model_path)
    c = meta["calibration"]
    assert c["fitted_on"] == "validation hold-out" and c["n"] == 100 and c["temperature"] > 0
    assert c["validation_nll"]["after"] <= c["validation_nll"]["before"] + 1e-9
    assert set(meta["metrics"]["calibration"]) == {"temperature", "ece", "noise_ece"}
    assert Engine.load(tiny_model_path).temperature == pytest.approx(c["temperature"])
