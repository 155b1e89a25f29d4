"""Digits written again with other pens and normalised as the app normalises (desktop_cvae/pens.py), their use in
training, and the shipped default reading them."""

import numpy as np
import pytest

from desktop_cvae.config import ModelConfig
from desktop_cvae.pens import redraw, redrawn
from desktop_cvae.train import with_pens
from test_styles import in_mnist_format


def test_a_redrawn_digit_is_a_model_input_of_the_same_digit(sample):
    rng = np.random.default_rng(0)
    changed = 0
    for i in range(30):
        digit = sample.x_test[i].astype(np.float32) / 255.0
        again = redraw(digit, rng)
        assert in_mnist_format(again)
        # The same strokes, give or take a pixel of re-centring.
        assert max(np.corrcoef(np.roll(again, (dy, dx), (0, 1)).ravel(), digit.ravel())[0, 1]
                   for dy in (-1, 0, 1) for dx in (-1, 0, 1)) > 0.6
        changed += np.abs(again - digit).mean() > 0.03
    assert changed >= 20  # not the digit handed back as it was


def test_each_digit_gets_its_own_pen(sample):
    digit = sample.x_test[0].astype(np.float32) / 255.0
    drawn = [redraw(digit, np.random.default_rng(seed)) for seed in range(8)]
    apart = [np.abs(a - b).mean() for i, a in enumerate(drawn) for b in drawn[i + 1:]]
    assert min(apart) > 0.005 and np.mean(apart) > 0.02  # pens, sizes and edges vary, not one pen for all


def test_training_adds_redrawn_digits_with_their_labels(sample):
    x = sample.x_train[:400].astype(np.float32)[..., None] / 255.0
    y = sample.y_train[:400].astype(np.int32)
    more_x, more_y = with_pens(x, y, 0.5, seed=3)
    assert len(more_x) == len(more_y) and 190 <= len(more_x) - 400 <= 200  # a digit the pen erased is left out
    assert np.array_equal(more_x[:400], x) and more_x.shape[1:] == (28, 28, 1)
    images, used = redrawn(x[..., 0], 0.5, seed=3)
    assert np.array_equal(more_y[400:], y[used]) and np.array_equal(more_x[400:, ..., 0], images)
    again, _ = redrawn(x[..., 0], 0.5, seed=3)
    assert np.array_equal(again, images)  # the same set for the same seed: a resumed training matches
    with pytest.raises(ValueError, match="train_pens"):
        ModelConfig(train_pens=1.5)


def test_the_default_reads_digits_written_with_other_pens(default_engine, sample):
    images, used = redrawn(sample.x_test, 1.0, seed=0)
    accuracy = float((default_engine.bounds(images).argmin(1) == sample.y_test[used]).mean())
    assert accuracy >= 0.98, accuracy  # 97.5 % before the default learnt them (stage 4)


def test_a_cancel_does_not_wait_for_the_pens(sample):
    from desktop_cvae.train import TrainingCancelled

    x = sample.x_train[:1000].astype(np.float32)[..., None] / 255.0
    y = sample.y_train[:1000].astype(np.int32)
    asked = []

    def stop():
        asked.append(1)
        return len(asked) > 1  # cancelled while the first 256 digits were being redrawn

    with pytest.raises(TrainingCancelled):
        with_pens(x, y, 1.0, seed=0, should_stop=stop)
    assert len(asked) == 2
