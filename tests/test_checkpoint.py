"""Checkpoints: an interrupted training resumes where it stopped and ends as an uninterrupted one would."""

import json

import numpy as np
import pytest

from desktop_cvae import checkpoint
from desktop_cvae.config import ModelConfig
from desktop_cvae.progress import TimeLeft
from desktop_cvae.storage import load_model, read_sidecar
from desktop_cvae.train import CheckpointExists, TrainingCancelled, TrainingFailed, train, train_and_save

CFG = ModelConfig(arch="mlp", latent_dim=2, widths=(32, 16), epochs=3, batch_size=100, seed=7,
                  lr_schedule="cosine")


def stop_in_epoch(n):
    """on_batch and a should_stop that cancels in epoch n (0-based) after its first batch, as a person would.
    Run with steps_per_execution=1 (ONE_STEP), so progress and cancel come after every batch."""
    seen = []
    return seen, seen.append, lambda: bool(seen) and seen[-1].epoch >= n


ONE_STEP = dict(steps_per_execution=1)


@pytest.mark.slow
def test_a_resumed_training_ends_where_an_uninterrupted_one_does(sample, tmp_path):
    whole = train(CFG, sample, **ONE_STEP)
    ckpt = tmp_path / "m.keras.checkpoint"
    seen, on_batch, should_stop = stop_in_epoch(2)
    with pytest.raises(TrainingCancelled):
        train(CFG, sample, on_batch=on_batch, should_stop=should_stop, checkpoint_to=ckpt, **ONE_STEP)
    state = checkpoint.read_state(ckpt)
    assert state.epochs_done == 2 and len(state.history["val_loss"]) == 2  # the cancelled epoch is not kept

    progress = []
    resumed = train(CFG, sample, on_batch=progress.append, checkpoint_to=ckpt, resume=True, **ONE_STEP)
    assert {p.epoch for p in progress} == {2}  # only the missing epoch ran
    time_left = TimeLeft()
    left = [time_left.update(p) for p in progress]
    assert progress[-1].start_fraction == pytest.approx(2 / 3) and np.isfinite(left[-1])
    for a, b in zip(whole.model.get_weights(), resumed.model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for key in ("loss", "val_loss", "kl"):
        np.testing.assert_allclose(resumed.history[key], whole.history[key], rtol=1e-5)
    assert resumed.resumed_at == [2] and len(resumed.epoch_seconds) == 3


@pytest.fixture(scope="module")
def one_epoch_checkpoint(sample, tmp_path_factory) -> bytes:
    """What train_and_save leaves when CFG's training is cancelled in its second epoch: no model, and this."""
    out = tmp_path_factory.mktemp("interrupted") / "m.keras"
    _, on_batch, should_stop = stop_in_epoch(1)
    with pytest.raises(TrainingCancelled):
        train_and_save(CFG, sample, out, on_batch=on_batch, should_stop=should_stop, **ONE_STEP)
    assert not out.exists()
    return checkpoint.checkpoint_path(out).read_bytes()


def interrupted(folder, checkpoint_bytes: bytes):
    """(model path, its checkpoint) of an interrupted training in `folder`."""
    out = folder / "m.keras"
    checkpoint.checkpoint_path(out).write_bytes(checkpoint_bytes)
    return out, checkpoint.checkpoint_path(out)


def test_train_and_save_keeps_the_checkpoint_until_the_model_is_saved(sample, tmp_path, one_epoch_checkpoint):
    out, ckpt = interrupted(tmp_path, one_epoch_checkpoint)
    assert checkpoint.read_state(ckpt).epochs_done == 1
    with pytest.raises(CheckpointExists, match="1 of 3 epochs done"):  # starting anew would throw it away
        train_and_save(CFG, sample, out)
    assert ckpt.read_bytes() == one_epoch_checkpoint

    meta = train_and_save(CFG, sample, out, resume=True)
    assert not ckpt.exists()
    assert load_model(out)[0].config.epochs == 3
    sidecar = read_sidecar(out)
    assert sidecar["resumed_at_epochs"] == [1] and len(sidecar["history"]["loss"]) == 3
    assert meta["train_seconds"] >= sum(meta["epoch_seconds"])


def test_a_checkpoint_of_other_settings_or_data_is_refused_and_kept(sample, tmp_path, one_epoch_checkpoint):
    out, ckpt = interrupted(tmp_path, one_epoch_checkpoint)
    other = ModelConfig(**{**CFG.to_dict(), "learning_rate": 5e-4})
    with pytest.raises(TrainingFailed, match="learning_rate 0.001 there, 0.0005 here"):
        train_and_save(other, sample, out, resume=True)
    fewer = type(sample)(sample.x_train[:-100], sample.y_train[:-100], sample.x_test, sample.y_test, "fewer")
    with pytest.raises(TrainingFailed, match="other training data"):
        train_and_save(CFG, fewer, out, resume=True)
    assert ckpt.read_bytes() == one_epoch_checkpoint and not out.exists()


@pytest.mark.parametrize("damage", ["empty", "truncated", "not a zip", "pickled state"])
def test_a_damaged_checkpoint_is_a_message(sample, tmp_path, one_epoch_checkpoint, damage):
    out, ckpt = interrupted(tmp_path, one_epoch_checkpoint)
    if damage == "not a zip":
        ckpt.write_text("hello")
    elif damage == "pickled state":  # a hostile file: np.load must not unpickle it
        with open(ckpt, "wb") as f:
            np.savez(f, state=np.array([{"epochs_done": 1}], dtype=object))
    else:
        ckpt.write_bytes(b"" if damage == "empty" else one_epoch_checkpoint[: len(one_epoch_checkpoint) // 2])
    with pytest.raises(TrainingFailed, match="checkpoint"):
        train_and_save(CFG, sample, out, resume=True)
    with pytest.raises(TrainingFailed, match="delete it to start again"):
        train_and_save(CFG, sample, out)


def test_graph_calls_never_run_past_the_end_of_an_epoch():
    """fit() takes whole calls from one stream of every epoch's batches, so a call's steps divide an epoch's."""
    from desktop_cvae.train import steps_per_call

    seed_model, deepconv = ModelConfig(arch="conv"), ModelConfig(arch="deepconv")
    assert steps_per_call(seed_model, 430) == 10  # the full MNIST at batch 128
    assert steps_per_call(seed_model, 18) == 9 and steps_per_call(seed_model, 7) == 7
    assert steps_per_call(seed_model, 431) == 1  # a prime: one step per call
    assert steps_per_call(deepconv, 430) == 1 and steps_per_call(seed_model, 18, wanted=4) == 3


def test_a_crash_while_writing_a_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    path = tmp_path / "m.keras.checkpoint"
    state = checkpoint.TrainingState(CFG.to_dict(), "x", "test", 1, {"loss": [1.0]})
    checkpoint.write(path, state, [np.ones(3)], [np.zeros(2)])

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    state.epochs_done = 2
    with pytest.raises(checkpoint.CheckpointError, match="the disk is full"):
        checkpoint.write(path, state, [np.ones(3)], [np.zeros(2)])
    kept, model_arrays, optimizer_arrays = checkpoint.read(path)
    assert kept.epochs_done == 1 and model_arrays[0].tolist() == [1, 1, 1]
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
    assert json.loads(json.dumps(kept.config)) == CFG.to_dict()


def test_a_training_running_elsewhere_is_neither_offered_nor_resumed(sample, tmp_path, one_epoch_checkpoint):
    """A process training towards a checkpoint (say `desktop-cvae train` in the models folder) holds its lock:
    the app must not offer that training as interrupted, and a second process must not train it too."""
    import subprocess
    import sys

    out, ckpt = interrupted(tmp_path, one_epoch_checkpoint)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom desktop_cvae import checkpoint\n"
         "with checkpoint.training_lock(sys.argv[1]):\n    print('held', flush=True)\n    time.sleep(60)", str(ckpt)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        assert checkpoint.is_training(ckpt) and checkpoint.find_interrupted(tmp_path) == []
        with pytest.raises(TrainingFailed, match="being trained by another process"):
            train_and_save(CFG, sample, out, resume=True)
        assert ckpt.read_bytes() == one_epoch_checkpoint
    finally:
        holder.kill()  # as a crash would end it: the lock ends with the process
        holder.wait()
    assert not checkpoint.is_training(ckpt)
    assert [p for p, _ in checkpoint.find_interrupted(tmp_path)] == [ckpt]
