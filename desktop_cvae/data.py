"""MNIST: the Keras loader (download once, then cached), a user-supplied .npz, and the shipped sample."""

from __future__ import annotations

import contextlib
import os
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .resources import resource_path
from .storage import sha256_file

SAMPLE_FILE = "mnist_sample.npz"
SAMPLE_ARGUMENT = "sample"  # `--data sample` on the command line: the shipped sample, which works offline
KEYS = ("x_train", "y_train", "x_test", "y_test")
MAX_NPZ_BYTES = 200 * 1024 * 1024  # uncompressed; the full MNIST is ~55 MB
# The hash keras.datasets.mnist.load_data() checks its cached file against.
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


class DataError(Exception):
    """A data set could not be loaded; the message says why and what to do."""


@dataclass
class Dataset:
    x_train: np.ndarray  # (n, 28, 28) uint8
    y_train: np.ndarray  # (n,) uint8
    x_test: np.ndarray
    y_test: np.ndarray
    source: str

    @staticmethod
    def images(x: np.ndarray) -> np.ndarray:
        """uint8 (n, 28, 28) -> float32 (n, 28, 28, 1) in [0, 1], as the model takes them."""
        return (x.astype(np.float32) / 255.0)[..., None]


def _validate(arrays: dict, source: str) -> Dataset:
    missing = [k for k in KEYS if k not in arrays]
    if missing:
        raise DataError(f"{source} is not an MNIST-format .npz: missing {', '.join(missing)} (needs {', '.join(KEYS)})")
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or len(x) != len(y) or y.ndim != 1 or len(x) == 0:
            raise DataError(f"{source}: x_{split} must be (n, 28, 28) with n labels in y_{split}; got {x.shape} and {y.shape}")
        if not np.issubdtype(x.dtype, np.integer) and not np.issubdtype(x.dtype, np.floating):
            raise DataError(f"{source}: x_{split} has unsupported type {x.dtype}")
        if not np.issubdtype(y.dtype, np.integer) or y.min() < 0 or y.max() > 9:
            raise DataError(f"{source}: y_{split} must hold integer labels 0-9")
    def as_uint8(x):
        if np.issubdtype(x.dtype, np.floating):  # accept [0, 1] floats too
            x = np.clip(np.nan_to_num(x) * (255.0 if x.max() <= 1.0 else 1.0), 0, 255).round()
        return x.astype(np.uint8)
    return Dataset(
        as_uint8(arrays["x_train"]), arrays["y_train"].astype(np.uint8),
        as_uint8(arrays["x_test"]), arrays["y_test"].astype(np.uint8), source,
    )


def load_npz(path: str | os.PathLike) -> Dataset:
    """An .npz in keras.datasets.mnist format. Never unpickles; bounded in size."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(info.file_size for info in zf.infolist())
        if total > MAX_NPZ_BYTES:
            raise DataError(f"{path}: {total / 1e6:.0f} MB uncompressed is more than the {MAX_NPZ_BYTES / 1e6:.0f} MB allowed")
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except DataError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as e:
        raise DataError(f"{path}: not a readable .npz file ({e})") from None
    return _validate(arrays, str(path))


def keras_cache_file() -> Path:
    """Where keras.datasets.mnist caches the file (KERAS_HOME, else ~/.keras)."""
    home = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(home) / "datasets" / "mnist.npz"


def load_mnist(path: str | os.PathLike | None = None) -> Dataset:
    """The full MNIST: from `path` if given, else through keras.datasets.mnist (cached under KERAS_HOME).

    Keras checks the cached file's sha256 and, on a mismatch, re-downloads it, deleting the cached file
    when the download fails. So a cached file with other bytes (the same arrays re-saved by another
    tool) is read here directly, after our own checks, and never handed to Keras to delete offline.
    """
    if path is not None:
        return load_npz(path)
    cache = keras_cache_file()
    if cache.is_file() and sha256_file(cache) != KERAS_MNIST_SHA256:
        data = load_npz(cache)
        data.source = f"Keras cache ({cache})"
        return data
    from keras.datasets import mnist  # imported here: Keras pulls in TensorFlow

    try:
        with contextlib.redirect_stdout(sys.stderr):  # Keras prints progress; stdout may carry JSON
            (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except Exception as e:  # the loader raises bare Exception for network failures
        reason = str(e).splitlines()[0] if str(e) else "no network?"
        raise DataError(
            f"MNIST is not in the Keras cache and could not be downloaded ({type(e).__name__}: {reason}).\n"
            f"Copy mnist.npz to {cache}, pass an MNIST-format file with --data FILE.npz, or use the small "
            f"sample shipped with the app with --data {SAMPLE_ARGUMENT} "
            "(in the app's training dialog: Data > .npz file in MNIST format)."
        ) from None
    return _validate(
        {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}, "keras.datasets.mnist"
    )


def load_sample() -> Dataset:
    """The small real sample shipped in resources/ (balanced, from MNIST's train and test splits)."""
    return load_npz(resource_path(SAMPLE_FILE))


def load_data(source: str | os.PathLike | None) -> Dataset:
    """What `--data` and the training dialog name: SAMPLE_ARGUMENT for the shipped sample, a path for an
    MNIST-format .npz, None for MNIST through Keras's cache (load_mnist)."""
    return load_sample() if source == SAMPLE_ARGUMENT else load_mnist(source)


def balanced_subset(x: np.ndarray, y: np.ndarray, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    idx = np.concatenate([rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(10)])
    idx.sort()
    return x[idx], y[idx]
