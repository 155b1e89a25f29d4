"""Model files: atomic saves, safe loads, and every kind of bad file refused with a message."""

import io
import json
import os
import zipfile

import keras
import numpy as np
import pytest

from desktop_cvae.config import ModelConfig
from desktop_cvae.engine import Engine
from desktop_cvae.model import build_model
from desktop_cvae.storage import ModelFileError, load_model, read_sidecar, save_model, sha256_file, sidecar_path


@pytest.fixture(scope="module")
def small_model():
    return build_model(ModelConfig(arch="mlp", latent_dim=2, widths=(32, 16), seed=5))


def test_round_trip_keeps_weights_config_and_metadata(tmp_path, small_model):
    path = save_model(small_model, tmp_path / "m.keras", {"metrics": {"accuracy": 0.5}})
    loaded, meta = load_model(path)
    assert loaded.config == small_model.config
    for a, b in zip(small_model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert meta["metrics"]["accuracy"] == 0.5 and meta["sha256"] == sha256_file(path)
    x = np.random.default_rng(0).random((3, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(Engine(small_model).label_scores(x)[0], Engine(loaded).label_scores(x)[0], rtol=1e-5)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left


def test_a_trained_model_is_saved_without_its_optimizer_state(tmp_path, sample):
    from desktop_cvae.train import train

    cfg = ModelConfig(arch="mlp", latent_dim=2, widths=(32, 16), epochs=1, batch_size=100, seed=5)
    trained = train(cfg, sample).model
    assert trained.optimizer is not None and trained.optimizer.variables
    path = save_model(trained, tmp_path / "t.keras")
    with zipfile.ZipFile(path) as zf:
        h5 = zf.read("model.weights.h5")
    import h5py

    with h5py.File(io.BytesIO(h5), "r") as f:
        assert "optimizer" not in f or not list(f["optimizer"].get("vars", {}))  # no Adam moments
    loaded, _ = load_model(path)
    for a, b in zip(trained.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)  # every weight the app uses is kept, exactly


def test_an_exception_mid_save_leaves_the_old_file_intact(tmp_path, small_model, monkeypatch):
    path = save_model(small_model, tmp_path / "m.keras", {"note": "old"})
    before = path.read_bytes()
    real_save = keras.Model.save

    def save_half_then_fail(self, filepath, *a, **k):
        real_save(self, filepath, *a, **k)
        with open(filepath, "r+b") as f:  # a crash part-way through writing
            f.truncate(os.path.getsize(filepath) // 2)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(keras.Model, "save", save_half_then_fail)
    other = build_model(ModelConfig(arch="mlp", latent_dim=2, widths=(32, 16), seed=6))
    with pytest.raises(ModelFileError, match="disk is full.*previous file is unchanged"):
        save_model(other, path, {"note": "new"})
    assert path.read_bytes() == before
    assert read_sidecar(path)["note"] == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.keras", "m.keras.json"]


def test_a_stale_sidecar_is_ignored(tmp_path, small_model):
    path = save_model(small_model, tmp_path / "m.keras", {"metrics": {"accuracy": 0.9}})
    meta = json.loads(sidecar_path(path).read_text())
    meta["sha256"] = "0" * 64
    sidecar_path(path).write_text(json.dumps(meta))
    _, loaded_meta = load_model(path)
    assert loaded_meta.get("stale_sidecar") and "metrics" not in loaded_meta


def test_safe_mode_refuses_a_lambda_model(tmp_path):
    inp = keras.Input((28, 28, 1))
    out = keras.layers.Lambda(lambda t: t * 2)(inp)
    path = tmp_path / "lambda.keras"
    keras.Model(inp, out).save(path)
    with pytest.raises(ModelFileError, match="Lambda"):
        load_model(path)


def test_h5_is_refused(tmp_path, small_model):
    path = tmp_path / "old.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    with pytest.raises(ModelFileError, match=r"\.h5"):
        load_model(path)


@pytest.mark.parametrize("content,match", [
    (b"", "not a Keras model file"),
    (b"this is not a zip at all", "not a Keras model file"),
    (b"PK\x03\x04" + b"\0" * 40, "not a Keras model file"),
])
def test_garbage_is_refused(tmp_path, content, match):
    path = tmp_path / "bad.keras"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=match):
        load_model(path)


def test_truncated_model_is_refused(tmp_path, small_model):
    good = save_model(small_model, tmp_path / "good.keras")
    bad = tmp_path / "truncated.keras"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ModelFileError):
        load_model(bad)


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    path = tmp_path / "bomb.keras"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("config.json", "{}")
        zf.writestr("model.weights.h5", b"\0" * (50 * 1024 * 1024))  # compresses ~1000:1
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(ModelFileError, match="zip bomb"):
        load_model(path)


def test_a_foreign_keras_model_is_refused(tmp_path):
    inp = keras.Input((28, 28, 1))
    path = tmp_path / "foreign.keras"
    keras.Model(inp, keras.layers.Flatten()(inp)).save(path)
    with pytest.raises(ModelFileError, match="not a desktop-cvae model"):
        load_model(path)


def test_a_tampered_config_is_refused(tmp_path, small_model):
    good = save_model(small_model, tmp_path / "good.keras")
    bad = tmp_path / "tampered.keras"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "config.json":
                cfg = json.loads(data)
                cfg["config"]["config"]["arch"] = "os.system"
                data = json.dumps(cfg).encode()
            dst.writestr(info, data)
    with pytest.raises(ModelFileError, match="configuration is invalid"):
        load_model(bad)


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(ModelFileError, match="cannot read"):
        load_model(tmp_path / "nope.keras")
    folder = tmp_path / "dir.keras"
    folder.mkdir()
    with pytest.raises(ModelFileError, match="not a file"):
        load_model(folder)


def test_saved_files_get_normal_permissions(tmp_path, small_model):
    path = save_model(small_model, tmp_path / "m.keras")
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_renaming_touches_only_the_sidecar_and_removing_takes_everything(tmp_path, tiny_model_path):
    import shutil

    from desktop_cvae.catalog import list_models
    from desktop_cvae.checkpoint import checkpoint_path
    from desktop_cvae.storage import remove_model, rename_model, sha256_file, sidecar_path

    mine = tmp_path / "m.keras"
    shutil.copy(tiny_model_path, mine)
    shutil.copy(sidecar_path(tiny_model_path), sidecar_path(mine))
    before = sha256_file(mine)
    for bad in ("", "   ", "x" * 121):
        with pytest.raises(ValueError):
            rename_model(mine, bad)
    rename_model(mine, "Round zeros")
    assert sha256_file(mine) == before and [e.name for e in list_models(tmp_path) if not e.shipped] == ["Round zeros"]
    checkpoint_path(mine).write_bytes(b"left by an interrupted continuation")
    remove_model(mine)
    assert not any(tmp_path.iterdir())
