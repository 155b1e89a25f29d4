"""The Explain view's numbers (module explain, Engine.bound_terms) and the tab that shows them live."""

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
