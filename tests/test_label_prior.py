"""The per-label prior p(z | y) (learnt, or fitted with a full covariance) and the decoder's refinement layers."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import LabelPrior, bce_sum, build_model, codes_gaussian, kl_divergence
from desktop_cvae.storage import load_model, save_model
from desktop_cvae.train import TrainingFailed, fit_label_prior, split_validation, train

pytestmark = pytest.mark.slow  # its fixtures train models


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
    with pytest.raises(ValueError, match="label_prior"):
        ModelConfig(fitted_prior=True)
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


def _random_gaussians(rng, d):
    """Ten random means and covariances (z, z), positive definite."""
    means = rng.standard_normal((10, d))
    covs = [a @ a.T + 0.1 * np.eye(d) for a in rng.standard_normal((10, d, d))]
    return means, np.stack(covs)


def test_kl_to_a_full_covariance_prior_is_the_closed_form():
    rng = np.random.default_rng(1)
    d = 5
    means, covs = _random_gaussians(rng, d)
    prior = LabelPrior(d, full_covariance=True)
    prior.mean.assign(means.astype(np.float32))
    prior.whiten.assign(np.linalg.inv(np.linalg.cholesky(covs)).astype(np.float32))
    m, lv = rng.standard_normal((2, 6, d))
    labels = np.array([0, 3, 3, 9, 5, 1])
    expected = []
    for mu, log_var, y in zip(m, lv, labels):
        inv = np.linalg.inv(covs[y])
        diff = means[y] - mu
        expected.append(0.5 * (np.trace(inv @ np.diag(np.exp(log_var))) + diff @ inv @ diff - d
                               + np.linalg.slogdet(covs[y])[1] - log_var.sum()))
    got = prior.kl(tf.constant(m, tf.float32), tf.constant(lv, tf.float32), tf.one_hot(labels, 10))
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-4)
    # Its mean and Cholesky factor come back for sampling.
    back_mean, chol = prior.gaussians()
    np.testing.assert_allclose(back_mean, means, rtol=1e-6)
    np.testing.assert_allclose(chol @ np.swapaxes(chol, 1, 2), covs, rtol=1e-4, atol=1e-5)


@pytest.fixture(scope="module")
def fitted_model(sample):
    """Trained like prior_model, then given the full-covariance prior fitted to its training codes."""
    cfg = ModelConfig(arch="mlp", widths=(64, 32), latent_dim=4, label_in_encoder=False, label_prior=True,
                      fitted_prior=True, classifier_weight=5.0, learning_rate=0.01, epochs=2, batch_size=50, seed=5)
    return train(cfg, sample).model


def test_training_with_a_fitted_prior_fits_each_label_to_its_training_codes(fitted_model, prior_model, sample):
    assert fitted_model.config.fitted_prior and fitted_model.prior.full_covariance
    # Same seed and recipe: the encoder and decoder are prior_model's; only the prior differs.
    for a, b in zip(fitted_model.encoder.get_weights() + fitted_model.decoder.get_weights(),
                    prior_model.encoder.get_weights() + prior_model.decoder.get_weights()):
        np.testing.assert_array_equal(a, b)
    x_train, y_train, _, _ = split_validation(sample, fitted_model.config.seed)
    z_mean, z_log_var = (np.asarray(t) for t in fitted_model.encode(tf.constant(x_train)))
    means, chols = fitted_model.prior.gaussians()
    for label in (0, 7):
        mean, cov = codes_gaussian(z_mean[y_train == label], z_log_var[y_train == label])
        np.testing.assert_allclose(means[label], mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(chols[label] @ chols[label].T, cov, rtol=1e-3, atol=1e-4)
    # The fitted Gaussian is the best prior for those codes: their KL term is smaller than under the learnt one.
    onehot = tf.one_hot(y_train, 10)
    kl_fitted = fitted_model.kl(z_mean, z_log_var, onehot).numpy().mean()
    kl_learnt = prior_model.kl(z_mean, z_log_var, onehot).numpy().mean()
    assert kl_fitted < kl_learnt


def test_fitting_the_prior_of_a_trained_model_gives_what_training_with_it_gives(fitted_model, prior_model, sample):
    x_train, y_train, _, _ = split_validation(sample, prior_model.config.seed)
    refitted = fit_label_prior(prior_model, x_train[..., 0], y_train)
    assert refitted.config == fitted_model.config
    x = sample.x_test[:20].astype(np.float32) / 255.0
    np.testing.assert_allclose(Engine(refitted).label_scores(x)[0], Engine(fitted_model).label_scores(x)[0],
                               rtol=1e-5)


def test_a_fitted_prior_survives_save_and_load_and_is_sampled_with_its_covariance(fitted_model, sample, tmp_path):
    path = tmp_path / "fitted.keras"
    save_model(fitted_model, path, {"history": {}})
    loaded, _ = load_model(path)
    assert loaded.config.fitted_prior and loaded.prior.full_covariance
    x = sample.x_test[:4].astype(np.float32) / 255.0
    engine = Engine(loaded)
    np.testing.assert_allclose(engine.label_scores(x)[0], Engine(fitted_model).label_scores(x)[0], rtol=1e-5)
    mean, chol = engine.prior_gaussian(2)
    assert np.count_nonzero(np.tril(chol, -1)) > 0  # correlations kept, not only variances
    eps = np.random.default_rng(4).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(engine.generate(2, 5, seed=4, prior="standard"),
                               engine.decode(mean + eps @ chol.T, 2), atol=1e-6)
    # The traversal spans each dimension's marginal spread.
    np.testing.assert_allclose(engine.label_prior(2)[1], np.sqrt(np.diag(chol @ chol.T)), rtol=1e-5)


def test_a_fitted_prior_with_a_label_missing_from_the_data_fails_before_training(sample):
    import dataclasses

    no_sevens = dataclasses.replace(sample, x_train=sample.x_train[sample.y_train != 7],
                                    y_train=sample.y_train[sample.y_train != 7])
    cfg = ModelConfig(arch="mlp", widths=(16, 8), latent_dim=2, label_prior=True, fitted_prior=True, epochs=50)
    epochs = []
    with pytest.raises(TrainingFailed, match="label 7 has 0"):
        train(cfg, no_sevens, on_epoch=epochs.append)
    assert epochs == []  # said at once, not after 50 epochs


def test_the_report_draws_each_cvae_s_digits_from_its_own_prior(fitted_model):
    from desktop_cvae.report import _from_own_prior

    engine = Engine(fitted_model)
    eps = np.random.default_rng(1).standard_normal((10, 4))
    mean, chol = engine.prior_gaussian(3)
    drawn = _from_own_prior(engine)
    np.testing.assert_allclose(drawn[3], engine.decode((mean + chol @ eps[3]).astype(np.float32), 3)[0], atol=1e-6)
    # not N(0, I), which is this model's prior for no label
    assert not np.allclose(drawn[3], engine.decode(eps[3:4].astype(np.float32), 3)[0], atol=1e-3)


def test_the_fit_prior_script_gives_a_saved_model_its_fitted_prior(prior_model, fitted_model, tmp_path, monkeypatch):
    """scripts/fit_prior.py made the shipped default from the file training saved; it must give what
    training with --fitted-prior gives, and say where the file came from."""
    import runpy

    from desktop_cvae.resources import resource_path
    from desktop_cvae.storage import sha256_file

    learnt, out = tmp_path / "learnt.keras", tmp_path / "fitted.keras"
    save_model(prior_model, learnt, {"history": {"loss": [1.0, 0.5]}})
    script = str(Path(__file__).resolve().parent.parent / "scripts" / "fit_prior.py")
    monkeypatch.setattr("sys.argv", [script, str(learnt), "--data", str(resource_path("mnist_sample.npz")),
                                     "--out", str(out)])
    with pytest.raises(SystemExit) as done:
        runpy.run_path(script, run_name="__main__")
    assert done.value.code == 0
    loaded, meta = load_model(out)
    assert loaded.config == fitted_model.config
    x = np.arange(4 * 784, dtype=np.float32).reshape(4, 28, 28) % 7 / 7
    np.testing.assert_allclose(Engine(loaded).label_scores(x)[0], Engine(fitted_model).label_scores(x)[0], rtol=1e-5)
    assert meta["history"] == {"loss": [1.0, 0.5]}
    assert meta["prior_fitted_to"] == {"file": "learnt.keras", "sha256": sha256_file(learnt)}
    assert 0 <= meta["metrics"]["accuracy"] <= 1


def test_continuing_a_model_starts_from_its_weights_and_refits_its_prior(fitted_model, sample):
    cfg = fitted_model.config.continued(epochs=1, classifier_weight=0.0, learning_rate=1e-12)
    assert cfg.fitted_prior and cfg.latent_dim == fitted_model.config.latent_dim and cfg.classifier_weight == 0
    # At a vanishing learning rate the learnt weights stay the trained ones (batch norm's running statistics,
    # which this MLP has, still move, and with them the codes the prior is refitted to).
    still = train(cfg, sample, init_from=fitted_model).model
    assert still.prior.full_covariance
    for a, b in zip(still.trainable_weights, fitted_model.trainable_weights, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # At a real one, its first epoch starts where the trained model is, far below a new model's first epoch.
    cfg = fitted_model.config.continued(epochs=1, learning_rate=1e-3)
    continued = train(cfg, sample, init_from=fitted_model)
    fresh = train(cfg, sample)
    assert continued.history["val_loss"][0] < fresh.history["val_loss"][0] - 20
    x = sample.x_test[:200].astype(np.float32) / 255.0
    assert not np.allclose(Engine(continued.model).label_scores(x)[0], Engine(fitted_model).label_scores(x)[0])


def test_continuing_keeps_the_architecture_and_the_validation_split(fitted_model, sample):
    with pytest.raises(ValueError, match="latent_dim"):
        fitted_model.config.continued(latent_dim=8)
    with pytest.raises(ValueError, match="seed"):  # another seed would hold out other validation digits
        fitted_model.config.continued(seed=1)
    other = ModelConfig(arch="mlp", widths=(64, 32), latent_dim=8, label_in_encoder=False, label_prior=True,
                        epochs=1, batch_size=50, seed=5)
    with pytest.raises(ValueError, match="latent_dim"):
        train(other, sample, init_from=fitted_model)
