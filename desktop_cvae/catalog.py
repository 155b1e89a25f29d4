"""Which models exist: the shipped ones in resources/models and the user's own. Reads sidecars only, so
the GUI can list models without importing TensorFlow."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .resources import shipped_models_dir
from .storage import read_sidecar

DEFAULT_MODEL = "default.keras"


@dataclass(frozen=True)
class ModelEntry:
    path: Path
    shipped: bool
    meta: dict

    @property
    def name(self) -> str:
        return display_name(self.meta, self.path)

    @property
    def summary(self) -> str:
        cfg = self.meta.get("config") or {}
        kind = "CVAE" if cfg.get("conditional", True) else "VAE"
        acc = (self.meta.get("metrics") or {}).get("accuracy")
        acc_s = f", test accuracy {acc:.2%}" if isinstance(acc, (int, float)) else ""
        return f"{cfg.get('arch', '?')} {kind}, z={cfg.get('latent_dim', '?')}{acc_s}"


def display_name(meta: dict, path: str | os.PathLike) -> str:
    """A model's name as the app shows it: the one its owner gave it (storage.rename_model), else the name it
    was trained under, else its file's."""
    name = meta.get("display_name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    return (meta.get("config") or {}).get("name") or Path(path).stem


def training_stages(meta: dict) -> list[dict]:
    """The configs a model was trained with, first stage first: a model trained from another (`train
    --init-from`) carries how that one was made in its sidecar. Stages whose config was not recorded are left
    out; a model of one stage has one."""
    stages, link = [], meta
    while isinstance(link, dict):
        if isinstance(link.get("config"), dict):
            stages.append(link["config"])
        link = link.get("initialised_from")
    return stages[::-1]


def default_model_path() -> Path:
    return shipped_models_dir() / DEFAULT_MODEL


def list_models(user_dir: str | os.PathLike | None = None) -> list[ModelEntry]:
    """Shipped models first (default first), then the user's, newest first."""
    entries: list[ModelEntry] = []
    shipped = sorted(shipped_models_dir().glob("*.keras"), key=lambda p: (p.name != DEFAULT_MODEL, p.name))
    entries += [ModelEntry(p, True, read_sidecar(p)) for p in shipped if not p.name.startswith(".")]
    if user_dir and Path(user_dir).is_dir():
        mine = [p for p in Path(user_dir).glob("*.keras") if not p.name.startswith(".")]
        mine.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        entries += [ModelEntry(p, False, read_sidecar(p)) for p in mine]
    return entries
