"""Entry point of the PyInstaller build: the same command line as `desktop-cvae`."""

import sys

from desktop_cvae.cli import main

if __name__ == "__main__":
    sys.exit(main())
