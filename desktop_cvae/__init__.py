"""desktop-cvae: a Keras conditional VAE for handwritten digits, on the desktop.

The package has floors, each importing only those below it (pyproject.toml's import-linter contracts):
`cli` and `selftest` on top; the front-ends `gui` (Qt) and `serve` (the web service); `numbers` (reading whole
numbers); the core, the modules at this level (the model and its config, training, storage, the inference
`engine`, calibration, evaluation, reports), which never imports Qt; and `vision` at the bottom (reading and
normalising pictures, without TensorFlow)."""


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
