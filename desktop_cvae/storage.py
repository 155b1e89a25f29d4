"""Saving and loading model files: atomic saves with a JSON sidecar, and loads that never run code.

A model is `NAME.keras` (Keras' zip format) plus `NAME.keras.json` (config, history, metrics, sha256).
Saves write a temporary file in the same folder, verify it by loading it back, then `os.replace` it
over the target, so a crash or a full disk leaves the previous file intact. Loads accept `.keras` only,
check the archive before Keras opens it (size, zip bomb, Lambda layers, our class) and use safe_mode.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import zipfile
from pathlib import Path

from .config import ModelConfig

MAX_MODEL_BYTES = 200 * 1024 * 1024  # on disk
MAX_UNPACKED_BYTES = 400 * 1024 * 1024  # inside the zip
MAX_RATIO = 200  # uncompressed/compressed per member; weights compress ~1.1x, bombs ~1000x
SIDECAR_SUFFIX = ".json"
FORMAT_VERSION = 1


class ModelFileError(Exception):
    """A model file cannot be saved or loaded; the message is fit to show a person."""


def sidecar_path(model_path: str | os.PathLike) -> Path:
    p = Path(model_path)
    return p.with_name(p.name + SIDECAR_SUFFIX)


def sha256_file(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_sidecar(model_path: str | os.PathLike) -> dict:
    """The sidecar's metadata, or {} when it is missing or unreadable (the model still loads)."""
    try:
        with open(sidecar_path(model_path), encoding="utf-8") as f:
            meta = json.load(f)
        return meta if isinstance(meta, dict) else {}
    except (OSError, ValueError):
        return {}


def _contains_class(node, names: set[str]) -> str | None:
    if isinstance(node, dict):
        cls = node.get("class_name")
        if isinstance(cls, str) and cls in names:
            return cls
        return next((hit for v in node.values() if (hit := _contains_class(v, names))), None)
    if isinstance(node, list):
        return next((hit for v in node if (hit := _contains_class(v, names))), None)
    return None


def inspect_archive(path: str | os.PathLike) -> dict:
    """Check a .keras file without executing anything; returns its parsed config.json."""
    p = Path(path)
    name = p.name
    if p.suffix.lower() in (".h5", ".hdf5"):
        raise ModelFileError(f"{name}: HDF5 (.h5) models are refused because they cannot be loaded safely; "
                             "use a .keras file")
    if p.suffix.lower() != ".keras":
        raise ModelFileError(f"{name}: only .keras model files can be loaded")
    try:
        size = p.stat().st_size
    except OSError as e:
        raise ModelFileError(f"{name}: cannot read the file ({e.strerror or e})") from None
    if not p.is_file():
        raise ModelFileError(f"{name} is not a file")
    if size > MAX_MODEL_BYTES:
        raise ModelFileError(f"{name} is {size / 1e6:.0f} MB; model files up to {MAX_MODEL_BYTES // 10**6} MB are accepted")
    try:
        with zipfile.ZipFile(p) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNPACKED_BYTES or any(
                i.file_size > MAX_RATIO * max(i.compress_size, 1) and i.file_size > 1_000_000 for i in infos
            ):
                raise ModelFileError(f"{name} unpacks to far more than it holds (a zip bomb?); refused")
            members = {i.filename for i in infos}
            if "config.json" not in members or "model.weights.h5" not in members:
                raise ModelFileError(f"{name} is a zip file but not a Keras model (no config.json or weights)")
            config = json.loads(zf.read("config.json").decode("utf-8"))
    except ModelFileError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError):
        raise ModelFileError(f"{name} is not a Keras model file (not a valid zip archive; truncated?)") from None
    except (ValueError, UnicodeDecodeError, KeyError, NotImplementedError, RuntimeError, OSError) as e:
        raise ModelFileError(f"{name}: damaged model file ({type(e).__name__})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{name}: damaged model file (config is not an object)")
    lam = _contains_class(config, {"Lambda", "TFOpLambda", "SlicingOpLambda"})
    if lam:
        raise ModelFileError(f"{name} contains a {lam} layer, which can hold arbitrary code; refused")
    if config.get("class_name") != "CVAE" or config.get("module") not in (None, "desktop_cvae.model"):
        raise ModelFileError(f"{name} is a Keras model, but not a desktop-cvae model "
                             f"(it is a {config.get('class_name')!r})")
    try:
        ModelConfig.from_dict(config["config"]["config"])
    except (KeyError, TypeError, ValueError) as e:
        raise ModelFileError(f"{name}: its model configuration is invalid ({e})") from None
    return config


def read_config(path: str | os.PathLike) -> ModelConfig:
    """A model file's ModelConfig, checked as load_model checks the file, without loading TensorFlow."""
    return ModelConfig.from_dict(inspect_archive(path)["config"]["config"])


def load_model(path: str | os.PathLike):
    """Load a desktop-cvae model from a .keras file, safely. Returns (model, metadata). Raises ModelFileError."""
    inspect_archive(path)
    import keras

    from .model import CVAE, IMAGE_SHAPE

    name = Path(path).name
    try:
        model = keras.saving.load_model(path, safe_mode=True, compile=False)
    except ModelFileError:
        raise
    except Exception as e:  # Keras raises many types for damaged files; none may reach the user raw
        first = str(e).strip().splitlines()[0][:200] if str(e).strip() else type(e).__name__
        raise ModelFileError(f"{name} could not be loaded: {first}") from None
    if not isinstance(model, CVAE):
        raise ModelFileError(f"{name} is not a desktop-cvae model")
    enc_in = tuple(model.encoder.inputs[0].shape[1:])
    dec_out = tuple(model.decoder.outputs[0].shape[1:])
    if enc_in != IMAGE_SHAPE or dec_out != IMAGE_SHAPE:
        raise ModelFileError(f"{name} takes {enc_in} and makes {dec_out}; 28x28x1 images are needed")
    meta = read_sidecar(path)
    if meta.get("sha256") and meta["sha256"] != sha256_file(path):
        meta = {"stale_sidecar": True}  # the sidecar describes another file: ignore its numbers
    return model, meta


def make_temp(path: Path, suffix: str) -> str:
    """A temporary file beside `path`, with the permissions a normal new file would get (mkstemp's are 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)
    return tmp


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> None:
    """The file holds `data` whole, or what it held before: written beside it, synced, then renamed over it."""
    path = Path(path)
    tmp = make_temp(path, ".tmp")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise


def write_json_atomic(path: str | os.PathLike, obj) -> None:
    write_bytes_atomic(path, json.dumps(obj, indent=1).encode("utf-8"))


def rename_model(model_path: str | os.PathLike, name: str) -> None:
    """Give a model the name the app shows for it: written to its sidecar ("display_name"), atomically. The
    model file keeps the name it was trained under (its config), so its checksum stays valid."""
    name = " ".join(str(name).split())
    if not name:
        raise ValueError("a model's name cannot be empty")
    if len(name) > 120:
        raise ValueError("a model's name can be at most 120 characters")
    meta = read_sidecar(model_path)
    meta["display_name"] = name
    write_json_atomic(sidecar_path(model_path), meta)


def remove_model(model_path: str | os.PathLike) -> None:
    """Delete a model file and what belongs to it (sidecar, checkpoint of an interrupted continuation). The
    model file goes first: a sidecar left behind by a crash in between lists nothing."""
    from .checkpoint import checkpoint_path

    path = Path(model_path)
    path.unlink()
    for extra in (sidecar_path(path), checkpoint_path(path)):
        unlink_quietly(extra)


def unlink_quietly(path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _without_optimizer(model):
    """The same weights in an uncompiled copy. Adam's moment estimates are two thirds of a trained file and
    only matter for resuming training, which the app does not do; without them files are 3x smaller and
    load faster."""
    if getattr(model, "optimizer", None) is None:
        return model
    from .model import build_model

    bare = build_model(model.config)
    bare.set_weights(model.get_weights())
    return bare


def save_model(model, path: str | os.PathLike, metadata: dict | None = None) -> Path:
    """Save atomically: temporary .keras in the same folder, verify, then replace. Returns the path."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ModelFileError(f"{path.name}: model files must end in .keras")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = make_temp(path, ".tmp.keras")
    except OSError as e:
        raise ModelFileError(f"cannot write to {path.parent}: {e.strerror or e}") from None
    try:
        _without_optimizer(model).save(tmp, overwrite=True)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        load_model(tmp)  # verify: what we wrote loads, safely, as a model of ours
        meta = {**(metadata or {}), "format": FORMAT_VERSION, "config": model.config.to_dict(),
                "sha256": sha256_file(tmp)}
        write_json_atomic(Path(tmp).with_name(Path(tmp).name + SIDECAR_SUFFIX), meta)
        os.replace(tmp, path)
        os.replace(sidecar_path(tmp), sidecar_path(path))
        fsync_dir(path.parent)
    except BaseException as e:
        unlink_quietly(tmp)
        unlink_quietly(sidecar_path(tmp))
        if isinstance(e, OSError):
            reason = "the disk is full" if getattr(e, "errno", None) == 28 else (e.strerror or str(e))
            raise ModelFileError(f"could not save {path.name}: {reason}; the previous file is unchanged") from None
        raise
    return path
