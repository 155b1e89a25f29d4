"""The learnt per-label prior p(z | y) and the decoder's refinement layers."""

import numpy as np
import pytest
import tensorflow as tf

from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import bce_sum, build_model, kl_divergence
from desktop_cvae.storage import load_model, save_model
from desktop_cvae.train import train


def test_kl_to_a_gaussian_prior_is_the_closed_form():
    rng = np.random.default_rng(0)
    m, lv, pm, plv = (rng.standard_normal((5, 7)) for _ in range(4))
    expected = 0.5 * (plv - lv - 1 + (np.exp(lv) + (m - pm) ** 2) / np.exp(plv)).sum(axis=1)
    f32 = [tf.constant(a, tf.float32) for a in (m, lv, pm, plv)]
    np.testing.assert_allclose(kl_divergence(*f32).numpy(), expected, rtol=1e-5)
    # A prior of N(0, I) gives the standard KL.
    zeros = tf.zeros_like(f32[0])
    np.testing.assert_allclose(kl_divergence(f32[0], f32[1], zeros, zeros).numpy(),
                               kl_divergence(f32[0], f32[1]).numpy(), rtol=1e-5)


@pytest.fixture(scope="module")
def prior_model(sample):
    cfg = ModelConfig(arch="mlp", widths=(64, 32), latent_dim=4, label_in_encoder=False, label_prior=True,
                      classifier_weight=5.0, learning_rate=0.01, epochs=2, batch_size=50, seed=5)
    return train(cfg, sample).model


def test_the_prior_is_learnt_per_label_and_scores_labels(prior_model, sample):
    means, log_vars = np.asarray(prior_model.prior.mean), np.asarray(prior_model.prior.log_var)
    assert means.shape == log_vars.shape == (10, 4)
    assert np.abs(means).max() > 0.1  # moved away from N(0, I)
    assert len({tuple(np.round(r, 4)) for r in means}) == 10  # one Gaussian per label
    # The score of each label is its own evidence bound: reconstruction under the label + KL from p(z | label).
    x = sample.x_test[:3].astype(np.float32)[..., None] / 255.0
    z_mean, z_log_var = prior_model.encode(tf.constant(x))
    onehot = tf.eye(10)
    expected = np.stack([
        bce_sum(prior_model.decode_logits(z_mean, tf.repeat(onehot[c:c + 1], 3, 0)), x).numpy()
        + kl_divergence(z_mean, z_log_var, np.repeat(means[c:c + 1], 3, 0), np.repeat(log_vars[c:c + 1], 3, 0)).numpy()
        for c in range(10)], axis=1)
    np.testing.assert_allclose(Engine(prior_model).label_scores(x[..., 0])[0], expected, rtol=1e-4)


def test_the_prior_survives_save_and_load(prior_model, sample, tmp_path):
    path = tmp_path / "prior.keras"
    save_model(prior_model, path, {"history": {}})
    loaded, _ = load_model(path)
    assert loaded.config.label_prior
    np.testing.assert_array_equal(np.asarray(loaded.prior.mean), np.asarray(prior_model.prior.mean))
    x = sample.x_test[:4].astype(np.float32) / 255.0
    np.testing.assert_allclose(Engine(loaded).label_scores(x)[0], Engine(prior_model).label_scores(x)[0], rtol=1e-5)


def test_generation_from_the_model_prior_uses_the_learnt_gaussian(prior_model):
    engine = Engine(prior_model)
    mean, std = engine.label_prior(3)
    np.testing.assert_allclose(mean, np.asarray(prior_model.prior.mean)[3])
    eps = np.random.default_rng(11).standard_normal((6, 4)).astype(np.float32)
    expected = engine.decode(mean + eps * std, 3)
    np.testing.assert_allclose(engine.generate(3, 6, seed=11, prior="standard"), expected, atol=1e-6)
    # Without a learnt prior the model's prior is N(0, I).
    plain = Engine(build_model(ModelConfig(arch="mlp", latent_dim=4)))
    np.testing.assert_array_equal(plain.label_prior(3)[0], np.zeros(4))
    np.testing.assert_array_equal(plain.label_prior(3)[1], np.ones(4))


def test_refinement_layers_run_at_full_resolution():
    model = build_model(ModelConfig(arch="deepconv", refine_layers=2, latent_dim=3))
    convs = [l for l in model.decoder.layers if type(l).__name__ == "Conv2D"]
    assert len(convs) == 3  # two refinement layers and the logits
    assert all(tuple(l.output.shape[1:3]) == (28, 28) for l in convs)


def test_config_rejects_a_prior_or_refinement_where_they_do_not_apply():
    with pytest.raises(ValueError, match="conditional"):
        ModelConfig(conditional=False, label_prior=True)
    with pytest.raises(ValueError, match="deepconv"):
        ModelConfig(arch="conv", refine_layers=1)
    # Files saved before the fields existed load as models without them.
    old = ModelConfig(arch="deepconv").to_dict()
    del old["label_prior"], old["refine_layers"]
    cfg = ModelConfig.from_dict(old)
    assert not cfg.label_prior and cfg.refine_layers == 0


def test_the_traversal_spans_the_learnt_prior_of_the_label(prior_model):
    from statistics import NormalDist

    engine = Engine(prior_model)
    mean, std = engine.label_prior(6)
    grid = engine.traversal(6, steps=3, dims=(1, 2))
    q = np.array([NormalDist().inv_cdf(p) for p in (0.05, 0.5, 0.95)], dtype=np.float32)
    centre = mean.copy()
    corner = mean.copy()
    corner[1], corner[2] = mean[1] + std[1] * q[2], mean[2] + std[2] * q[0]  # top row: high; left column: low
    np.testing.assert_allclose(grid[1, 1], engine.decode(centre, 6)[0], atol=1e-5)
    np.testing.assert_allclose(grid[0, 0], engine.decode(corner, 6)[0], atol=1e-5)
