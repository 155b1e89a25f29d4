"""Shared fixtures. Qt runs offscreen; TensorFlow is quiet; models for tests are trained on the shipped sample."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
if os.environ.get("PYTEST_XDIST_WORKER"):
    # One TensorFlow thread per test worker (and per training process it spawns): the workers share the
    # machine's cores, and each TensorFlow sizing its thread pools to all of them oversubscribes the CPU.
    os.environ.setdefault("TF_NUM_INTRAOP_THREADS", "1")
    os.environ.setdefault("TF_NUM_INTEROP_THREADS", "1")

import sys  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
FULL_MNIST = REPO.parent / "shared" / "data" / "mnist.npz"
# Tests reuse the fault and fuzz harnesses and the picture generators. Appended, not put first: the child
# processes tests start inherit the path, and benchmarks/numbers.py must not stand in for the standard `numbers`.
sys.path.append(str(REPO / "benchmarks"))


@pytest.fixture(autouse=True)
def modal_message_boxes_answer_themselves(monkeypatch):
    """Offscreen nobody can press a button: a test that fails while, say, a training runs would hang the
    whole suite in the teardown's "Stop training?" box. Unasked-for boxes get Yes/OK; tests that care
    about the answer patch QMessageBox themselves."""
    from PySide6.QtWidgets import QMessageBox

    yes, ok = QMessageBox.StandardButton.Yes, QMessageBox.StandardButton.Ok
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: yes)
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: ok)


@pytest.fixture(autouse=True)
def signal_blockers_outlive_the_test(monkeypatch):
    """Every qtbot.waitSignal blocker is kept until the test and its fixtures are done. The worker thread emits
    its signals many times; one already queued for the main thread when a `with qtbot.waitSignal(...)` block
    ended was delivered to the freed blocker's slot. PySide6 then found, at the same address, whatever object
    lived there next: once pytest-qt's MultiSignalBlocker ("'MultiSignalBlocker' object has no attribute
    'check_params_callback'", in SignalBlocker._quit_loop_by_signal), and in the earlier crashes a segmentation
    fault in that same function (docs/RELIABILITY.md)."""
    from pytestqt.qtbot import QtBot
    from PySide6.QtWidgets import QApplication

    kept = []
    wait_signal = QtBot.waitSignal

    def waiting_and_keeping(self, *args, **kwargs):
        blocker = wait_signal(self, *args, **kwargs)
        kept.append(blocker)
        return blocker

    monkeypatch.setattr(QtBot, "waitSignal", waiting_and_keeping)
    yield
    if QApplication.instance() is not None:
        QApplication.processEvents()  # what is still queued reaches blockers that are still alive
    kept.clear()


@pytest.fixture(scope="session")
def sample():
    from desktop_cvae.data import load_sample

    return load_sample()


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory, sample):
    """A small conditional model trained for two epochs on the shipped sample, saved the real way."""
    from desktop_cvae.train import train_and_save
    from desktop_cvae.config import ModelConfig

    path = tmp_path_factory.mktemp("models") / "tiny.keras"
    cfg = ModelConfig(arch="conv", latent_dim=2, epochs=2, batch_size=64, seed=3, name="tiny test model")
    train_and_save(cfg, sample, path)
    return path


@pytest.fixture(scope="session")
def default_engine():
    from desktop_cvae.catalog import default_model_path
    from desktop_cvae.engine import Engine

    return Engine.load(default_model_path())


@pytest.fixture(scope="session")
def readable(sample, default_engine):
    """Per label, three test digits of the shipped sample that the default model reads right and surely (99 %)
    on their own, as MNIST gives them and as these tests draw them with a thin and a thick pen."""
    import numbergen
    from desktop_cvae.vision.preprocess import ink_to_mnist, normalize_gray

    x = sample.x_test.astype(np.float32) / 255.0
    views = [np.stack([normalize_gray(d).pixels for d in x])]
    for width in (0.6, 1.4):
        views.append(np.stack([ink_to_mnist(numbergen.digit_ink(d, 100, width)).pixels for d in x]))
    sure = np.ones(len(x), bool)
    for v in views:
        scores = default_engine.bounds(v)
        margin = np.sort(scores, axis=1)[:, 1] - scores.min(axis=1)  # nats between the best two labels
        sure &= (scores.argmin(axis=1) == sample.y_test) & (margin > np.log(99))
    return {label: [x[i] for i in np.flatnonzero(sure & (sample.y_test == label))[:3]] for label in range(10)}


def sample_digit(sample, index=0) -> tuple[np.ndarray, int]:
    return sample.x_test[index].astype(np.float32) / 255.0, int(sample.y_test[index])
