"""A short run of the fault trials (benchmarks/fault_trials.py runs 20 of each): cancelling training and
killing a save never corrupt the model file or touch the previous one."""

import random

import pytest

fault_trials = pytest.importorskip("fault_trials", reason="benchmarks/ is on the path via conftest")


def test_cancel_at_random_points_writes_nothing():
    result = fault_trials.cancel_trials(2, random.Random(1))
    assert result["failures"] == []


def test_kill_during_save_leaves_a_loadable_file():
    result = fault_trials.kill_trials(2, random.Random(2))
    assert result["failures"] == []
