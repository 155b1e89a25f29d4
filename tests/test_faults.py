"""A short run of the fault trials (benchmarks/fault_trials.py runs 20 of each): cancelling training and
killing a save never corrupt the model file or touch the previous one."""

import random

import pytest

fault_trials = pytest.importorskip("fault_trials", reason="benchmarks/ is on the path via conftest")


@pytest.mark.slow
def test_cancel_at_random_points_writes_nothing():
    result = fault_trials.cancel_trials(2, random.Random(1))
    assert result["failures"] == []


@pytest.mark.slow
def test_kill_during_save_leaves_a_loadable_file():
    result = fault_trials.kill_trials(2, random.Random(2))
    assert result["failures"] == []


ORPHAN_PARENT = r"""
import os, sys
from desktop_cvae.config import ModelConfig
from desktop_cvae.resources import resource_path
from desktop_cvae.train_process import TrainingJob

if __name__ == "__main__":
    cfg = ModelConfig(arch="mlp", latent_dim=2, epochs=200, batch_size=20, name="orphan")
    job = TrainingJob(cfg.to_dict(), str(resource_path("mnist_sample.npz")), sys.argv[1])
    job.start()
    for kind, *args in job.events():
        if kind == "progress":
            print(job.process.pid, flush=True)
            os._exit(0)  # the app dies without cancelling anything
"""


@pytest.mark.slow
def test_a_training_process_stops_when_its_app_dies(tmp_path):
    """Killing the app must not leave a training process running on, nor a model file appearing later."""
    import os
    import subprocess
    import sys
    import time

    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_PARENT)
    out = tmp_path / "orphan.keras"
    parent = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, timeout=120)
    child = int(parent.stdout.split()[0])
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        os.kill(child, 9)
        raise AssertionError("the orphaned training process kept running")
    assert not out.exists() and not list(tmp_path.glob(".orphan.keras.*"))
