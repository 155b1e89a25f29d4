"""Training in a child process, for the GUI.

TensorFlow builds and traces the training graph in Python while holding the GIL; in a thread of the GUI
process that froze the window for up to ~220 ms at a time. A spawned process has its own interpreter, so
the GUI only relays small messages. It also means a crash in training (out of memory, a killed process)
cannot take the app down: it ends as a message.

The child sends tuples over a pipe:
    ("phase", text)  ("device", text)  ("progress", BatchProgress)  ("epoch", EpochReport)
    ("curves", rgba uint8 array)  and one final  ("succeeded", path, meta) | ("failed", message) | ("cancelled",)
"""

from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path
from typing import Iterator

FINAL = frozenset({"succeeded", "failed", "cancelled"})
CANCEL_GRACE_SECONDS = 10.0  # after this, a cancelled child that has not stopped is terminated


def _train_in_child(conn, cancel, parent_pid: int, cfg_dict: dict, data_path: str | None, out: str,
                    plot_size: tuple[float, float], init_from: str | None = None, resume: bool = False) -> None:
    def send(*msg) -> None:
        try:
            conn.send(msg)
        except OSError:  # the app is gone (BrokenPipeError): nobody to tell; should_stop() ends the run
            pass

    def should_stop() -> bool:
        # An orphaned child (the app was killed) stops too: nobody would see its result.
        return cancel.is_set() or os.getppid() != parent_pid

    try:
        send("phase", "Loading data…")
        from .tensorflow_loader import load_tensorflow, quiet_training

        load_tensorflow()  # before Keras: quietly, unless the app was started with --verbose
        import numpy as np

        from .config import ModelConfig
        from .data import DataError, load_data, load_sample

        try:
            data = load_data(data_path)
        except DataError as e:
            send("failed", str(e))
            return
        from .curves import figure_history, render_rgba
        from .storage import ModelFileError
        from .train import TrainingCancelled, TrainingFailed, device_description, train_and_save

        send("device", device_description())
        sample = load_sample()
        idx = np.array([np.flatnonzero(sample.y_test == c)[0] for c in range(10)])
        previews = (sample.x_test[idx].astype(np.float32) / 255.0, sample.y_test[idx].astype(np.int64))
        send("phase", "Training…")

        def on_epoch(report) -> None:
            send("epoch", report)
            title = f"after epoch {report.epoch + 1} of {report.epochs}"
            send("curves", render_rgba(figure_history(report.history, title, plot_size)))
            if not should_stop() and report.epoch + 1 == report.epochs:
                send("phase", "Evaluating on the test set and saving…")

        try:
            with quiet_training():
                meta = train_and_save(ModelConfig.from_dict(cfg_dict), data, Path(out),
                                      on_batch=lambda p: send("progress", p), on_epoch=on_epoch,
                                      should_stop=should_stop, previews=previews,
                                      init_from=Path(init_from) if init_from else None, resume=resume,
                                      notes={"data_path": data_path, "init_from": init_from})
        except TrainingCancelled:
            send("cancelled")
        except (TrainingFailed, ModelFileError) as e:
            send("failed", str(e))
        else:
            send("succeeded", out, meta)
    except MemoryError:
        send("failed", "Training ran out of memory. Try a smaller batch size or model.")
    except Exception as e:  # e.g. TensorFlow's ResourceExhaustedError: report it, never die silently
        name = type(e).__name__
        hint = " Try a smaller batch size." if "Exhausted" in name or "memory" in str(e).lower() else ""
        send("failed", f"Training failed ({name}: {str(e).splitlines()[0] if str(e) else ''}).{hint}")
    finally:
        conn.close()


def _ping(conn) -> None:
    conn.send(("ready", os.getpid()))
    conn.close()


class TrainingJob:
    """One training run in a spawned process. Qt-free: the GUI's worker thread iterates `events()`."""

    def __init__(self, cfg_dict: dict, data_path: str | None, out: str | os.PathLike,
                 plot_size: tuple[float, float] = (7.0, 3.0), init_from: str | None = None, resume: bool = False):
        """init_from: a saved model whose training this continues (cfg_dict is its config.continued()).
        resume: continue the interrupted training of `out` from its checkpoint (train.train_and_save)."""
        self.out = Path(out)
        # spawn, not fork: the parent has Qt and TensorFlow threads, which fork does not copy safely.
        ctx = multiprocessing.get_context("spawn")
        self._events, sender = ctx.Pipe(duplex=False)
        self._cancel = ctx.Event()
        self._cancel_time: float | None = None
        self.process = ctx.Process(
            target=_train_in_child, name="desktop-cvae training", daemon=True,
            args=(sender, self._cancel, os.getpid(), cfg_dict, data_path, str(self.out), plot_size, init_from,
                  resume),
        )
        self._sender = sender

    def start(self) -> None:
        self.process.start()
        self._sender.close()  # only the child writes now, so its exit shows here as end-of-file

    def cancel(self) -> None:
        if self._cancel_time is None:
            self._cancel_time = time.monotonic()
        self._cancel.set()

    def events(self, poll_seconds: float = 0.1) -> Iterator[tuple]:
        """Messages from the child until its final one. A child that dies first, or does not stop within
        CANCEL_GRACE_SECONDS of a cancel, ends the stream with a failure or cancellation of our own."""
        try:
            while True:
                if self._events.poll(poll_seconds):
                    try:
                        msg = self._events.recv()
                    except (EOFError, OSError):
                        break
                    yield msg
                    if msg[0] in FINAL:
                        return
                elif self._cancel_time is not None and time.monotonic() - self._cancel_time > CANCEL_GRACE_SECONDS:
                    self._kill()
                    yield ("cancelled",)
                    return
            self.process.join(5)
            if self._cancel.is_set():
                yield ("cancelled",)
            else:
                yield ("failed", f"The training process stopped unexpectedly (exit code {self.process.exitcode}).")
            self._remove_partial_files()
        finally:
            self.process.join(CANCEL_GRACE_SECONDS)
            if self.process.is_alive():
                self._kill()
            self._events.close()

    def _kill(self) -> None:
        self.process.kill()
        self.process.join(5)
        self._remove_partial_files()

    def _remove_partial_files(self) -> None:
        # A save interrupted by a kill leaves only its temporary files (storage.make_temp names them
        # .NAME.*); the model file itself is replaced atomically or not at all.
        for leftover in self.out.parent.glob(f".{self.out.name}.*"):
            try:
                leftover.unlink()
            except OSError:
                pass


def check_child_process(timeout: float = 30.0) -> int:
    """Start a child the way training does and return its pid; raises RuntimeError if it cannot start.
    The self-test uses this to prove a frozen build can spawn its training process."""
    ctx = multiprocessing.get_context("spawn")
    receiver, sender = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_ping, args=(sender,), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(timeout):
            raise RuntimeError("the child process did not answer")
        kind, pid = receiver.recv()
        return pid
    except EOFError:
        raise RuntimeError(f"the child process exited with code {process.exitcode}") from None
    finally:
        process.join(5)
        receiver.close()
