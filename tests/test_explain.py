"""What explains how a CVAE thinks and learns: the Explain numbers (module explain, Engine.bound_terms), the
confusion matrix of the test split, and the bound's accuracy as a classifier after every training epoch."""

import numpy as np
import pytest

from desktop_cvae.catalog import shipped_models_dir
from desktop_cvae.engine import Engine


@pytest.fixture(scope="module")
def engines():
    return {name: Engine.load(shipped_models_dir() / f"{name}.keras")
            for name in ("default", "seed-conv-cvae", "seed-mlp-vae")}


@pytest.mark.parametrize("name", ["default", "seed-conv-cvae"])
def test_the_two_terms_add_up_to_the_bound_the_answer_comes_from(engines, sample, name):
    engine = engines[name]
    for i in (0, 7, 21):
        pixels = sample.x_test[i] / 255.0
        ex = engine.bound_terms(pixels)
        scores = engine.label_scores(pixels[None])[0][0]
        np.testing.assert_allclose(ex.neg_elbo, scores, rtol=1e-5, atol=1e-3)
        assert ex.winner == engine.analyze(pixels).recognised
        np.testing.assert_allclose(ex.probabilities, engine.analyze(pixels).probabilities, atol=1e-6)
        assert (ex.kl >= 0).all() and (ex.reconstruction > 0).all()
        assert ex.mean.shape == ex.sigma.shape == ex.z.shape == (engine.latent_dim,) and (ex.sigma > 0).all()


def test_a_decoder_without_the_label_decides_by_kl_alone(engines, sample):
    # The default's label enters only its prior: one decoder pass, the same reconstruction term for every label.
    ex = engines["default"].bound_terms(sample.x_test[3] / 255.0)
    assert np.ptp(ex.reconstruction) < 1e-3 and np.ptp(ex.kl) > 1.0
    why = ex.why()
    runner_up = int(np.argsort(ex.neg_elbo)[1])
    assert why.startswith(f"{ex.winner} wins over the runner-up {runner_up}") and "typical of" in why
    assert "redraw" not in why  # the reconstruction did not decide, so the sentence does not say it did


def test_a_plain_vae_has_one_bound_and_no_winner(engines, sample):
    ex = engines["seed-mlp-vae"].bound_terms(sample.x_test[0] / 255.0)
    assert ex.reconstruction.shape == ex.kl.shape == (1,) and ex.winner is None and ex.probabilities is None
    assert "plain VAE" in ex.why()


def test_the_confusion_matrix_counts_every_test_digit_once(engines, sample):
    from desktop_cvae.evaluate import evaluate

    m = evaluate(engines["seed-conv-cvae"], sample)
    confusion = np.asarray(m["confusion"])
    assert confusion.shape == (10, 10) and confusion.sum() == len(sample.y_test)
    assert (confusion.sum(axis=1) == np.bincount(sample.y_test, minlength=10)).all()  # rows: the true labels
    assert np.trace(confusion) / confusion.sum() == pytest.approx(m["accuracy"])
    np.testing.assert_allclose(m["per_class_accuracy"], np.diag(confusion) / confusion.sum(axis=1))
    assert "confusion" not in evaluate(engines["seed-mlp-vae"], sample)  # a plain VAE reads no labels


@pytest.mark.slow
def test_training_measures_the_bound_as_a_classifier_after_every_epoch(sample):
    from desktop_cvae.config import ModelConfig
    from desktop_cvae.train import train

    result = train(ModelConfig(arch="mlp", latent_dim=2, epochs=2, batch_size=100, seed=5), sample)
    accuracy = result.history["val_accuracy"]
    assert len(accuracy) == 2 and all(0 < a <= 1 for a in accuracy)
    assert "accuracy" not in result.history  # measured on validation only
    plain = train(ModelConfig(arch="mlp", latent_dim=2, epochs=1, batch_size=100, seed=5, conditional=False), sample)
    assert "val_accuracy" not in plain.history
