"""Loading TensorFlow without its start-up chatter on a person's terminal.

TensorFlow 2.20 and later log through Abseil, which writes whatever is logged before absl::InitializeLog() to
stderr, whatever TF_CPP_MIN_LOG_LEVEL says. TensorFlow logs that way while it loads ("All log messages before
absl::InitializeLog()...", "oneDNN custom operations are on", twice in every process), and nothing turns those
lines off. So while TensorFlow loads, file descriptor 2 points at a pipe, and a thread passes on every line but
those informational ones. Other threads go on writing to stderr meanwhile (the app's window, a traceback): their
lines pass through. `--verbose` (or DESKTOP_CVAE_VERBOSE=1, which child processes inherit) keeps every line.
"""

from __future__ import annotations

import contextlib
import faulthandler
import os
import re
import sys
import threading

VERBOSE_ENV = "DESKTOP_CVAE_VERBOSE"
_loading = threading.Lock()
# Abseil's notice, its INFO lines ("I0000 00:00:1795578902.964153   8735 port.cc:153] ...": before Abseil is set up
# the seconds count from the epoch), and the second line of cpu_feature_guard's INFO message. Warnings (W...) and
# errors (E...) are passed on.
_STARTUP_CHATTER = re.compile(rb"^(WARNING: All log messages before absl::InitializeLog\(\)"
                              rb"|I\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
                              rb"|To enable the following instructions: )")


def set_verbose(verbose: bool) -> None:
    """--verbose: TensorFlow's log lines are shown, in this process and in the ones it starts."""
    if verbose:
        os.environ[VERBOSE_ENV] = "1"


def is_verbose() -> bool:
    return os.environ.get(VERBOSE_ENV, "") not in ("", "0")


# Lines TensorFlow logs while it trains that only look like trouble: oneDNN's note that int32 kernels fall back to
# Eigen on CPUs without AVX-512 ("E0000 ... util.cc:131] oneDNN supports DT_INT32 only on platforms with AVX-512.
# Falling back to the default Eigen-based implementation if present."), logged at error level, and XLA's note that
# it compiled a cluster. Every other line is passed on.
_TRAINING_CHATTER = re.compile(rb"^[IWE]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
                               rb"(oneDNN supports DT_INT32 only on platforms with AVX-512"
                               rb"|Compiled cluster using XLA)")


def _pass_on(pipe: int, stderr: int, chatter: re.Pattern) -> None:
    """Copy the pipe's lines to the real stderr, less `chatter`, until the pipe closes."""
    with os.fdopen(pipe, "rb", buffering=0) as lines:
        for line in iter(lines.readline, b""):
            if not chatter.match(line):
                os.write(stderr, line)


@contextlib.contextmanager
def _filtered_stderr(chatter: re.Pattern):
    """File descriptor 2 through a pipe whose lines matching `chatter` are dropped. Yields a text stream on the
    real stderr, for output that must not wait for a line's end (a progress bar's carriage returns). A crash
    meanwhile still reaches the terminal: faulthandler writes to the real stderr, and on the way out the pipe is
    drained."""
    sys.stderr.flush()
    stderr = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    passer = threading.Thread(target=_pass_on, args=(read_end, stderr, chatter), name="stderr-filter", daemon=True)
    passer.start()
    crash_log = os.fdopen(os.dup(stderr), "w")
    was_enabled = faulthandler.is_enabled()
    faulthandler.enable(file=crash_log)
    try:
        yield crash_log
    finally:
        sys.stderr.flush()
        crash_log.flush()
        os.dup2(stderr, 2)  # the pipe's last writer gone: the thread reads to its end and stops
        passer.join(timeout=5)
        faulthandler.disable()
        if was_enabled and sys.__stderr__ is not None:  # its earlier file is not known: the real stderr
            faulthandler.enable(file=sys.__stderr__)
        crash_log.close()
        os.close(stderr)


def load_tensorflow():
    """Import TensorFlow once, quietly unless verbose, and return it. Call it before anything imports Keras."""
    with _loading:
        if "tensorflow" in sys.modules or is_verbose():
            import tensorflow

            return tensorflow
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's later C++ lines: warnings and up only
        with _filtered_stderr(_STARTUP_CHATTER):
            import tensorflow
        return tensorflow


@contextlib.contextmanager
def quiet_training():
    """While a model trains, TensorFlow's harmless log lines that read like errors (_TRAINING_CHATTER) are left
    out of stderr, unless verbose. Everything else, a traceback included, still reaches it. Yields the stream
    a progress bar should write to."""
    if is_verbose():
        yield sys.stderr
        return
    with _filtered_stderr(_TRAINING_CHATTER) as terminal:
        yield terminal
