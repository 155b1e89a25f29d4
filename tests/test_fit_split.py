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


def _two_digits_or_one():
    """A cluster of two units read as "12" (one digit each) or as one "7" (joined): the reader's own Lattice."""
    from desktop_cvae.numbers.reader import Candidate, Lattice

    first, second, joined = Candidate((0,), None, None), Candidate((1,), None, None), Candidate((0, 1), None, None)
    lattice = Lattice([[0, 1]], {0: 0, 1: 0}, {0: {(0, 1): first}, 1: {(0, 1): second}}, {(0, 1): joined})
    return fit_split.Readings(lattice, {first: 0, second: 1, joined: 2}, "12")


def test_a_lines_readings_become_a_graph_whose_sums_run_over_every_reading():
    graph = _two_digits_or_one().graphs[0]
    gain = np.array([0.5, -1.0, 2.0])  # the two digits, then the joined one
    assert [graph.edges[e, 2] for e in graph.best(gain)] == [2]
    assert [graph.edges[e, 2] for e in graph.best(np.array([1.5, 1.0, 2.0]))] == [0, 1]
    total, share = graph.marginals(gain)
    two, one = np.exp(0.5 - 1.0), np.exp(2.0)
    assert np.isclose(total, np.log(two + one))
    assert np.allclose(share[np.argsort(graph.edges[:, 2])], [two, two, one] / (two + one))


def test_refining_for_whole_readings_lets_the_right_reading_win():
    # Candidate by candidate, the joined "7" (a wide, confident-looking piece) outscores the two digits it holds.
    features = np.array([[1.0, 1.0], [1.0, 1.0], [1.0, 3.5]])  # bias, a score
    labels, right = np.array([1, 2, 7]), np.array([True, True, False])
    numbers = [_two_digits_or_one()]
    start = np.array([0.0, 1.0])
    assert fit_split.read_right(start, numbers, features, labels) == 0.0
    loss, grad = fit_split.reading_loss(start, numbers, features, right, start, 0.1)
    step = 1e-6 * np.array([1.0, 0.0])
    numeric = (fit_split.reading_loss(start + step, numbers, features, right, start, 0.1)[0] - loss) / 1e-6
    assert np.isclose(grad[0], numeric, rtol=1e-3)
    refined = fit_split.minimise(lambda w: fit_split.reading_loss(w, numbers, features, right, start, 0.1), start)
    assert fit_split.read_right(refined, numbers, features, labels) == 1.0
    assert fit_split.reading_loss(refined, numbers, features, right, start, 0.1)[0] < loss
