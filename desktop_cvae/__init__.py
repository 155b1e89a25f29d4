"""desktop-cvae: a Keras conditional VAE for handwritten digits, on the desktop."""


def _version() -> str:
    """pyproject.toml's version, the one place it is written: from the installed package's metadata (which a
    PyInstaller build carries too), else, in a checkout on sys.path that was never installed, from the file."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("desktop-cvae")
    except PackageNotFoundError:
        import re
        from pathlib import Path

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            found = re.search(r'^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"), re.MULTILINE)
        except OSError:
            found = None
        return found.group(1) if found else "unknown"


__version__ = _version()
