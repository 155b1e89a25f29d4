"""Loading TensorFlow without its start-up chatter on a person's terminal.

TensorFlow 2.20 and later log through Abseil, which writes whatever is logged before absl::InitializeLog() to
stderr, whatever TF_CPP_MIN_LOG_LEVEL says. TensorFlow logs that way while it loads ("All log messages before
absl::InitializeLog()...", "oneDNN custom operations are on", twice in every process), and nothing turns those
lines off. So while TensorFlow loads, file descriptor 2 points at /dev/null; a Python error still raises as usual.
`--verbose` (or DESKTOP_CVAE_VERBOSE=1, which child processes inherit) keeps every line.
"""

from __future__ import annotations

import os
import sys
import threading

VERBOSE_ENV = "DESKTOP_CVAE_VERBOSE"
_loading = threading.Lock()


def set_verbose(verbose: bool) -> None:
    """--verbose: TensorFlow's log lines are shown, in this process and in the ones it starts."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"


def is_verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


def load_tensorflow():
    """Import TensorFlow once, quietly unless verbose, and return it. Call it before anything imports Keras."""
    with _loading:
        if "tensorflow" in sys.modules or is_verbose():
            import tensorflow

            return tensorflow
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's later C++ lines: warnings and up only
        sys.stderr.flush()
        saved_stderr = os.dup(2)
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, 2)
            finally:
                os.close(devnull)
            import tensorflow
        finally:
            os.dup2(saved_stderr, 2)
            os.close(saved_stderr)
        return tensorflow
