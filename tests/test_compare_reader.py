"""benchmarks/compare_reader.py: the paired test that says whether a change to the reader's constants helped."""

import numpy as np
import pytest

import compare_reader
from desktop_cvae.numbers import reader


def test_mcnemar_p_is_small_only_for_a_lopsided_split_of_the_turned_numbers():
    assert compare_reader.mcnemar_p(0, 10) == pytest.approx(2 / 2 ** 10)
    assert compare_reader.mcnemar_p(10, 0) == compare_reader.mcnemar_p(0, 10)
    assert compare_reader.mcnemar_p(0, 0) == 1.0 and compare_reader.mcnemar_p(7, 7) == 1.0
    # 12 numbers gained and 5 lost is no evidence at 0.05; 20 and 5 is
    assert compare_reader.mcnemar_p(5, 12) > 0.05 > compare_reader.mcnemar_p(5, 20)


def test_settings_keep_each_constants_kind_and_refuse_unknown_names():
    got = compare_reader.parse_settings(["CUT_EVERY=0.07", "VALLEYS=12", "SPLIT_WEIGHTS=[0.0, 1.0]"], reader)
    assert got[reader, "CUT_EVERY"] == 0.07 and got[reader, "VALLEYS"] == 12
    weights = got[reader, "SPLIT_WEIGHTS"]
    assert isinstance(weights, np.ndarray) and weights.tolist() == [0.0, 1.0]
    with pytest.raises(SystemExit, match="no constant"):
        compare_reader.parse_settings(["NO_SUCH_CONSTANT=1"], reader)


def test_settings_reach_the_constants_of_the_modules_the_reader_uses():
    from desktop_cvae.vision import objects

    assert compare_reader.parse_settings(["vision.objects.BOLD=0.2"], reader) == {(objects, "BOLD"): 0.2}
    with pytest.raises(SystemExit, match="no constant"):
        compare_reader.parse_settings(["vision.objects.NO_SUCH_CONSTANT=1"], reader)
