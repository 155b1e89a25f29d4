"""Training checkpoints: an interrupted training continues from its last finished epoch.

After every epoch, training writes NAME.keras.checkpoint beside the model it will save: every variable of
the model (weights, the random generators' states) and of its optimizer (Adam's moments and step count,
which drives the learning-rate schedule), the history so far, and what the training is (its config and a
fingerprint of its data). It is one .npz written to a temporary file and renamed, so a crash leaves the
previous epoch's checkpoint whole. A training that has saved its model removes it. Reading takes arrays and
JSON only (no pickles), and the TensorFlow-free part (`read_state`) is what the GUI uses to offer a resume.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .storage import fsync_dir, make_temp, unlink_quietly

SUFFIX = ".checkpoint"
LOCK_SUFFIX = ".lock"  # held by the process training towards a checkpoint
FORMAT_VERSION = 1
# Settings that only label a model: a resumed training may rename it.
_NOT_IDENTITY = ("name", "extra")


class CheckpointError(Exception):
    """A checkpoint cannot be written, read or used; the message is fit to show a person."""


@dataclass
class TrainingState:
    config: dict  # ModelConfig.to_dict() of the training
    data_fingerprint: str  # data_fingerprint() of its data
    data_source: str  # Dataset.source, for messages
    epochs_done: int
    history: dict[str, list[float]] = field(default_factory=dict)
    epoch_seconds: list[float] = field(default_factory=list)
    train_seconds: float = 0.0  # spent in training so far, over every run
    resumed_at: list[int] = field(default_factory=list)  # epochs done when each resume started
    notes: dict = field(default_factory=dict)  # what the caller needs to resume (the GUI: data file, base model)

    @property
    def epochs(self) -> int:
        return int(self.config.get("epochs", 0))


def checkpoint_path(model_path: str | os.PathLike) -> Path:
    p = Path(model_path)
    return p.with_name(p.name + SUFFIX)


def model_path(checkpoint: str | os.PathLike) -> Path:
    """The model a checkpoint's training will save."""
    p = Path(checkpoint)
    return p.with_name(p.name[: -len(SUFFIX)])


@contextlib.contextmanager
def training_lock(checkpoint: str | os.PathLike):
    """Held while a process trains towards `checkpoint`, so that no other one resumes the same training and
    the app does not offer a training that is running (say, from the command line) as interrupted. Raises
    CheckpointError when another process holds it. A lock of the operating system: it ends with the process,
    however that ends."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    # Hidden, and named as a save's temporary files are, so that cleaning up after a killed training
    # (train_process) takes it too.
    checkpoint = Path(checkpoint)
    lock = checkpoint.with_name(f".{checkpoint.name}{LOCK_SUFFIX}")
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            raise CheckpointError(f"cannot write in {lock.parent}: {e.strerror or e}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise CheckpointError(f"{checkpoint.name} is being trained by another process") from None
        try:  # the holder before us unlinks the file as it lets go: then we locked a file no one else opens
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except OSError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        unlink_quietly(lock)
        os.close(fd)


def is_training(checkpoint: str | os.PathLike) -> bool:
    """Whether another process is training towards `checkpoint` now."""
    try:
        with training_lock(checkpoint):
            return False
    except CheckpointError:
        return True


def find_interrupted(folder: str | os.PathLike) -> list[tuple[Path, TrainingState]]:
    """The readable checkpoints in `folder` that no process is training, newest first: trainings that can be
    resumed."""
    found = []
    try:
        candidates = [(p.stat().st_mtime, p) for p in Path(folder).glob(f"*.keras{SUFFIX}") if p.is_file()]
    except OSError:
        return []
    for _, p in sorted(candidates, reverse=True):
        if is_training(p):
            continue
        try:
            found.append((p, read_state(p)))
        except CheckpointError:
            continue  # a damaged one cannot be resumed; `train` names it when its model is trained again
    return found


def data_fingerprint(x_train: np.ndarray, y_train: np.ndarray) -> str:
    """What a training saw: its training split (validation is held out of it), bytes and shapes."""
    h = hashlib.sha256()
    for a in (x_train, y_train):
        a = np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape}".encode())
        h.update(a.data)
    return h.hexdigest()


def mismatch(state: TrainingState, config: dict, fingerprint: str) -> str | None:
    """Why `state` cannot be continued as the training (config, fingerprint) describes, or None."""
    differ = [k for k in sorted(set(config) | set(state.config))
              if k not in _NOT_IDENTITY and config.get(k) != state.config.get(k)]
    if differ:
        return "it was made with other settings: " + "; ".join(
            f"{k} {state.config.get(k)!r} there, {config.get(k)!r} here" for k in differ[:4])
    if fingerprint != state.data_fingerprint:
        return f"it was made with other training data ({state.data_source})"
    return None


def write(path: str | os.PathLike, state: TrainingState, model_arrays: list[np.ndarray],
          optimizer_arrays: list[np.ndarray]) -> None:
    """Replace the checkpoint at `path` atomically (raises CheckpointError; the previous one is kept)."""
    path = Path(path)
    arrays = {"state": np.frombuffer(json.dumps({"format": FORMAT_VERSION, **dataclasses.asdict(state)})
                                     .encode("utf-8"), dtype=np.uint8)}
    arrays.update({f"model_{i}": np.asarray(a) for i, a in enumerate(model_arrays)})
    arrays.update({f"optimizer_{i}": np.asarray(a) for i, a in enumerate(optimizer_arrays)})
    try:
        tmp = make_temp(path, ".tmp")
    except OSError as e:
        raise CheckpointError(f"cannot write a checkpoint in {path.parent}: {e.strerror or e}") from None
    try:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
        fsync_dir(path.parent)
    except BaseException as e:
        unlink_quietly(tmp)
        if isinstance(e, OSError):
            reason = "the disk is full" if e.errno == 28 else (e.strerror or str(e))
            raise CheckpointError(f"could not write the checkpoint {path.name}: {reason}") from None
        raise


def _open(path: Path):
    try:
        return np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise CheckpointError(f"there is no checkpoint {path.name} to resume from") from None
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as e:
        raise CheckpointError(f"{path.name} is not a readable checkpoint ({type(e).__name__})") from None


def _state(archive, name: str) -> TrainingState:
    try:
        raw = json.loads(bytes(archive["state"]).decode("utf-8"))
        if raw.pop("format", None) != FORMAT_VERSION:
            raise ValueError("unknown format")
        known = {f.name for f in dataclasses.fields(TrainingState)}
        state = TrainingState(**{k: v for k, v in raw.items() if k in known})
        if not isinstance(state.config, dict) or not 0 <= int(state.epochs_done) <= state.epochs:
            raise ValueError("inconsistent state")
        return state
    except (KeyError, ValueError, TypeError, UnicodeDecodeError, OSError, zipfile.BadZipFile, EOFError):
        raise CheckpointError(f"{name} is a damaged checkpoint") from None


def read_state(path: str | os.PathLike) -> TrainingState:
    """The checkpoint's description alone (no weights are read)."""
    path = Path(path)
    with _open(path) as archive:
        return _state(archive, path.name)


def read(path: str | os.PathLike) -> tuple[TrainingState, list[np.ndarray], list[np.ndarray]]:
    """(state, model arrays, optimizer arrays), in the order write() was given them."""
    path = Path(path)
    with _open(path) as archive:
        state = _state(archive, path.name)
        try:
            def series(prefix: str) -> list[np.ndarray]:
                n = sum(1 for k in archive.files if k.startswith(prefix))
                return [archive[f"{prefix}{i}"] for i in range(n)]
            return state, series("model_"), series("optimizer_")
        except (KeyError, ValueError, OSError, zipfile.BadZipFile, EOFError):
            raise CheckpointError(f"{path.name} is a damaged checkpoint") from None


def restore(variables, arrays: list[np.ndarray], what: str, name: str) -> None:
    """Assign `arrays` to `variables` (a rebuilt model's, in the same order), checking they fit."""
    variables = list(variables)
    if len(variables) != len(arrays) or any(tuple(v.shape) != a.shape for v, a in zip(variables, arrays)):
        raise CheckpointError(f"{name} does not fit this model's {what} (another architecture or version)")
    for v, a in zip(variables, arrays):
        v.assign(a)
