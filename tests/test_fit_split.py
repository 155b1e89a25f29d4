"""benchmarks/fit_split.py: the fit behind the number reader's SPLIT_WEIGHTS, and the digit boxes it learns from."""

import numpy as np

import fit_split
import numbergen


def test_the_fit_recovers_the_weights_of_a_known_logistic_model():
    rng = np.random.default_rng(0)
    true = np.array([0.5, -2.0, 1.5])
    a = np.column_stack([np.ones(20000), rng.normal(size=(20000, 2))])
    y = (rng.random(20000) < 1 / (1 + np.exp(-(a @ true)))).astype(float)
    assert np.allclose(fit_split.fit(a, y), true, atol=0.1)


def test_auc_ranks_whole_digits_above_the_rest():
    y = np.array([0, 0, 1, 1, 0, 1], float)
    assert fit_split.auc(np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7]), y) == 1.0
    assert fit_split.auc(-np.array([0.1, 0.2, 0.8, 0.9, 0.3, 0.7]), y) == 0.0
    assert fit_split.overlap((0, 0, 10, 10), (5, 0, 10, 10)) == 50 / 150


def test_the_composed_number_records_each_digits_ink_box(sample):
    x = sample.x_test[:4].astype(np.float32) / 255.0
    ink = numbergen.compose(x, np.random.default_rng(3), spacing="touching")
    assert len(numbergen.LAST_BOXES) == 4
    for bx, by, bw, bh in numbergen.LAST_BOXES:
        inside = ink[by: by + bh, bx: bx + bw]
        assert inside[0].max() > 0.2 and inside[-1].max() > 0.2  # its ink's top and bottom rows
        assert inside[:, 0].max() > 0.2 and inside[:, -1].max() > 0.2  # its first and last columns
    lefts = [b[0] for b in numbergen.LAST_BOXES]
    assert lefts == sorted(lefts)


def test_each_picture_records_the_ink_of_its_number_s_own_digits(sample):
    # benchmarks/numbers.py reads these alone, as the classifier's share of a condition's errors. A second line of
    # writing is composed after the number, and a digit crossed out is no part of it: neither may take their place.
    x = sample.x_test[:6].astype(np.float32) / 255.0
    y = sample.y_test[:6]
    for condition in ("two lines", "crossed out", "separators", "form boxes"):
        _, number = numbergen.number_picture(condition, x, y, np.random.default_rng(1))
        assert len(numbergen.LAST_INKS) == len(number), condition
    numbergen.number_picture("two lines", x, y, np.random.default_rng(1))
    # The number's six digits as it wrote them (120 pixels tall), not the other line's smaller ones.
    assert [i.shape for i in numbergen.LAST_INKS] == [numbergen.digit_ink(d, 120, 0.6).shape for d in x]
    assert len(numbergen.LAST_BOXES) == 6
