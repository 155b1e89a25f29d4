"""MNIST through the real Keras loader (a file in a temporary KERAS_HOME cache, not a mock), the
offline failure message, user .npz files, and the shipped sample."""

import shutil
import subprocess
import sys

import numpy as np
import pytest

from conftest import FULL_MNIST
from desktop_cvae.data import DataError, load_npz, load_sample


def _run_loader(keras_home, extra_env=None):
    code = ("from desktop_cvae.data import load_mnist, DataError\n"
            "try:\n d = load_mnist()\n print('OK', d.x_train.shape, d.x_test.shape, d.source)\n"
            "except DataError as e:\n print('ERR', e)\n")
    env = {"KERAS_HOME": str(keras_home), "PATH": "/usr/bin:/bin", "TF_CPP_MIN_LOG_LEVEL": "3",
           # No network here anyway; a dead proxy makes sure a machine with one does not download.
           "https_proxy": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
           "http_proxy": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", **(extra_env or {})}
    import os

    env["HOME"] = os.environ.get("HOME", "/tmp")
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    return out.stdout


@pytest.mark.skipif(not FULL_MNIST.is_file(), reason="needs ../shared/data/mnist.npz (the real file Keras caches)")
def test_keras_loader_reads_the_cache(tmp_path):
    (tmp_path / "datasets").mkdir()
    shutil.copy(FULL_MNIST, tmp_path / "datasets" / "mnist.npz")
    out = _run_loader(tmp_path)
    # Keras checks the file's hash first; the shared copy has other bytes (same arrays), which the
    # loader then reads from the cache itself. Either way the data come from the Keras cache.
    assert "OK (60000, 28, 28) (10000, 28, 28)" in out
    assert "keras.datasets.mnist" in out or f"Keras cache ({tmp_path}" in out


def test_offline_without_cache_says_how_to_supply_the_file(tmp_path):
    out = _run_loader(tmp_path)
    assert out.startswith("ERR MNIST is not in the Keras cache"), out
    assert "--data FILE.npz" in out and str(tmp_path / "datasets" / "mnist.npz") in out
    assert "--data sample" in out  # the one way that works offline with nothing to fetch


def test_sample_is_balanced_real_mnist():
    s = load_sample()
    assert s.x_test.shape == (1000, 28, 28) and s.x_train.shape == (1000, 28, 28)
    assert np.bincount(s.y_test).tolist() == [100] * 10 and np.bincount(s.y_train).tolist() == [100] * 10
    assert s.x_test.dtype == np.uint8 and s.x_test.max() == 255


def test_npz_errors_are_clear(tmp_path):
    np.savez(tmp_path / "partial.npz", x_train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match="missing y_train"):
        load_npz(tmp_path / "partial.npz")
    np.savez(tmp_path / "shape.npz", x_train=np.zeros((2, 32, 32)), y_train=np.zeros(2, int),
             x_test=np.zeros((2, 28, 28)), y_test=np.zeros(2, int))
    with pytest.raises(DataError, match=r"\(n, 28, 28\)"):
        load_npz(tmp_path / "shape.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(DataError, match="not a readable"):
        load_npz(tmp_path / "junk.npz")
    np.savez(tmp_path / "pickled.npz", x_train=np.array([object()]), y_train=np.zeros(1), x_test=np.zeros(1),
             y_test=np.zeros(1))
    with pytest.raises(DataError):
        load_npz(tmp_path / "pickled.npz")  # never unpickles
    with pytest.raises(DataError, match="no such file"):
        load_npz(tmp_path / "missing.npz")
