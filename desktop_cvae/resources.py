"""Where shipped files live: resources/ in a checkout, or inside a PyInstaller bundle."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    override = os.environ.get("DESKTOP_CVAE_RESOURCES")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)  # set by PyInstaller
    if bundle:
        return Path(bundle) / "resources"
    return Path(__file__).resolve().parent.parent / "resources"


def resource_path(*parts: str) -> Path:
    return resources_dir().joinpath(*parts)


def shipped_models_dir() -> Path:
    return resource_path("models")


def user_data_dir() -> Path:
    """The user's data folder for this app, where Qt's AppDataLocation puts it (organisation, then application
    name): ~/.local/share/desktop-cvae/Desktop CVAE on Linux (or under $XDG_DATA_HOME), %APPDATA%\\... on
    Windows, ~/Library/Application Support/... on macOS. For code without Qt (the web service's archive)."""
    override = os.environ.get("DESKTOP_CVAE_DATA")
    if override:
        return Path(override)
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "desktop-cvae" / "Desktop CVAE"
