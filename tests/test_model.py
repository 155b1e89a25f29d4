"""Model shapes for every architecture, training that learns, reproducibility, cancel and divergence."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from desktop_cvae.augment import blur_half
from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import build_model
from desktop_cvae.train import TrainingCancelled, TrainingFailed, train


@pytest.mark.parametrize("arch", ["conv", "mlp", "deepconv"])
@pytest.mark.parametrize("conditional,label_in_encoder", [(True, True), (True, False), (False, False)])
def test_shapes(arch, conditional, label_in_encoder):
    cfg = ModelConfig(arch=arch, conditional=conditional, label_in_encoder=label_in_encoder, latent_dim=5)
    model = build_model(cfg)
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    onehot = tf.constant(np.eye(10, dtype=np.float32)[[0, 1, 2, 3]])
    mean, log_var = model.encode(tf.constant(x), onehot if conditional else None)
    assert len(model.encoder.inputs) == (2 if conditional and label_in_encoder else 1)
    assert tuple(mean.shape) == (4, 5) and tuple(log_var.shape) == (4, 5)
    logits = model.decode_logits(mean, onehot if conditional else None, tf.constant(x))
    assert tuple(logits.shape) == (4, 28, 28, 1)
    engine = Engine(model)
    a = engine.analyze(x[0, ..., 0])
    assert a.reconstruction.shape == (28, 28) and 0 <= a.reconstruction.min() and a.reconstruction.max() <= 1
    if conditional:
        assert a.probabilities.shape == (10,) and abs(a.probabilities.sum() - 1) < 1e-6
        scores = engine.label_scores(x[:2, ..., 0])[0]
        np.testing.assert_allclose(scores, model.label_scores(tf.constant(x[:2])).numpy(), rtol=1e-4)
    else:
        assert a.probabilities is None


def test_bce_sum_is_the_cross_entropy_in_nats():
    from desktop_cvae.model import bce_sum

    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((3, 28, 28, 1)) * 30).astype(np.float32)  # saturated pixels included
    target = rng.random((3, 28, 28, 1)).astype(np.float32)
    target[0, :5] = 0.0
    target[1, :5] = 1.0
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    with np.errstate(divide="ignore", invalid="ignore"):  # where float64 saturates too, the limit is used
        expected = np.where(np.abs(logits) > 30, np.maximum(logits, 0) - logits * target,
                            -(target * np.log(p) + (1 - target) * np.log1p(-p)))
    np.testing.assert_allclose(bce_sum(logits, target).numpy(), expected.sum(axis=(1, 2, 3)), rtol=1e-5)


def test_seed_conv_architecture_matches_the_paper():
    model = build_model(ModelConfig(arch="conv", latent_dim=2, fused_upsampling=False))
    enc = [(type(l).__name__, getattr(l, "filters", None)) for l in model.encoder.layers]
    assert [f for n, f in enc if n == "Conv2D"] == [16, 8]
    assert [n for n, _ in enc].count("MaxPooling2D") == 2
    dec = [(type(l).__name__, getattr(l, "filters", getattr(l, "units", None))) for l in model.decoder.layers]
    assert ("Dense", 7 * 7 * 8) in dec
    assert [f for n, f in dec if n == "Conv2D"] == [8, 16, 1]
    assert [n for n, _ in dec].count("UpSampling2D") == 2


def test_fused_upsampling_is_the_seed_decoder_exactly():
    fused = build_model(ModelConfig(arch="conv", latent_dim=2, seed=1))
    plain = build_model(ModelConfig(arch="conv", latent_dim=2, seed=2, fused_upsampling=False))
    # The same variables in the same order: each fused layer holds a 3x3 kernel and a bias, like Conv2D.
    assert [tuple(w.shape) for w in fused.weights] == [tuple(w.shape) for w in plain.weights]
    plain.set_weights(fused.get_weights())
    rng = np.random.default_rng(0)
    z = rng.standard_normal((8, 2)).astype(np.float32)
    onehot = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 8)]
    expected = plain.decoder([z, onehot]).numpy()
    np.testing.assert_allclose(fused.decoder([z, onehot]).numpy(), expected, atol=1e-5)
    assert np.abs(expected).max() > 0.01  # not a trivially zero output
    # Files written before the option existed keep their separate layers.
    legacy = {k: v for k, v in ModelConfig(arch="conv").to_dict().items() if k != "fused_upsampling"}
    assert ModelConfig.from_dict(legacy).fused_upsampling is False


@pytest.mark.slow
def test_learning_rate_schedule_follows_the_config(sample):
    # The seed architectures train at a constant rate by default, deepconv with cosine decay; files saved
    # before the field existed were all trained with cosine decay.
    assert ModelConfig(arch="conv").lr_schedule == "constant" and ModelConfig(arch="deepconv").lr_schedule == "cosine"
    legacy = {k: v for k, v in ModelConfig(arch="mlp").to_dict().items() if k != "lr_schedule"}
    assert ModelConfig.from_dict(legacy).lr_schedule == "cosine"
    with pytest.raises(ValueError, match="schedule"):
        ModelConfig(lr_schedule="step")
    final = {}
    for schedule in ("constant", "cosine"):
        cfg = ModelConfig(arch="mlp", latent_dim=2, epochs=1, batch_size=100, seed=0, lr_schedule=schedule)
        final[schedule] = float(train(cfg, sample).model.optimizer.learning_rate)
    assert final["constant"] == pytest.approx(1e-3)
    assert final["cosine"] == pytest.approx(0.05e-3, rel=0.05)  # decayed to 5 % by the last step


def test_short_training_on_the_sample_lowers_the_loss(sample):
    cfg = ModelConfig(arch="mlp", latent_dim=4, epochs=3, batch_size=50, seed=1)
    seen = []
    result = train(cfg, sample, on_batch=seen.append)
    h = result.history
    assert h["loss"][-1] < h["loss"][0] and h["val_loss"][-1] < h["val_loss"][0]
    assert set(h) >= {"loss", "reconstruction", "kl", "val_loss", "val_reconstruction", "val_kl"}
    assert len(result.epoch_seconds) == 3
    assert seen[-1].epoch == 2 and seen[-1].step == seen[-1].steps and seen[-1].fraction == pytest.approx(1.0)


@pytest.mark.slow
def test_training_is_reproducible_with_a_seed(sample):
    cfg = ModelConfig(arch="mlp", latent_dim=2, widths=(32, 16), epochs=1, batch_size=100, seed=7)
    a, b = train(cfg, sample), train(cfg, sample)
    for wa, wb in zip(a.model.get_weights(), b.model.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cfg", [
    ModelConfig(arch="conv"),
    ModelConfig(arch="mlp", seed=5),
    ModelConfig(arch="deepconv", refine_layers=1, pixel_context=4, label_prior=True),
], ids=["conv", "mlp", "deepconv"])
def test_initial_weights_and_dropout_masks_depend_on_the_seed_alone(cfg):
    """Python's global `random` is shared with every thread (a GUI worker loading a model draws from it):
    a model built while it moved must still start from its seed's weights and dropout masks, or two
    trainings with one seed part ways (it happened in CI)."""
    import random

    def start(model):
        dropouts = [np.asarray(l.seed_generator.state) for l in model.encoder.layers + model.decoder.layers
                    if isinstance(l, keras.layers.Dropout)]
        return model.get_weights() + dropouts

    random.seed(0)
    first = start(build_model(cfg))
    random.seed(1)
    random.random()
    second = start(build_model(cfg))
    assert len(first) == len(second) == len(build_model(cfg).get_weights()) + (4 if cfg.arch == "mlp" else 0)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    # and another seed gives other weights
    other = build_model(dataclasses.replace(cfg, seed=cfg.seed + 1)).get_weights()
    assert not np.array_equal(other[0], first[0])


def test_cancel_stops_within_a_batch(sample):
    cfg = ModelConfig(arch="mlp", latent_dim=2, epochs=5, batch_size=20, seed=0)
    steps = []

    def stop():
        return len(steps) >= 3

    with pytest.raises(TrainingCancelled):
        train(cfg, sample, on_batch=steps.append, should_stop=stop)
    assert len(steps) == 3  # no batch reported after the one where cancel was asked


def test_nan_loss_stops_training_with_a_message(sample):
    cfg = ModelConfig(arch="mlp", latent_dim=2, epochs=2, batch_size=50, learning_rate=1e12, seed=0)
    with pytest.raises(TrainingFailed, match="NaN|nan|inf"):
        train(cfg, sample)


def test_config_rejects_bad_values():
    with pytest.raises(ValueError, match="unknown architecture"):
        ModelConfig(arch="resnet")
    with pytest.raises(ValueError):
        ModelConfig(latent_dim=0)
    with pytest.raises(ValueError, match="conditional"):
        ModelConfig(conditional=False, classifier_weight=1.0)
    for bad in (dict(train_rotate=-1), dict(train_rotate=60), dict(train_scale=0.5), dict(train_blur=5),
                dict(train_blur=float("nan"))):
        with pytest.raises(ValueError, match="train_"):
            ModelConfig(**bad)
    assert ModelConfig.from_dict(ModelConfig(arch="conv").to_dict()) == ModelConfig(arch="conv")


@pytest.mark.slow
def test_discriminative_training_with_a_style_only_encoder(sample):
    cfg = ModelConfig(arch="mlp", latent_dim=4, label_in_encoder=False, classifier_weight=5.0, train_noise=0.3,
                      train_shift=1, train_rotate=10, train_scale=0.1, train_blur=1.0, epochs=2, batch_size=50, seed=2)
    result = train(cfg, sample)
    h = result.history
    assert "classifier" in h and all(np.isfinite(v) for v in h["classifier"])
    assert h["classifier"][-1] < h["classifier"][0]
    assert len(result.model.encoder.inputs) == 1  # the encoder never sees the label


def _centre_of_mass(image):
    rows, cols = np.indices(image.shape)
    return np.array([(rows * image).sum(), (cols * image).sum()]) / image.sum()


def test_rotate_and_scale_move_ink_about_the_centre():
    from desktop_cvae.augment import rotate_and_scale

    blob = np.zeros((1, 28, 28, 1), "float32")
    blob[0, 6:9, 13:16] = 1.0  # centred at (row 7, col 14): 6.5 above the image's centre (13.5, 13.5)
    turned = np.asarray(rotate_and_scale(np.repeat(blob, 3, 0), np.array([0.0, np.pi / 2, 0.0], "float32"),
                                         np.array([1.0, 1.0, 1.5], "float32")))[..., 0]
    assert np.array_equal(turned[0], blob[0, ..., 0])  # no turn, no scale: the image itself
    np.testing.assert_allclose(_centre_of_mass(turned[1]), [14.0, 20.0], atol=0.05)  # a quarter turn
    assert turned[1].sum() == pytest.approx(9.0, rel=1e-4)  # turning keeps the ink
    np.testing.assert_allclose(_centre_of_mass(turned[2]), [13.5 - 1.5 * 6.5, 13.5 + 1.5 * 0.5], atol=0.05)
    assert turned[2].sum() == pytest.approx(9.0 * 1.5 ** 2, rel=0.05)  # scaled up: more ink


def test_blurred_inputs_are_smoother_with_the_same_ink(sample):
    model = build_model(ModelConfig(arch="mlp", latent_dim=2, train_blur=1.5))
    images = sample.x_test[:64, ..., None].astype("float32") / 255.0
    blurred = np.asarray(blur_half(images, model.config.train_blur, model.noise_seed))

    def roughness(x):  # total variation per image
        return np.abs(np.diff(x, axis=1)).sum((1, 2, 3)) + np.abs(np.diff(x, axis=2)).sum((1, 2, 3))

    untouched = np.all(blurred == images, axis=(1, 2, 3))
    assert 0 < untouched.sum() < 64  # half the images, drawn at random
    assert np.all(roughness(blurred[~untouched]) < roughness(images[~untouched]))
    np.testing.assert_allclose(blurred.sum((1, 2, 3)), images.sum((1, 2, 3)), rtol=0.01)  # the ink stays
