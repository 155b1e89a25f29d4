"""A CVAE whose label enters only its prior p(z | y): every label's evidence bound shares one decoder pass, and a
person's style is drawn as another digit by moving the code between the labels' Gaussians."""

import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from desktop_cvae.cli import main
from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import bce_sum, build_model
from desktop_cvae.storage import load_model, save_model
from desktop_cvae.train import train

SMALL = dict(arch="deepconv", widths=(16, 16, 64), latent_dim=4, label_in_encoder=False, label_in_decoder=False,
             label_prior=True, fitted_prior=True, pixel_context=8, classifier_weight=5.0, batch_size=50, seed=3,
             learning_rate=3e-3)


@pytest.fixture(scope="module")
def model(sample):
    return train(ModelConfig(**SMALL, epochs=3), sample).model


def test_the_decoder_does_not_take_the_label_and_the_model_needs_it_elsewhere():
    assert ModelConfig.from_dict(ModelConfig(**SMALL).to_dict()).label_in_decoder is False
    assert ModelConfig.from_dict({"arch": "deepconv"}).label_in_decoder  # every model saved before the field
    for wrong in (dict(label_in_encoder=True), dict(label_prior=False, fitted_prior=False)):
        with pytest.raises(ValueError, match="decoder without the label"):
            ModelConfig(**{**SMALL, **wrong})


def test_each_label_is_scored_by_its_own_evidence_bound(model, sample):
    assert len(model.decoder.inputs) == 1
    x = sample.x_test[:5].astype(np.float32)[..., None] / 255.0
    z_mean, z_log_var = model.encode(tf.constant(x))
    reconstruction = bce_sum(model.decode_logits(z_mean, images=tf.constant(x)), x).numpy()
    # KL from each label's fitted Gaussian, in closed form: the scores are exactly the ten bounds
    means, chols = model.prior.gaussians()
    m, v = z_mean.numpy().astype(np.float64), np.exp(z_log_var.numpy().astype(np.float64))
    kl = np.empty((5, 10))
    for c in range(10):
        inv = np.linalg.inv(chols[c] @ chols[c].T)
        for i in range(5):
            d = m[i] - means[c]
            kl[i, c] = 0.5 * (np.trace(inv * v[i]) + d @ inv @ d - 4
                              + 2 * np.log(np.diag(chols[c])).sum() - np.log(v[i]).sum())
    expected = reconstruction[:, None] + kl
    engine = Engine(model)
    np.testing.assert_allclose(engine.label_scores(x[..., 0])[0], expected, rtol=1e-4)
    np.testing.assert_allclose(model.label_scores(tf.constant(x)).numpy(), expected, rtol=1e-4)  # the training's


def test_training_makes_every_digit_of_the_batch_recognisable_by_its_bound(model, sample):
    x = tf.constant(sample.x_test[:40].astype(np.float32)[..., None] / 255.0)
    y = sample.y_test[:40]
    _, _, _, classifier = model.compute_losses(x, tf.constant(y), training=True)  # the fixture has no noise or shift
    scores = model.label_scores(x, training=True).numpy()
    shifted = -scores - (-scores).max(1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))  # log softmax(-(-ELBO))
    np.testing.assert_allclose(float(classifier), -log_p[np.arange(40), y].mean(), rtol=1e-4)


def test_a_style_is_drawn_as_every_digit_and_the_recognised_one_is_the_reconstruction(model, sample):
    engine = Engine(model)
    digit = sample.x_test[0].astype(np.float32) / 255.0
    for eager in (True, False):
        engine.eager = eager
        own = engine.analyze(digit)
        full = engine.analyze(digit, style=True)
        grid = engine.style_grid(own.z, own.recognised)
        np.testing.assert_allclose(full.per_label, grid, atol=1e-5)
        np.testing.assert_allclose(engine.style_of(own), grid, atol=1e-5)
        # Under the recognised label: the input's own code, drawn
        np.testing.assert_allclose(own.reconstruction, engine.decode(own.z, own.recognised)[0], atol=1e-5)
        np.testing.assert_allclose(grid[own.recognised], own.reconstruction, atol=1e-5)
        other = (own.recognised + 1) % 10
        forced = engine.analyze(digit, other)
        np.testing.assert_allclose(forced.reconstruction, grid[other], atol=1e-5)
        assert np.abs(forced.reconstruction - own.reconstruction).max() > 1e-3  # moved, not a copy
        np.testing.assert_allclose(forced.probabilities, own.probabilities, atol=1e-6)


def test_moving_a_code_keeps_its_place_in_the_labels_gaussian(model):
    means, chols = model.prior.gaussians()
    z = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    frm, to = np.array([1, 4, 9]), np.array([2, 4, 0])
    moved = model.prior.move(tf.constant(z), tf.one_hot(frm, 10), tf.one_hot(to, 10)).numpy()
    for i in range(3):
        place = np.linalg.solve(chols[frm[i]], z[i] - means[frm[i]])
        np.testing.assert_allclose(np.linalg.solve(chols[to[i]], moved[i] - means[to[i]]), place, atol=1e-4)
    with pytest.raises(ValueError, match="read as"):
        Engine(model).style_grid(z[0])


def test_it_survives_save_and_load(model, sample, tmp_path):
    path = tmp_path / "prior-only.keras"
    save_model(model, path, {})
    loaded, _ = load_model(path)
    assert not loaded.config.label_in_decoder and len(loaded.decoder.inputs) == 1
    x = sample.x_test[:20].astype(np.float32) / 255.0
    np.testing.assert_allclose(Engine(loaded).label_scores(x)[0], Engine(model).label_scores(x)[0], rtol=1e-6)


def test_the_command_line_trains_one(tmp_path, sample, capsys):
    data = tmp_path / "sample.npz"
    np.savez(data, x_train=sample.x_train, y_train=sample.y_train, x_test=sample.x_test, y_test=sample.y_test)
    out = tmp_path / "m.keras"
    flags = ["--arch", "mlp", "--no-label-in-encoder", "--label-prior", "--latent-dim", "3", "--epochs", "1",
             "--data", str(data), "--out", str(out)]
    assert main(["train", *flags, "--no-label-in-decoder"]) == 0
    cfg = load_model(out)[0].config
    assert not cfg.label_in_decoder and cfg.label_prior
    capsys.readouterr()
    assert main(["train", "--arch", "mlp", "--no-label-in-decoder", "--epochs", "1", "--data", str(data),
                 "--out", str(tmp_path / "bad.keras")]) != 0
    assert "decoder without the label" in capsys.readouterr().err


def test_the_update_compiles_in_the_background_and_answers_the_same_before_and_after(model, sample):
    engine = Engine(model)
    digit = sample.x_test[3].astype(np.float32) / 255.0
    plain = engine.analyze(digit, 2)
    engine.warm_up(background=True)
    during = engine.analyze(digit, 2)  # answered at once, compiled or not
    assert engine.xla_ready.wait(120)
    assert engine._fn("_analyze") is engine._concrete["_xla_analyze"]
    for other in (during, engine.analyze(digit, 2)):
        np.testing.assert_allclose(other.probabilities, plain.probabilities, atol=1e-5)
        np.testing.assert_allclose(other.reconstruction, plain.reconstruction, atol=1e-5)
        assert other.neg_elbo == pytest.approx(plain.neg_elbo, rel=1e-5)


def _takes_the_image_as_a_parameter(engine) -> bool:
    hlo = engine._xla_analyze.experimental_get_compiler_ir(tf.zeros((1, 28, 28, 1)), tf.constant(-1))(stage="hlo")
    return "f32[1,28,28,1]{3,2,1,0} parameter(" in hlo[hlo.index("ENTRY"):]


def test_the_compiled_update_is_one_program_for_every_input(model):
    # XLA folds an input it needs at compile time into the program: it then compiles once per image (seconds
    # each), and a timing with one repeated image measures a precomputed answer. The default's update, which
    # slices the recognised label's drawing out of ten, is such a program, which is why the engine compiles
    # only the shared-decoder update (docs/HISTORY.md).
    assert _takes_the_image_as_a_parameter(Engine(model))
    seen = ModelConfig(arch="deepconv", widths=(8, 8, 16), latent_dim=2, label_in_encoder=False, label_prior=True)
    engine = Engine(build_model(seen))
    assert engine._xla_analyze is None
    engine._xla_analyze = tf.function(engine._analyze_impl, autograph=False, jit_compile=True)
    assert not _takes_the_image_as_a_parameter(engine)


@pytest.mark.slow
def test_a_process_that_ends_while_the_update_compiles_exits_cleanly():
    # The compile runs in a thread of its own; TensorFlow torn down under it aborted the interpreter's exit
    # (a daemon thread is not waited for). Ends right after starting it, as an app closed at once would. Started
    # from a daemon thread, as the app's worker is to Python (a QThread is a daemon "dummy" thread), whose
    # daemon flag a new thread would inherit.
    code = f"""
import threading
from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import build_model
engine = Engine(build_model(ModelConfig(**{SMALL!r})))
worker = threading.Thread(target=engine.warm_up, kwargs={{"background": True}}, daemon=True)
worker.start()
worker.join()
print("leaving", engine.xla_ready.is_set())
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "leaving False" in done.stdout  # it did leave while compiling
