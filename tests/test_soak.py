"""A short GUI soak (benchmarks/gui_soak.py runs 10,000 actions): random user actions, zero exceptions,
no thread left behind."""

import gui_soak
import pytest


@pytest.mark.slow
def test_random_user_actions(qapp):
    result = gui_soak.soak(250, seed=3)
    assert result["exceptions"] == 0, result["first_exceptions"]
    assert result["leaked_workers"] == 0 and result["leftover_threads"] == []
