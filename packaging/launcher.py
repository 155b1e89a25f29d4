"""Entry point of the PyInstaller build: the same command line as `desktop-cvae`."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Training runs in a spawned process: in a frozen build that process starts this executable again,
    # and freeze_support() turns it into the worker before the command line is parsed.
    multiprocessing.freeze_support()
    from desktop_cvae.cli import main

    sys.exit(main())
